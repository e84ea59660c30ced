"""Runs tab: every run with its model, data, status and scores; open one, download its model, delete it."""

from __future__ import annotations

import os
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from .. import charts
from ..compare import METRICS, Comparison, compare, leaderboard, shown
from ..errors import RunError
from ..messages import say
from ..runs import delete_run, list_runs, model_dir, training_pid
from ..security import inside
from .common import html_escape, md_escape, run_path, shows_errors
from .exports import new_export, touch_export
from .i18n import status_word, t, tr

COLUMNS = ("col_run", "col_status", "col_model", "col_data", "col_strategy", "col_started", "col_accuracy",
           "col_macro_f1")


def runs_table(lang: str) -> pd.DataFrame:
    rows = []
    for info in list_runs():
        rows.append([info.name, status_word(lang, info.status),
                     info.model, info.data, info.strategy, info.started.replace("T", " "),
                     None if info.accuracy is None else round(info.accuracy, 3),
                     None if info.macro_f1 is None else round(info.macro_f1, 3)])
    return pd.DataFrame(rows, columns=[tr(lang, c) for c in COLUMNS])


def comparison_views(result: Comparison, lang: str) -> tuple:
    """The note, the metrics and settings tables (differing settings highlighted) and the two charts of a
    comparison."""
    names = [r.name for r in result.runs]
    metrics = pd.DataFrame([[tr(lang, f"cmp_{key}")] + [_shown(r.metrics.get(key), seconds=key.endswith("_seconds"))
                                                         for r in result.runs]
                            for key in METRICS], columns=[tr(lang, "cmp_metric"), *names])
    rows = result.settings_rows()
    settings = pd.DataFrame([[("● " if row["differs"] else "") + row["setting"]]
                             + [_shown(row[n], setting=True) for n in names] for row in rows],
                            columns=[tr(lang, "cmp_setting"), *names])
    styled = settings.style.apply(
        lambda line: ["background-color: #fef3c7; font-weight: 600" if rows[line.name]["differs"] else ""
                      for _ in line], axis=1)
    same = len({r.data_key for r in result.runs}) == 1 and result.runs[0].data_key is not None
    note = tr(lang, "compare_same_data" if same else "compare_other_data",
              differing=", ".join(result.differing) or tr(lang, "compare_nothing_differs"))
    curves = charts.compared_validation({r.name: r.curve for r in result.runs}, title=tr(lang, "cmp_curves"),
                                        x_title=tr(lang, "curve_step"))
    f1 = charts.compared_per_class_f1({r.name: r.per_class_f1 for r in result.runs}, title=tr(lang, "cmp_f1"))
    return note, metrics, styled, curves, f1


def _shown(value, setting: bool = False, seconds: bool = False) -> str:
    return shown(value, setting=setting, seconds=seconds, missing="–")


def leaderboard_table(lang: str) -> pd.DataFrame:
    """Finished runs grouped by their data, best test macro-F1 first in each group."""
    rows = []
    for group in leaderboard():
        for rank, s in enumerate(group, start=1):
            rows.append([s.data, rank, s.name, s.settings.get("model"), s.settings.get("strategy"),
                         _shown(s.metrics.get("macro_f1")), _shown(s.metrics.get("accuracy"))])
    return pd.DataFrame(rows, columns=[tr(lang, key) for key in ("col_data", "col_rank", "col_run", "col_model",
                                                                  "col_strategy", "col_macro_f1", "col_accuracy")])


# model folder and its modification time -> the zip this app made of it (per process: never another instance's)
_ZIPS: dict[tuple[str, int], Path] = {}
_ZIPS_LOCK = threading.Lock()


