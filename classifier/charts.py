"""Plotly figures for the web app and for notebooks: data summary, training curves, confusion matrix.

Every function takes plain Python values (lists, dicts, events as written to RUN/events.jsonl) and returns a
`plotly.graph_objects.Figure`; nothing here reads files or knows about gradio. Titles and axis names are
arguments with English defaults, so the web app can pass them in the reader's language.

Plotly renders text as a subset of HTML (`<a href>`, `<b>`, `<br>`): every label that comes from a data file (class
names) passes through `plain` first, so a label `<a href=...>` is shown as written, not as a link.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

BLUE, ORANGE, GREEN, GREY = "#2563eb", "#f97316", "#16a34a", "#9ca3af"
HEIGHT = 320


def plain(value: Any) -> str:
    """A data-supplied string as plotly text that shows exactly that string (plotly decodes the entities)."""
    return html.escape(str(value), quote=False)


def _layout(fig: go.Figure, title: str, height: int = HEIGHT, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        template="plotly_white", height=height, margin={"l": 55, "r": 20, "t": 45, "b": 45},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        **extra,
    )
    return fig


def empty_figure(message: str = "", title: str = "", height: int = HEIGHT) -> go.Figure:
    """A blank chart with a grey note in the middle (e.g. 'waiting for the first step')."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": GREY},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height)


