"""The VGSL line recogniser's own workflow (Tesseract's and kraken's).

The registered components stay in PaddleOCR's by-kind folders (``modeling/vgsl/`` the spec parser and
layers, ``modeling/architectures/vgsl_model.py``, ``data/vgsl_*_dataset.py`` the line datasets,
``data/imaug/vgsl_ops.py``, ``postprocess/vgsl_postprocess.py``, ``metrics/line_report.py``). What only
VGSL does lives here:

* ``task.py``        the VGSL task: what ``ppocr.engine`` asks of it;
* ``codec.py``       the codec (characters <-> labels, normalisation, recoding, bidi);
* ``run_codec.py``   which codec a run uses and binding it to the datasets;
* ``model_file.py``  converted model files (``model.pdparams`` + ``model.json``, float or int8);
* ``page_xml.py``    ALTO and PAGE XML files (lines, polygons, baselines, text), which the XML line dataset reads;
* ``finetune.py``    ``Global.continue_from`` with ``resize`` / ``append_index``;
* ``convert.py``     ``Global.stop_training`` (with ``convert_to_int``).

``import ppocr`` imports only the task; the other modules are leaves that import nothing above
``ppocr.utils`` except where they run a workflow (``finetune``, ``convert``, ``task``).
"""
