"""The KIE task (``Architecture.model_type: kie``): SER and RE with LayoutXLM / VI-LayoutXLM.

Training, evaluation and export are the generic run: the KIE model brings its own checkpoint
directories and export signature through the model contract (``checkpoint_path``,
``load_checkpoint``, ``save_checkpoint``, ``input_spec_from_transforms``). Inference over pages
has its own tools (``tools/infer_kie_token_ser.py``, ``tools/infer_kie_token_ser_re.py``,
:mod:`ppocr.kie.infer`), since SER/RE read OCR results, not just images.
"""
from __future__ import annotations

from ppocr.engine.task import GenericTask
from ppocr.registry import TASKS
from ppocr.utils.errors import ConfigError


@TASKS.register(name="kie")
class KIETask(GenericTask):
    """Semantic entity recognition and relation extraction on forms."""

    name = "kie"
    selected_by = "Architecture.model_type: kie"
    global_keys = {
        "kie_det_model_dir": "KIE infer tools with infer_mode True: exported text detector that finds the text lines",
        "kie_rec_model_dir": "KIE infer tools with infer_mode True: exported text recogniser that reads them",
    }

    @classmethod
    def owns(cls, arch_cfg: dict) -> bool:
        return arch_cfg.get("model_type") == "kie"

    def result_writer(self, cfg: dict):
        raise ConfigError("KIE models read OCR results, not bare images: run tools/infer_kie_token_ser.py (SER) or "
                          "tools/infer_kie_token_ser_re.py (SER + RE) with this config")