# ----------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------
def class_counts(counts: dict[str, int], title: str = "Examples per class", x_title: str = "Class",
                 y_title: str = "Examples") -> go.Figure:
    """Bar per class, largest first, with the count on top."""
    items = sorted(counts.items(), key=lambda kv: -kv[1])
    names, values = [plain(k) for k, _ in items], [int(v) for _, v in items]
    fig = go.Figure(go.Bar(x=names, y=values, text=values, textposition="outside", marker_color=BLUE,
                           cliponaxis=False, hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_xaxes(title=x_title, type="category")
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return _layout(fig, title)


def length_histogram(lengths: Sequence[int], recommended: int | None = None, model_limit: int | None = None,
                     title: str = "Text length (tokens)", x_title: str = "Tokens per text",
                     y_title: str = "Texts", recommended_label: str = "recommended max length",
                     limit_label: str = "model limit") -> go.Figure:
    """Histogram of token lengths with a vertical line at the recommended max length (and the model's limit
    when texts come near it)."""
    lengths = [int(n) for n in lengths]
    fig = go.Figure(go.Histogram(x=lengths, nbinsx=min(60, max(10, len(set(lengths)))), marker_color=BLUE,
                                 opacity=0.85, hovertemplate="%{x}: %{y}<extra></extra>"))
    if recommended:
        fig.add_vline(x=recommended, line_dash="dash", line_color=ORANGE, line_width=2,
                      annotation_text=f"{recommended_label}: {recommended}", annotation_position="top right",
                      annotation_font_color=ORANGE)
    if model_limit and lengths and max(lengths) > 0.8 * model_limit:
        fig.add_vline(x=model_limit, line_dash="dot", line_color=GREY,
                      annotation_text=f"{limit_label}: {model_limit}", annotation_position="top left")
    fig.update_xaxes(title=x_title, rangemode="tozero")
    fig.update_yaxes(title=y_title)
    return _layout(fig, title, bargap=0.05)


# ----------------------------------------------------------------------------------------------------------------
# Training (events as in classifier.events)
# ----------------------------------------------------------------------------------------------------------------
def loss_curve(train_events: Sequence[dict[str, Any]], title: str = "Training loss", x_title: str = "Step",
               y_title: str = "Loss", total_steps: int | None = None) -> go.Figure:
    """Training loss per logged step; the x axis spans the whole run when `total_steps` is known."""
    steps = [e["step"] for e in train_events if e.get("loss") is not None]
    losses = [float(e["loss"]) for e in train_events if e.get("loss") is not None]
    fig = go.Figure(go.Scatter(x=steps, y=losses, mode="lines+markers", line={"color": BLUE, "width": 2},
                               marker={"size": 5}, name=y_title, hovertemplate="step %{x}: %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title=x_title, range=[0, total_steps * 1.02] if total_steps else None)
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return _layout(fig, title)


def validation_curves(eval_events: Sequence[dict[str, Any]], title: str = "Validation",
                      x_title: str = "Step", loss_name: str = "loss", accuracy_name: str = "accuracy",
                      f1_name: str = "macro-F1", score_title: str = "Score", loss_title: str = "Loss",
                      total_steps: int | None = None) -> go.Figure:
    """Validation accuracy and macro-F1 (left axis, 0..1) and validation loss (right axis) per evaluation;
    the best evaluation is ringed on the curve that chose it (`best_by` of the eval events: the loss by default;
    runs from before it was recorded are ringed on macro-F1, their default)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    steps = [e["step"] for e in eval_events]

    def series(key: str) -> list[float | None]:
        return [None if e.get(key) is None else float(e[key]) for e in eval_events]

    fig.add_trace(go.Scatter(x=steps, y=series("eval_accuracy"), name=accuracy_name, mode="lines+markers",
                             line={"color": GREEN, "width": 2}, hovertemplate="%{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=steps, y=series("eval_macro_f1"), name=f1_name, mode="lines+markers",
                             line={"color": BLUE, "width": 2}, hovertemplate="%{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=steps, y=series("eval_loss"), name=loss_name, mode="lines+markers",
                             line={"color": ORANGE, "width": 2, "dash": "dot"},
                             hovertemplate="%{y:.4f}<extra></extra>"), secondary_y=True)
    best = [e for e in eval_events if e.get("is_best")]
    if best:
        last_best = best[-1]
        by = last_best.get("best_by")  # from a file: anything at all
        key, color = {"loss": ("eval_loss", ORANGE), "accuracy": ("eval_accuracy", GREEN)}.get(
            by if isinstance(by, str) else "", ("eval_macro_f1", BLUE))
        fig.add_trace(go.Scatter(x=[last_best["step"]], y=[last_best.get(key)], mode="markers",
                                 marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"color": color, "width": 2}},
                                 name="best", showlegend=False, hoverinfo="skip"), secondary_y=by == "loss")
    fig.update_xaxes(title=x_title, range=[0, total_steps * 1.02] if total_steps else None)
    fig.update_yaxes(title=score_title, range=[0, 1.02], secondary_y=False)
    fig.update_yaxes(title=loss_title, rangemode="tozero", showgrid=False, secondary_y=True)
    return _layout(fig, title)


# ----------------------------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------------------------
def confusion_matrix(labels: Sequence[str], matrix: Sequence[Sequence[int]], normalize: bool = False,
                     title: str = "Confusion matrix (test set)", x_title: str = "Predicted",
                     y_title: str = "True") -> go.Figure:
    """Heatmap, rows = true class, columns = predicted class. `normalize` divides each row by its total, so a
    cell reads 'share of this class predicted as ...' and the diagonal is each class's recall."""
    labels = [plain(x) for x in labels]
    counts = [[int(v) for v in row] for row in matrix]
    if normalize:
        values = [[v / sum(row) if sum(row) else 0.0 for v in row] for row in counts]
        text = [[f"{v:.0%}" if v >= 0.005 or v == 0 else "<1%" for v in row] for row in values]
        hover = "true %{y}<br>predicted %{x}<br>%{z:.1%} of the row (%{customdata})<extra></extra>"
    else:
        values = counts
        text = [[str(v) for v in row] for row in counts]
        hover = "true %{y}<br>predicted %{x}<br>%{z} texts<extra></extra>"
    n = len(labels)
    fig = go.Figure(go.Heatmap(
        z=values, x=labels, y=labels, text=text, texttemplate="%{text}", customdata=counts,
        colorscale="Blues", zmin=0, zmax=1 if normalize else None, hovertemplate=hover, showscale=True,
        textfont={"size": 14 if n <= 6 else 10},
    ))
    fig.update_xaxes(title=x_title, type="category", side="bottom", tickangle=-30 if n > 6 else 0)
    fig.update_yaxes(title=y_title, type="category", autorange="reversed")
    return _layout(fig, title, height=max(HEIGHT, 150 + 40 * n))


def per_label_confusion(per_label: dict[str, dict[str, int]], normalize: bool = False,
                        title: str = "Per-label confusion (test set)",
                        columns: Sequence[str] = ("true positive", "false negative", "false positive", "true negative"),
                        y_title: str = "Label") -> go.Figure:
    """Multi-label runs: one row per label with its four counts (each label is a yes/no decision of its own).
    `normalize` shows recall-style shares: TP and FN over the label's positives, FP and TN over its negatives."""
    labels = [plain(x) for x in per_label]
    counts = [[c["tp"], c["fn"], c["fp"], c["tn"]] for c in per_label.values()]
    if normalize:
        values = []
        for tp, fn, fp, tn in counts:
            pos, neg = tp + fn, fp + tn
            values.append([tp / pos if pos else 0.0, fn / pos if pos else 0.0, fp / neg if neg else 0.0,
                           tn / neg if neg else 0.0])
        text = [[f"{v:.0%}" for v in row] for row in values]
    else:
        values, text = counts, [[str(v) for v in row] for row in counts]
    # good cells (TP, TN) in blue, mistakes (FN, FP) in red, via signs on a diverging scale
    scaled = values if normalize else [[x / max(max(row), 1) for x in row] for row in counts]
    signed = [[tp, -fn, -fp, tn] for tp, fn, fp, tn in scaled]
    fig = go.Figure(go.Heatmap(
        z=signed, x=list(columns), y=labels, text=text, texttemplate="%{text}", customdata=counts,
        colorscale=[[0, "#d62728"], [0.5, "#ffffff"], [1, BLUE]], zmin=-1, zmax=1, showscale=False,
        hovertemplate="%{y}<br>%{x}: %{customdata}<extra></extra>",
    ))
    fig.update_xaxes(type="category", side="top")
    fig.update_yaxes(title=y_title, type="category", autorange="reversed")
    return _layout(fig, title, height=max(HEIGHT, 150 + 34 * len(labels)))


def model_vs_baseline(metrics: dict[str, Any], title: str = "Test set: fine-tuned model vs. TF-IDF baseline",
                      model_name: str = "fine-tuned", baseline_name: str = "TF-IDF baseline",
                      accuracy_name: str = "accuracy", f1_name: str = "macro-F1",
                      answered_name: str = "what predictions use") -> go.Figure:
    """Grouped bars of accuracy and macro-F1 for the fine-tuned model alone, the TF-IDF baseline when present, and
    what the run answers with when that is their validated mix (classifier/ensemble.py)."""
    names = [accuracy_name, f1_name]
    fig = go.Figure()
    alone = metrics.get("model_only") or metrics
    bars = [(model_name, [alone.get("accuracy"), alone.get("macro_f1")], BLUE)]
    baseline = metrics.get("baseline") or {}
    if baseline:
        bars.append((baseline_name, [baseline.get("accuracy"), baseline.get("macro_f1")], GREY))
    if metrics.get("decision") == "ensemble":
        weight = float((metrics.get("ensemble") or {}).get("weight", 1.0))
        bars.append((f"{answered_name} ({weight:.1f} : {1 - weight:.1f})",
                     [metrics.get("accuracy"), metrics.get("macro_f1")], GREEN))
    for name, values, color in bars:
        fig.add_trace(go.Bar(x=names, y=values, name=name, marker_color=color,
                             text=[f"{v:.3f}" if v is not None else "" for v in values], textposition="outside",
                             cliponaxis=False))
    fig.update_yaxes(range=[0, 1.1])
    fig = _layout(fig, title, barmode="group")
    if len(bars) > 2:  # three entries do not fit beside the title: the legend goes under the bars
        fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0.0},
                          margin={"b": 80})
    return fig


def roc_and_pr(binary: dict[str, Any], roc_title: str = "ROC curve", pr_title: str = "Precision-recall curve",
               threshold_name: str = "at the threshold") -> tuple[go.Figure, go.Figure]:
    """The two curves of a two-class run's positive class (metrics.json `binary`), with the point of the
    current threshold marked on the ROC curve."""
    label = plain(binary.get("positive_label", ""))
    roc, pr = binary.get("roc") or {}, binary.get("pr") or {}
    roc_fig = go.Figure(go.Scatter(x=roc.get("fpr", []), y=roc.get("tpr", []), mode="lines", line_color=BLUE,
                                   name=f"AUC {binary.get('roc_auc', float('nan')):.3f}"))
    roc_fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color=GREY, dash="dot"),
                                 showlegend=False, hoverinfo="skip"))
    roc_fig.add_trace(go.Scatter(x=[binary.get("fpr")], y=[binary.get("tpr")], mode="markers",
                                 marker=dict(color=ORANGE, size=11), name=threshold_name))
    roc_fig.update_xaxes(title_text=f"FPR (not '{label}' flagged)", range=[0, 1])
    roc_fig.update_yaxes(title_text=f"TPR ('{label}' caught)", range=[0, 1.02])
    pr_fig = go.Figure(go.Scatter(x=pr.get("recall", []), y=pr.get("precision", []), mode="lines",
                                  line_color=GREEN, name=f"AP {binary.get('pr_auc', float('nan')):.3f}"))
    pr_fig.update_xaxes(title_text="recall", range=[0, 1])
    pr_fig.update_yaxes(title_text="precision", range=[0, 1.02])
    return _layout(roc_fig, roc_title), _layout(pr_fig, pr_title)


