"""Data pipeline: datasets, transforms and the loader builder.

Importing this package registers every dataset (``DATASETS``) and transform (``TRANSFORMS``).
"""
from ppocr.data import imaug, lmdb_dataset, simple_dataset  # noqa: F401  (registration)
from ppocr.data import multi_scale_dataset, multi_scale_sampler  # noqa: F401  (registration)
from ppocr.data import vgsl_box_dataset, vgsl_compiled_dataset, vgsl_line_dataset, vgsl_xml_dataset  # noqa: F401,E501  (registration)
from ppocr.data.imaug import Compose, build_transforms
from ppocr.data.lmdb_dataset import LMDBDataSet
from ppocr.data.loader import SeededBatchSampler, build_dataloader, collate_skip_none, set_epoch
from ppocr.data.simple_dataset import SimpleDataSet

__all__ = ["Compose", "LMDBDataSet", "SeededBatchSampler", "SimpleDataSet", "build_dataloader",
           "build_transforms", "collate_skip_none", "set_epoch"]
