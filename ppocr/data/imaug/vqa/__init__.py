"""Transforms for key information extraction with LayoutXLM (SER and RE).

Typical SER chain: ``DecodeImage -> VQATokenLabelEncode -> VQATokenPad -> VQASerTokenChunk ->
KeepKeys``; RE adds ``VQAReTokenRelation`` before ``VQAReTokenChunk`` and
``TensorizeEntitiesRelations`` after it. Importing this package registers them.
"""
from ppocr.data.imaug.vqa import kie_label_encode, kie_token_chunk, kie_token_pad, kie_token_relation  # noqa: F401
