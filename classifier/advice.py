"""What to do next, in words: read a finished run's test metrics and say where it falls short and what helps.

Each piece of advice is a stable key with parameters (so the web app shows it in the user's language, see
`classifier/webui/i18n.py`) and its English text (for the CLI and the run folder). The rules look at the same
numbers the user sees: the fine-tuned model alone, the TF-IDF model alone, what the run answers with (the
validated choice between them, classifier/ensemble.py), where validation peaked, class support and sizes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ENGLISH = {
    "baseline_wins": "The TF-IDF model beat the fine-tuned model on the validation split ({baseline:.3f} vs "
                     "{model:.3f} {metric}), so predictions use the TF-IDF model. To make fine-tuning pay: train "
                     "more epochs (--epochs {epochs_hint}), pick a larger pretrained model from the hub (for example "
                     "{bigger}), or label more texts.",
    "ensemble_used": "Predictions mix the fine-tuned model with the TF-IDF model (weight {weight:.1f} : "
                     "{rest:.1f}); on the test split the mix scores {answered:.3f} {metric}, the model alone "
                     "{model:.3f}, TF-IDF alone {baseline:.3f}.",
    "still_improving": "Validation {metric} was still improving at the last evaluation (step {best_step} of "
                       "{steps}): the model is likely undertrained. Train more epochs (--epochs {epochs_hint}).",
    "stopped_early": "Training stopped early: validation stopped improving after step {best_step}, so more "
                     "epochs will not help; more labelled data or a larger model will.",
    "weak_class": "Class '{label}' is recognised poorly (F1 {f1:.2f} on {support} test texts, {share:.0%} of the "
                  "data). Weigh rare classes more (--class-weights balanced) or label more of its texts.",
    "small_data": "Only {train} training texts: fine-tuning gains most from more labelled data (a few hundred per "
                  "class).",
    "model_beats_baseline": "The fine-tuned model beats the TF-IDF model on the test split ({model:.3f} vs "
                            "{baseline:.3f} {metric}).",
}

BIGGER = {"zh": "bert-base-chinese", "en": "bert-base-uncased"}


@dataclass
class Advice:
    key: str
    params: dict[str, Any]
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _say(key: str, **params: Any) -> Advice:
    return Advice(key, params, ENGLISH[key].format(**params))


def advise(metrics: dict[str, Any], epochs: float, train_size: int, language: str = "en") -> list[Advice]:
    """Advice for a finished run's metrics.json content, most important first."""
    out: list[Advice] = []
    from .task import task_of

    metric = task_of(metrics).metric
    model = (metrics.get("model_only") or {}).get(metric, metrics.get(metric))
    baseline = (metrics.get("baseline") or {}).get(metric)
    ensemble = metrics.get("ensemble") or {}
    epochs_hint = f"{max(epochs * 2, epochs + 2):g}"
    decision = metrics.get("decision", "model")
    scores = ensemble.get("validation_scores") or {}
    if decision == "baseline":
        out.append(_say("baseline_wins", model=scores.get("1.0", model or 0.0), baseline=scores.get("0.0", 0.0),
                        metric=metric, epochs_hint=epochs_hint, bigger=BIGGER.get(language, BIGGER["en"])))
    elif decision == "ensemble" and model is not None and baseline is not None:
        weight = float(ensemble.get("weight", 1.0))
        out.append(_say("ensemble_used", weight=weight, rest=1 - weight, answered=metrics.get(metric, 0.0),
                        model=model, baseline=baseline, metric=metric))
    elif model is not None and baseline is not None and model > baseline:
        out.append(_say("model_beats_baseline", model=model, baseline=baseline, metric=metric))
    best_step, steps = metrics.get("best_step"), metrics.get("steps_trained")
    if best_step and steps:
        if best_step >= steps * 0.9 and not metrics.get("stopped_early"):
            # what chose the checkpoint (the validation loss by default), as run.py records it in metrics.json
            watched = next((key.removeprefix("best_validation_") for key in metrics
                            if key.startswith("best_validation_")), metric)
            out.append(_say("still_improving", metric=watched, best_step=best_step, steps=steps,
                            epochs_hint=epochs_hint))
        elif metrics.get("stopped_early"):
            out.append(_say("stopped_early", best_step=best_step))
    per_class = metrics.get("per_class") or {}
    total = sum(row.get("support", 0) for row in per_class.values()) or 1
    weak = [(name, row) for name, row in per_class.items() if row.get("support", 0) >= 5 and row.get("f1", 1) < 0.6]
    for name, row in sorted(weak, key=lambda item: item[1]["f1"])[:2]:
        out.append(_say("weak_class", label=name, f1=row["f1"], support=row["support"],
                        share=row["support"] / total))
    if train_size and train_size < 100 * max(len(per_class), 2):
        out.append(_say("small_data", train=train_size))
    return out