# ----------------------------------------------------------------------------------------------------------------
# Runs side by side
# ----------------------------------------------------------------------------------------------------------------
def compared_validation(curves: dict[str, Sequence[tuple[int, float | None, float | None]]],
                        title: str = "Validation macro-F1", x_title: str = "Step",
                        y_title: str = "macro-F1") -> go.Figure:
    """Validation macro-F1 of several runs on one chart; `curves`: run name -> (step, macro-F1, loss) points."""
    fig = go.Figure()
    for name, points in curves.items():
        shown = [(step, f1) for step, f1, _ in points if f1 is not None]
        fig.add_trace(go.Scatter(x=[s for s, _ in shown], y=[f for _, f in shown], mode="lines+markers",
                                 name=plain(name), hovertemplate="step %{x}: %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, range=[0, 1.02])
    fig = _layout(fig, title)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0},
                      margin={"b": 90})
    return fig


def compared_per_class_f1(per_class: dict[str, dict[str, float]], title: str = "Test F1 per class",
                          y_title: str = "F1") -> go.Figure:
    """Per-class test F1 of several runs as grouped bars; `per_class`: run name -> class -> F1."""
    classes = sorted({c for scores in per_class.values() for c in scores})
    fig = go.Figure()
    for name, scores in per_class.items():
        fig.add_trace(go.Bar(x=[plain(c) for c in classes], y=[scores.get(c) for c in classes], name=plain(name),
                             hovertemplate="%{x}: %{y:.4f}<extra></extra>"))
    fig.update_yaxes(title=y_title, range=[0, 1.05])
    fig = _layout(fig, title, barmode="group", height=max(HEIGHT, 260 + 6 * len(classes)))
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0},
                      margin={"b": 90})
    return fig
