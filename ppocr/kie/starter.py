"""Build a *starter model directory* for LayoutXLM SER/RE training with no download.

Like Tesseract's starter traineddata, the directory is made from the user's own data: a
SentencePiece tokenizer trained on the transcriptions of the given KIE label files, and a
small randomly initialised LayoutXLM whose vocabulary is that tokenizer's. The layout is what
paddlenlp's ``save_pretrained`` writes, so ``LayoutXLMTokenizer.from_pretrained(dir)`` and
``LayoutXLMModel.from_pretrained(dir)`` (and the toolkit's ``pretrained: dir``) load it::

    <out>/sentencepiece.bpe.model   SentencePiece model (ids offset by one, fairseq style)
    <out>/tokenizer_config.json     LayoutXLMTokenizer settings and special tokens
    <out>/special_tokens_map.json
    <out>/config.json               LayoutXLMConfig (also copied to model_config.json)
    <out>/model_state.pdparams      random initial weights
    <out>/starter.json              how it was made, and token counts of the documents

Example:
    >>> from ppocr.kie.starter import make_starter
    >>> info = make_starter(["train_data/kie/train.json"], "./pretrained/starter_layoutxlm",
    ...                     vocab_size=4000, hidden_size=192, num_layers=4, num_heads=4)
    >>> info["vocab_size"], info["doc_tokens"]["max"]
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from typing import Iterable, Sequence

import numpy as np

from ppocr.kie.pretrained import require_paddlenlp
from ppocr.utils.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

TOKENIZER_MODEL_TYPES = ("unigram", "bpe")
STARTER_INFO = "starter.json"


def read_kie_documents(label_files: Sequence[str], delimiter: str = "\t") -> list[list[str]]:
    """The transcriptions of every document in KIE label files, one list per line of the files.

    Args:
        label_files: files with lines ``image_path<TAB>[{"transcription": ..., ...}, ...]``.
        delimiter: separator between the image path and the JSON.

    Raises:
        DataError: a missing file or a line that is not ``path<TAB>JSON list``, naming file and line.
    """
    if isinstance(label_files, str) or not label_files:
        raise DataError(f"label_files must be a non-empty list of paths, got {label_files!r}")
    docs = []
    for path in label_files:
        if not os.path.isfile(path):
            raise DataError(f"label file not found: {path}")
        with open(path, encoding="utf-8-sig") as f:
            for no, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                _, sep, ann = line.partition(delimiter)
                try:
                    entries = json.loads(ann) if sep else None
                except json.JSONDecodeError as e:
                    raise DataError(f"{path}:{no}: the annotation is not valid JSON ({e.msg})") from e
                if not isinstance(entries, list):
                    raise DataError(f"{path}:{no}: expected 'image_path<TAB>[{{\"transcription\": ...}}, ...]'")
                texts = [e.get("transcription") for e in entries if isinstance(e, dict)]
                docs.append([t for t in texts if isinstance(t, str) and t.strip()])
    if not any(docs):
        raise DataError(f"no transcriptions in {', '.join(label_files)}")
    return docs


def train_tokenizer(texts: Iterable[str], out_dir: str, vocab_size: int = 8000, model_type: str = "unigram",
                    character_coverage: float = 1.0) -> object:
    """Train a SentencePiece model on ``texts`` and save it as a LayoutXLM tokenizer in ``out_dir``.

    The SentencePiece ids follow XLM-R's convention (``<unk>`` 0, ``<s>`` 1, ``</s>`` 2) so
    that ``LayoutXLMTokenizer`` maps them to LayoutXLM's ids (``<s>`` 0, ``<pad>`` 1,
    ``</s>`` 2, ``<unk>`` 3, pieces from 4, ``<mask>`` last). ``vocab_size`` is an upper bound:
    a small corpus yields fewer pieces.

    Args:
        texts: training sentences (text lines).
        out_dir: directory to write (created if needed).
        vocab_size: largest number of SentencePiece pieces.
        model_type: ``'unigram'`` or ``'bpe'``.
        character_coverage: share of characters covered (1.0 keeps every character seen).

    Returns:
        The loaded ``LayoutXLMTokenizer``.
    """
    transformers = require_paddlenlp("the KIE starter tool")
    import sentencepiece as spm

    if model_type not in TOKENIZER_MODEL_TYPES:
        raise ConfigError(f"model_type must be one of {TOKENIZER_MODEL_TYPES}, got {model_type!r}")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 8:
        raise ConfigError(f"vocab_size must be an integer >= 8, got {vocab_size!r}")
    texts = [t for t in texts if t.strip()]
    if not texts:
        raise DataError("no text to train the tokenizer on")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "spm")
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts), model_prefix=prefix, vocab_size=vocab_size, model_type=model_type,
            character_coverage=character_coverage, hard_vocab_limit=False, unk_id=0, bos_id=1, eos_id=2,
            pad_id=-1, num_threads=1, minloglevel=2)
        tokenizer = transformers.LayoutXLMTokenizer(vocab_file=prefix + ".model")
        tokenizer.save_pretrained(out_dir)
    tokenizer = transformers.LayoutXLMTokenizer.from_pretrained(out_dir)
    logger.info("trained a %s tokenizer with %d ids on %d text lines -> %s", model_type, tokenizer.vocab_size,
                len(texts), out_dir)
    return tokenizer


def valid_hidden_sizes(near: int, num_heads: int) -> list[int]:
    """Hidden sizes near ``near`` that LayoutXLM accepts with ``num_heads`` heads."""
    step = 6 * num_heads // math.gcd(6, num_heads)
    low = max(step, near // step * step)
    return [low, low + step] if low != near else [near]


def starter_config(vocab_size: int, hidden_size: int = 192, num_layers: int = 4, num_heads: int = 4,
                   intermediate_size: int | None = None, max_position_embeddings: int = 514,
                   use_visual_backbone: bool = False, relative_attention: bool = False) -> dict:
    """LayoutXLM config keys for a small model (others keep paddlenlp's LayoutXLM defaults).

    LayoutXLM adds six layout embeddings of ``hidden_size / 6`` units (x0, y0, x1, y1, width,
    height) to the token embedding, so ``hidden_size`` must be divisible by 6 and by
    ``num_heads``. ``relative_attention`` turns on LayoutXLM-base's learnt attention biases for
    relative 1-D token positions and 2-D box offsets (``has_relative_attention_bias``,
    ``has_spatial_attention_bias``).

    Raises:
        ConfigError: sizes LayoutXLM cannot build, with the nearest valid hidden sizes.
    """
    for name, val in (("vocab_size", vocab_size), ("hidden_size", hidden_size), ("num_layers", num_layers),
                      ("num_heads", num_heads), ("max_position_embeddings", max_position_embeddings)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 1:
            raise ConfigError(f"{name} must be a positive integer, got {val!r}")
    if hidden_size % 6 or hidden_size % num_heads:
        raise ConfigError(f"hidden_size must be divisible by 6 (six layout embeddings) and by num_heads={num_heads}, "
                          f"got {hidden_size}; try {' or '.join(map(str, valid_hidden_sizes(hidden_size, num_heads)))}")
    return {
        "vocab_size": vocab_size,
        "hidden_size": hidden_size,
        "num_hidden_layers": num_layers,
        "num_attention_heads": num_heads,
        "intermediate_size": intermediate_size or 4 * hidden_size,
        "coordinate_size": hidden_size // 6,
        "shape_size": hidden_size // 6,
        "max_position_embeddings": max_position_embeddings,
        "max_2d_position_embeddings": 1024,
        "use_visual_backbone": use_visual_backbone,
        "has_relative_attention_bias": relative_attention,
        "has_spatial_attention_bias": relative_attention,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
    }


#: Embedding tables of LayoutXLM that index positions (1-D token position, 2-D box coordinates and sizes).
POSITION_TABLES = ("position_embeddings", "x_position_embeddings", "y_position_embeddings", "h_position_embeddings",
                   "w_position_embeddings")


def sinusoid_table(rows: int, dim: int, std: float = 0.02) -> np.ndarray:
    """``[rows, dim]`` sine/cosine encodings of the positions ``0..rows-1`` (Vaswani et al.), scaled to ``std``.

    Nearby positions get similar vectors and a fixed offset is a rotation, so attention and the
    relation head can compare positions from the first step.
    """
    pos = np.arange(rows, dtype=np.float64)[:, None]
    freq = 1.0 / (10000.0 ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    table = np.zeros((rows, dim), dtype=np.float64)
    table[:, 0::2] = np.sin(pos * freq)
    table[:, 1::2] = np.cos(pos * freq[: dim // 2])
    return (table * (std / table.std())).astype(np.float32)


def smooth_position_embeddings(model, std: float = 0.02) -> list[str]:
    """Give a random-init LayoutXLM sinusoidal position and box-coordinate embeddings; returns the tables set.

    Random tables give every coordinate an unrelated vector, so a model trained from scratch must
    learn that x=200 is near x=201 before it can tell which answer sits beside which question
    (relation extraction stays at its base rate for a long time) or where a text line starts
    (SER's B- and I- tags). Smooth tables make those relations available at once.
    """
    emb = model.embeddings if hasattr(model, "embeddings") else model.layoutxlm.embeddings
    done = []
    for name in POSITION_TABLES:
        layer = getattr(emb, name, None)
        if layer is None:
            continue
        rows, dim = layer.weight.shape
        layer.weight.set_value(sinusoid_table(rows, dim, std))
        done.append(name)
    return done


def token_stats(docs: Sequence[Sequence[str]], tokenizer, max_seq_len: int = 512) -> dict:
    """Tokens per document (as ``VQATokenLabelEncode`` counts them) and the windows they need."""
    counts = np.array([sum(len(tokenizer.tokenize(t)) for t in doc) for doc in docs], dtype=np.int64)
    windows = np.maximum(1, np.ceil(counts / max_seq_len)).astype(int)
    return {"documents": int(len(counts)), "mean": float(counts.mean()), "p50": int(np.percentile(counts, 50)),
            "p90": int(np.percentile(counts, 90)), "max": int(counts.max()), "max_seq_len": max_seq_len,
            "max_windows_needed": int(windows.max()),
            "documents_over_one_window": int((windows > 1).sum())}


def make_starter(label_files: Sequence[str], out_dir: str, vocab_size: int = 8000, hidden_size: int = 192,
                 num_layers: int = 4, num_heads: int = 4, intermediate_size: int | None = None,
                 max_position_embeddings: int = 514, model_type: str = "unigram", seed: int = 0,
                 max_seq_len: int = 512, overwrite: bool = False, smooth_positions: bool = True,
                 relative_attention: bool = False) -> dict:
    """Write a starter model directory (tokenizer + random-init LayoutXLM) built from ``label_files``.

    Args:
        label_files: KIE label files whose transcriptions train the tokenizer (use the
            training split only, so evaluation text stays unseen).
        out_dir: the directory to write; use it as ``pretrained`` and ``tokenizer_path``.
        vocab_size: upper bound of SentencePiece pieces (the model vocabulary is pieces + 2).
        hidden_size: transformer width (divisible by 6 and by ``num_heads``).
        num_layers: transformer layers.
        num_heads: attention heads.
        intermediate_size: feed-forward width (default ``4 * hidden_size``).
        max_position_embeddings: longest window the model accepts (``max_seq_len`` <= this).
        model_type: tokenizer algorithm, ``'unigram'`` or ``'bpe'``.
        seed: seed of the random weights.
        max_seq_len: window length the token statistics are computed for.
        overwrite: replace an existing starter directory.
        smooth_positions: sinusoidal position and box-coordinate embeddings (see
            :func:`smooth_position_embeddings`) instead of random ones.
        relative_attention: attention biases for relative token positions and box offsets, as
            LayoutXLM-base has (see :func:`starter_config`).

    Returns:
        What ``starter.json`` records: sizes, sources and per-document token counts.

    Raises:
        ConfigError: invalid sizes, or ``out_dir`` already holds files (without ``overwrite``).
        DataError: unreadable label files or no text.
    """
    transformers = require_paddlenlp("the KIE starter tool")
    import paddle

    if os.path.isdir(out_dir) and os.listdir(out_dir) and not overwrite:
        raise ConfigError(f"{out_dir} already exists and is not empty; choose another --out or pass --overwrite")
    starter_config(100, hidden_size, num_layers, num_heads, intermediate_size, max_position_embeddings)  # check early
    if max_seq_len > max_position_embeddings:
        raise ConfigError(f"max_seq_len ({max_seq_len}) must not exceed max_position_embeddings "
                          f"({max_position_embeddings})")
    docs = read_kie_documents(label_files)
    if overwrite and os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    tokenizer = train_tokenizer([t for doc in docs for t in doc], out_dir, vocab_size, model_type)
    cfg = starter_config(tokenizer.vocab_size, hidden_size, num_layers, num_heads, intermediate_size,
                         max_position_embeddings, relative_attention=relative_attention)
    paddle.seed(seed)
    model = transformers.LayoutXLMModel(transformers.LayoutXLMConfig(**cfg))
    smooth = smooth_position_embeddings(model) if smooth_positions else []
    model.save_pretrained(out_dir)
    shutil.copyfile(os.path.join(out_dir, "config.json"), os.path.join(out_dir, "model_config.json"))
    info = {
        "made_by": "tools/make_kie_starter.py",
        "label_files": [os.path.abspath(p) for p in label_files],
        "tokenizer": {"model_type": model_type, "vocab_size_requested": vocab_size,
                      "vocab_size": tokenizer.vocab_size},
        "model": cfg,
        "parameters": int(sum(int(p.numel()) for p in model.parameters())),
        "seed": seed,
        "sinusoidal_embeddings": smooth,
        "doc_tokens": token_stats(docs, tokenizer, max_seq_len),
        "vocab_size": tokenizer.vocab_size,
    }
    with open(os.path.join(out_dir, STARTER_INFO), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
    stats = info["doc_tokens"]
    logger.info("starter model in %s: %d parameters, vocabulary %d; tokens per document: median %d, p90 %d, "
                "max %d; %d document(s) need more than one window of %d tokens (max_windows needed: %d)", out_dir,
                info["parameters"], tokenizer.vocab_size, stats["p50"], stats["p90"], stats["max"],
                stats["documents_over_one_window"], max_seq_len, stats["max_windows_needed"])
    return info
