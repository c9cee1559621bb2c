"""Key information extraction (SER/RE with LayoutXLM / VI-LayoutXLM): the task's own workflow.

The registered components stay in PaddleOCR's by-kind folders (``modeling/backbones/kie_layoutxlm.py``,
``modeling/architectures/kie_model.py``, ``data/imaug/vqa/``, ``losses/kie_*``, ``postprocess/kie_*``,
``metrics/kie_metric.py``). What only KIE does lives here:

* ``task.py``        the KIE task: what ``ppocr.engine`` asks of it;
* ``starter.py``     starter models (tokenizer + random-init LayoutXLM) built offline from label files;
* ``pretrained.py``  finding local pretrained weights (nothing is downloaded);
* ``checkpoint.py``  PaddleOCR's KIE checkpoint directories (``prefix/`` + ``prefix.pdopt``);
* ``labels.py``, ``convert.py``  XFUND/FUNSD label files and converters;
* ``infer.py``, ``pipeline.py``, ``visualize.py``  SER/RE inference over pages (with or without OCR),
  with the training-time models;
* ``predictor.py``   serving the exported models (``ppstructure/kie/`` scripts).

Nothing here is imported by ``import ppocr`` except the task; paddlenlp is imported where it is used.
"""