def zip_model(run_dir: Path) -> Path:
    """RUN's model folder (best/, else last/) as `RUN-best.zip` in a fresh export folder (webui.exports); reused
    while the model is unchanged and the zip still there. Nothing outside the run goes in: a model folder that is a
    link out of the run is refused, and files or folders inside it that are such links are left out."""
    folder = model_dir(run_dir)
    if not inside(folder, run_dir):
        raise RunError(say("export_link_outside", run=run_dir.name, folder=folder.name))
    key = (str(folder.resolve()), folder.stat().st_mtime_ns)
    with _ZIPS_LOCK:
        made = _ZIPS.get(key)
        if made is not None and made.is_file():
            touch_export(made)
            return made
        target = new_export(f"{run_dir.name}-{folder.name}.zip")
        for gone in [k for k, path in _ZIPS.items() if not path.is_file()]:  # purged by new_export
            del _ZIPS[gone]
        partial = target.with_name(target.name + ".partial")
        write_zip(folder, partial, run_dir)
        partial.replace(target)
        _ZIPS[key] = target
        return target


def write_zip(folder: Path, target: Path, root: Path) -> None:
    """`folder` (as `folder.name/...`) zipped into `target`: its files and subfolders, without following any link
    that leads outside `root`."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(folder, folder.name)
        for dirpath, dirnames, filenames in os.walk(folder):  # os.walk does not enter linked folders
            base = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not (base / d).is_symlink())
            for name in [*dirnames, *sorted(filenames)]:
                path = base / name
                if inside(path, root):
                    archive.write(path, path.relative_to(folder.parent))


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.0f} MB"


@dataclass
class RunsTab:
    table: gr.Dataframe
    run: gr.Dropdown
    open_evaluate: gr.Button
    open_predict: gr.Button
    open_train: gr.Button
    refresh: object  # fn(current, lang) -> table, run dropdown
    outputs: list


def refuse_if_training(path: Path, lang: str) -> None:
    """A run that a live process trains is not deleted, whoever started it (this app, another instance, the command
    line): the run folder says so (runs.training_pid)."""
    pid = training_pid(path)
    if pid is not None:
        raise gr.Error(tr(lang, "delete_running", name=html_escape(path.name), pid=pid), print_exception=False)


def build_compare(lang_box: gr.Textbox, table: gr.Dataframe) -> None:
    """Runs side by side (pick two or more: scores, differing settings, curves, per-class F1) and the leaderboard;
    both follow the runs table."""
    with gr.Accordion(t("compare_title"), open=False, elem_id="compare"):
        gr.Markdown(t("compare_intro"))
        with gr.Row():
            compare_pick = gr.Dropdown([], multiselect=True, label=t("compare_pick"), scale=4, elem_id="compare-runs")
            compare_button = gr.Button(t("compare_button"), variant="primary", scale=1, elem_id="compare-button")
        compare_note = gr.Markdown(elem_id="compare-note")
        with gr.Column(visible=False) as compare_results:  # shown once there is a comparison (no empty tables)
            compare_metrics = gr.Dataframe(label=t("compare_metrics"), interactive=False, wrap=True,
                                           elem_id="compare-metrics")
            compare_settings = gr.Dataframe(label=t("compare_settings"), interactive=False, wrap=True,
                                            elem_id="compare-settings")
            with gr.Row():
                compare_curves = gr.Plot(show_label=False, elem_id="compare-curves")
                compare_f1 = gr.Plot(show_label=False, elem_id="compare-f1")
    with gr.Accordion(t("leaderboard_title"), open=False, elem_id="leaderboard"):
        board = gr.Dataframe(label=t("leaderboard_title"), interactive=False, wrap=True, elem_id="leaderboard-table")

    def follow_table(chosen: list[str] | None, lang: str):
        names = [info.name for info in list_runs()]
        kept = [name for name in (chosen or []) if name in names]
        return gr.Dropdown(choices=names, value=kept), leaderboard_table(lang)

    @shows_errors
    def show_comparison(chosen: list[str] | None, lang: str):
        chosen = list(dict.fromkeys(chosen or []))
        if len(chosen) < 2:
            raise gr.Error(tr(lang, "compare_two"), print_exception=False)
        for name in chosen:
            run_path(name)  # one folder inside the runs folder, or RunError
        return (*comparison_views(compare(chosen), lang), gr.Column(visible=True))

    table.change(follow_table, [compare_pick, lang_box], [compare_pick, board], api_visibility="private")
    compare_button.click(show_comparison, [compare_pick, lang_box],
                         [compare_note, compare_metrics, compare_settings, compare_curves, compare_f1,
                          compare_results],
                         api_name="compare_runs")


def build(lang_box: gr.Textbox, allow_delete: bool = True) -> RunsTab:
    """The tab; `allow_delete=False` (demo mode) leaves out the delete and open-in-Train buttons and the delete
    handlers altogether."""
    gr.Markdown(t("runs_intro"))
    table = gr.Dataframe(label=t("runs_table"), interactive=False, wrap=True, max_height=360, elem_id="runs-table",
                         column_widths=["29%", "10%", "14%", "11%", "7%", "13%", "8%", "8%"])
    with gr.Row():
        run = gr.Dropdown([], label=t("selected_run"), allow_custom_value=True, scale=3, elem_id="runs-run")
        refresh_button = gr.Button(t("refresh"), size="sm", scale=1)
    with gr.Row():
        open_evaluate = gr.Button(t("open_evaluate"), elem_id="open-evaluate")
        open_predict = gr.Button(t("open_predict"), elem_id="open-predict")
        open_train = gr.Button(t("open_train"), elem_id="open-train", visible=allow_delete)
        zip_button = gr.Button(t("zip"), elem_id="zip")
        download = gr.DownloadButton(t("zip_download"), visible=False, variant="primary", elem_id="zip-download")
        delete_button = gr.Button(t("delete"), variant="stop", elem_id="delete", visible=allow_delete)
    with gr.Column(visible=False, elem_id="delete-confirm") as confirm:
        confirm_text = gr.Markdown()
        with gr.Row():
            yes = gr.Button(t("delete_yes"), variant="stop", elem_id="delete-yes")
            no = gr.Button(t("delete_cancel"), elem_id="delete-cancel")
    build_compare(lang_box, table)
    outputs = [table, run]

    def refresh(current: str | None, lang: str):
        frame = runs_table(lang)
        names = frame.iloc[:, 0].tolist() if len(frame) else []
        return frame, gr.Dropdown(choices=names, value=current if current in names else (names[0] if names else None))

    def pick(evt: gr.SelectData, frame: pd.DataFrame):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return gr.Dropdown(value=frame.iloc[row, 0]) if frame is not None and row < len(frame) else gr.skip()

    @shows_errors
    def make_zip(name: str | None, lang: str):
        path = run_path(name)
        if path is None:
            raise gr.Error(tr(lang, "pick_run"), print_exception=False)
        target = zip_model(path)
        gr.Info(tr(lang, "zip_ready", name=html_escape(path.name), size=_size(target)))
        return gr.DownloadButton(value=str(target), visible=True)

    @shows_errors
    def ask_delete(name: str | None, lang: str):
        path = run_path(name)
        if path is None:
            raise gr.Error(tr(lang, "pick_run"), print_exception=False)
        refuse_if_training(path, lang)
        return gr.Column(visible=True), tr(lang, "delete_confirm", name=md_escape(path.name))

    @shows_errors
    def really_delete(name: str | None, lang: str):
        path = run_path(name)
        if path is not None:
            refuse_if_training(path, lang)
            delete_run(path)  # refuses as well (RunError) if a trainer started in between
            gr.Info(tr(lang, "deleted", name=html_escape(path.name)))
        return (gr.Column(visible=False), gr.DownloadButton(visible=False)) + refresh(None, lang)

    refresh_button.click(refresh, [run, lang_box], outputs, api_name="runs")
    table.select(pick, [table], [run], api_visibility="private")
    run.change(lambda: gr.DownloadButton(visible=False), None, [download], api_visibility="private")
    zip_button.click(make_zip, [run, lang_box], [download], concurrency_limit=1, concurrency_id="zip",
                     api_visibility="undocumented", api_name="download_model")
    if allow_delete:
        delete_button.click(ask_delete, [run, lang_box], [confirm, confirm_text], api_visibility="private")
        no.click(lambda: gr.Column(visible=False), None, [confirm], api_visibility="private")
        yes.click(really_delete, [run, lang_box], [confirm, download, *outputs], api_visibility="private")
    return RunsTab(table=table, run=run, open_evaluate=open_evaluate, open_predict=open_predict,
                   open_train=open_train, refresh=refresh,
                   outputs=outputs)
