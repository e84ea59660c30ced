"""`python -m classifier train | resume | evaluate | predict | export | runs | stop | inspect`: the command line.

A contract other tools call (the web app starts `train` as a subprocess): exit 0 on success, 2 on bad input with a
one-paragraph message on stderr (never a traceback), 1 on an unexpected failure (traceback in RUN/error.log).
That message is in English, or in Chinese when CLASSIFIER_LANG=zh-CN or the locale (LC_ALL, LANG) says Chinese.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

from .config import TrainConfig, field_kind, settings
from .errors import ClassifierError
from .message_catalogue import CATALOGUE
from .messages import cli_lang, message_of, render, say

EXIT_BAD_INPUT = 2


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-column", help="column with the text (detected when omitted)")
    parser.add_argument("--label-column", help="column with the label (detected when omitted)")


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig setting, made from its declaration (config.setting): `--warmup-ratio` for
    `warmup_ratio`, its type, choices and help; booleans are `--name` (default False) or `--no-name` (default
    True). Every flag defaults to None so that only what is given overrides a --config file."""
    for spec in settings():
        meta = spec.metadata
        if not meta.get("cli", True):
            continue
        base, _ = field_kind(spec.name)
        help_text = meta["help"].replace("%", "%%")
        if base is bool:
            flag = meta.get("flag") or ("--no-" if spec.default else "--") + spec.name.replace("_", "-")
            parser.add_argument(flag, dest=spec.name, action="store_false" if spec.default else "store_true",
                                default=None, help=help_text)
            continue
        flag = meta.get("flag") or "--" + spec.name.replace("_", "-")
        kind = {int: int, float: float, str: str, list: _comma_list}[base]
        parser.add_argument(flag, dest=spec.name, type=kind, choices=meta.get("choices"), help=help_text)


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a whole number of 1 or more")
    return number


def _add_predict_parser(sub) -> None:
    predict = sub.add_parser("predict", help="label texts with a trained run")
    predict.add_argument("--run", required=True, help="run folder or run name")
    predict.add_argument("texts", nargs="*", help="texts to classify; none (and no --input): a prompt in a terminal, "
                         "or one text per line from standard input with one JSON line out per text")
    predict.add_argument("--input", help="file of texts (one per line, or a table with a text column)")
    predict.add_argument("--text-column")
    predict.add_argument("--output", help="CSV to write (with --input; written in chunks of --chunk-size texts, "
                         "and a rerun with the same --output continues where an interrupted one stopped)")
    predict.add_argument("--chunk-size", type=_positive_int, default=10_000,
                         help="--input: texts read, predicted and written at a time (memory stays constant)")
    predict.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto",
                         help="auto: the run's ONNX export on a CPU when it has an up-to-date one (python -m "
                         "classifier export), else PyTorch")
    predict.add_argument("--quiet", action="store_true", help="--input: no progress bar")
    predict.add_argument("--batch-size", type=_positive_int, default=32)
    predict.add_argument("--int8", action="store_true",
                         help="CPU: quantize the model to int8 on loading (faster; a few labels in a thousand may "
                              "differ; see bench/RESULTS.md)")
    predict.add_argument("--explain", action="store_true",
                         help="add the words that pushed the model towards its label and away from it (Integrated "
                              "Gradients, about 1 s a text on 2 CPU cores; texts given or piped in, not --input)")


def _add_export_parser(sub) -> None:
    export = sub.add_parser("export", help="export a run's model for ONNX Runtime (RUN/onnx/; used on a CPU)",
                            description="Writes RUN/onnx/: model.onnx, the tokenizer, config.json and classifier.json "
                            "(and model_quantized.onnx with --quantize int8), checked against the PyTorch model.")
    export.add_argument("--run", required=True, help="run folder or run name")
    export.add_argument("--format", choices=("onnx",), default="onnx")
    export.add_argument("--quantize", choices=("int8",), help="also write an int8 model (dynamic quantization)")


def _add_adapt_parser(sub) -> None:
    adapt = sub.add_parser("adapt", help="continue pre-training a model on unlabelled texts of your domain (masked "
                           "language modelling; next-token prediction for decoders)")
    adapt.add_argument("--data", required=True, help="texts, one per line, or a table (its text column is used)")
    adapt.add_argument("--model", default="auto", help="bundled name, hub id or folder (auto: by the texts' language)")
    adapt.add_argument("--output", required=True, help="folder for the adapted model (then: train --model FOLDER)")
    adapt.add_argument("--epochs", type=float, default=1.0)
    adapt.add_argument("--max-length", type=int, default=128)
    adapt.add_argument("--mlm-probability", type=float, default=0.15)
    adapt.add_argument("--batch-size", type=int, default=16)
    adapt.add_argument("--learning-rate", type=float, default=5e-5)
    adapt.add_argument("--max-texts", type=int, help="use at most this many texts")
    adapt.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_label_issues_parser(sub) -> None:
    issues = sub.add_parser("label-issues", help="list the texts whose given label is most likely wrong (CSV)",
                            description="Out-of-fold probabilities for every labelled text (k folds; a logistic "
                            "regression on the frozen backbone's sentence vectors, or TF-IDF), then cleanlab's "
                            "confident learning: the likely label errors, most suspicious first.")
    issues.add_argument("--data", required=True)
    _add_data_args(issues)
    issues.add_argument("--model", default="auto", help="backbone for --method features (auto: by the language)")
    issues.add_argument("--method", choices=("features", "tfidf", "both"), default="both",
                        help="features: logistic regression on the backbone's sentence vectors; tfidf: the TF-IDF "
                        "model; both: the mean of the two (the most precise, see docs/results.md)")
    issues.add_argument("--folds", type=_positive_int, default=5)
    issues.add_argument("--seed", type=int, default=42)
    issues.add_argument("--max-score", type=float, help="list only texts scored below this (default: 0.2 / classes "
                        "for single-label data; 1: everything cleanlab flags)")
    issues.add_argument("--output", required=True, help="CSV: row, text, given_label, suggested_label, score")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m classifier",
        description="Fine-tune a pretrained transformer text classifier on a labelled file, offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a classifier and test it",
                           description="Train on --data (split 70/15/15 unless --validation/--test are given). "
                           "Flags override values from --config.")
    train.add_argument("--config", help="JSON file of settings (e.g. a run's config.json)")
    add_setting_flags(train)
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    resume = sub.add_parser("resume", help="continue an interrupted or stopped run from its last checkpoint",
                            description="Continue RUN from its newest checkpoint (weights, optimizer, schedule and "
                            "data order as they were), with the settings and data it started with.")
    resume.add_argument("--run", required=True, help="run folder or run name")
    resume.add_argument("--quiet", action="store_true", help="no progress bar")

    evaluate = sub.add_parser("evaluate", help="score a trained run on a labelled file (prints JSON)")
    evaluate.add_argument("--run", required=True, help="run folder or run name")
    evaluate.add_argument("--data", required=True)
    _add_data_args(evaluate)
    evaluate.add_argument("--output", help="also write the JSON to this file")
    evaluate.add_argument("--model-only", action="store_true",
                          help="score the fine-tuned model alone, without the TF-IDF mix its validation may have "
                          "chosen")

    _add_predict_parser(sub)
    _add_export_parser(sub)
    _add_adapt_parser(sub)

    threshold = sub.add_parser("threshold", help="two-class runs: save a decision threshold for the positive class "
                               "(prints the test metrics at it)")
    threshold.add_argument("--run", required=True, help="run folder or run name")
    threshold.add_argument("--value", type=float, required=True, help="between 0 and 1 (0.5 = the plain argmax)")
    threshold.add_argument("--label", help="the positive class (default: the rarer class of the training data)")

    runs = sub.add_parser("runs", help="list runs with model, data, status and headline metric")
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")
    runs.add_argument("--compare", nargs="+", metavar="RUN", help="two or more runs side by side: test metrics, the "
                      "settings that differ (marked *), per-class F1")
    runs.add_argument("--leaderboard", action="store_true", help="finished runs grouped by their data, best test "
                      "macro-F1 first")

    stop = sub.add_parser("stop", help="ask a running training to stop (it saves last/ and keeps best/)")
    stop.add_argument("--run", required=True)

    inspect = sub.add_parser("inspect", help="show what the engine makes of a data file (columns, summary)")
    inspect.add_argument("--data", required=True)
    _add_data_args(inspect)
    inspect.add_argument("--model", default="auto")

    _add_label_issues_parser(sub)
    return parser


def _train_config(args: argparse.Namespace) -> TrainConfig:
    config = TrainConfig.from_json(args.config) if args.config else TrainConfig()
    overrides = {}
    for key, value in vars(args).items():
        if key in ("command", "config", "quiet") or value is None:
            continue
        overrides[key] = value
    if args.config and "output" not in overrides:
        overrides["output"] = None  # a run's config.json names its own folder; do not write into it again
    return config.replace(**overrides).validate()


def cmd_train(args: argparse.Namespace) -> int:
    from .training import train

    config = _train_config(args)
    return _report(train(config, progress=not args.quiet))


def _report(result) -> int:
    metrics = result.metrics or {}
    print(f"\nRun folder: {result.run_dir}  ({result.status})")
    if metrics:
        from .metrics import format_report

        print(format_report(metrics))
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from .training import resume_run

    return _report(resume_run(args.run, progress=not args.quiet))


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_file

    result = evaluate_file(args.run, args.data, args.text_column, args.label_column, ensemble=not args.model_only)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.output:
        from .runs import atomic_write_text

        atomic_write_text(Path(args.output), text + "\n")
    print(text)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .errors import ConfigError
    from .predict import Predictor
    from .runs import resolve_run_dir

    run = resolve_run_dir(args.run)
    if args.explain and (args.input or args.int8):
        raise ConfigError(say("cli_explain_input", flag="--input" if args.input else "--int8"))
    if not args.texts and not args.input:  # the tutorials' `while True: input()` loop, or a filter on a pipe
        predictor = Predictor(run, batch_size=args.batch_size, int8=args.int8, backend=args.backend)
        if sys.stdin.isatty():
            return predict_loop(predictor)
        return predict_stream(predictor, sys.stdin, args.explain)
    if args.input:
        from .stream_predict import stream_predict_file

        output = args.output or str(Path(args.input).with_suffix("")) + ".predictions.csv"
        result = stream_predict_file(run, args.input, output, args.text_column, args.batch_size, int8=args.int8,
                                     backend=args.backend, chunk_size=args.chunk_size, progress=not args.quiet)
        print(result.message(cli_lang()))  # with the texts cut to CLASSIFIER_MAX_TEXT_CHARS, if any
        return 0
    predictor = Predictor(run, batch_size=args.batch_size, int8=args.int8, backend=args.backend)
    for text, pred in zip(args.texts, predictor.predict(args.texts)):
        print(_prediction_json(text, pred, predictor if args.explain else None))
    return 0


def _prediction_json(text: str, pred, explainer=None) -> str:
    """One text's answer as a JSON line; with `explainer` (a Predictor), also its top words (classifier/explain.py)."""
    answer = {"text": text, "label": pred.label, "score": round(pred.score, 4),
              "probabilities": {k: round(v, 4) for k, v in pred.probabilities.items()}}
    if explainer is not None:
        from .explain import top_words

        why = explainer.explain(text)
        answer["explanation"] = {"target": why["target"], "towards": top_words(why, 5),
                                 "away": top_words(why, 5, towards=False), "explains": why["explains"]}
    return json.dumps(answer, ensure_ascii=False)


def predict_loop(predictor) -> int:
    """A prompt: type a text, get the label and every class's probability; an empty line or Ctrl-D ends it."""
    answers = {"model": "the fine-tuned model", "ensemble": "the fine-tuned model mixed with TF-IDF",
               "baseline": "the TF-IDF model"}[predictor.decision]
    print(f"Type a text and press Enter; {answers} answers (chosen on validation). An empty line or Ctrl-D quits.")
    while True:
        try:
            text = input("text> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text.strip():
            return 0
        pred = predictor.predict([text])[0]
        print(f"  {pred.label or '(no label)'}  {pred.score:.3f}")
        for name, p in sorted(pred.probabilities.items(), key=lambda item: -item[1]):
            print(f"    {name:<24} {p:.4f}")


def predict_stream(predictor, stream, explain: bool = False) -> int:
    """Standard input is not a terminal: one text per line in, one JSON object per line out, in order. Lines that
    are already waiting are classified together (a batch), so a file piped in is fast and a slow pipe still gets
    each answer as soon as its line arrives."""
    import select

    def waiting() -> bool:
        try:
            return bool(select.select([stream], [], [], 0)[0])
        except (OSError, ValueError):  # not a selectable stream (a StringIO in tests, Windows pipes)
            return True

    from .security import max_text_chars
    from .stream_limits import BoundedLines

    batch: list[str] = []
    # a line longer than CLASSIFIER_MAX_TEXT_CHARS is cut there (its rest is skipped unread into memory)
    for line in BoundedLines(stream, "stdin", cut=True, cap=max_text_chars()):
        text = line.rstrip("\r\n")
        if text.strip():
            batch.append(text)
        if batch and (len(batch) >= predictor.batch_size or not waiting()):
            for t, pred in zip(batch, predictor.predict(batch)):
                print(_prediction_json(t, pred, predictor if explain else None), flush=True)
            batch = []
    if batch:
        for t, pred in zip(batch, predictor.predict(batch)):
            print(_prediction_json(t, pred, predictor if explain else None), flush=True)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .onnx_export import export_onnx, export_summary
    from .runs import resolve_run_dir

    print(export_summary(export_onnx(resolve_run_dir(args.run), args.quantize)))
    return 0


def cmd_adapt(args: argparse.Namespace) -> int:
    from .adapt import AdaptConfig, adapt

    settings = {k: v for k, v in vars(args).items() if k not in ("command", "quiet")}
    summary = adapt(AdaptConfig(**settings), progress=not args.quiet)
    print(f"Adapted {summary['base_model']} on {summary['texts']:,} texts ({summary['objective']}, "
          f"{summary['steps']} steps, {summary['seconds']:.0f}s): held-out loss {summary['held_out_loss_before']:.3f} "
          f"-> {summary['held_out_loss_after']:.3f}. Next: python -m classifier train --data FILE --model "
          f"{args.output}")
    return 0


def cmd_threshold(args: argparse.Namespace) -> int:
    from .binary import save_threshold
    from .runs import resolve_run_dir

    metrics = save_threshold(resolve_run_dir(args.run), args.value, args.label)
    binary = metrics["binary"]
    print(f"Saved: '{binary['positive_label']}' when its probability >= {args.value:g}. On the test set: accuracy "
          f"{metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f}, TPR {binary['tpr']:.4f}, FPR "
          f"{binary['fpr']:.4f}, TNR {binary['tnr']:.4f}, FNR {binary['fnr']:.4f}.")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from .runs import list_runs, runs_root

    if args.compare:
        return _print_comparison(args.compare, args.json)
    if args.leaderboard:
        return _print_leaderboard(args.json)
    infos = list_runs()
    if args.json:
        print(json.dumps([i.to_dict() for i in infos], ensure_ascii=False, indent=2))
        return 0
    if not infos:
        print(f"No runs in {runs_root()}.")
        return 0
    header = f"{'run':44} {'status':11} {'model':24} {'data':22} {'accuracy':>8} {'macro_f1':>8}"
    print(header)
    for info in infos:
        acc = f"{info.accuracy:.4f}" if info.accuracy is not None else "-"
        f1 = f"{info.macro_f1:.4f}" if info.macro_f1 is not None else "-"
        print(f"{info.name[:44]:44} {info.status:11} {info.model[:24]:24} {info.data[:22]:22} {acc:>8} {f1:>8}")
    return 0


def _cell(value, setting: bool = False, seconds: bool = False) -> str:
    from .compare import shown

    return shown(value, setting=setting, seconds=seconds)


def _print_comparison(runs: list[str], as_json: bool) -> int:
    from .compare import METRICS, compare

    result = compare(runs)
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    names = [r.name for r in result.runs]
    width = max(18, *(min(len(n), 30) for n in names))
    print(f"{'':22}" + "".join(f" {n[:30]:>{width}}" for n in names))
    for key in METRICS:
        print(f"{key:22}" + "".join(f" {_cell(r.metrics.get(key), seconds=key.endswith('_seconds')):>{width}}"
                                    for r in result.runs))
    print("\nsettings (* = differs)")
    for row in result.settings_rows():
        mark = "*" if row["differs"] else " "
        values = [_cell(row[n], setting=True)[:width] for n in names]
        print(f"{mark} {row['setting']:20}" + "".join(f" {v:>{width}}" for v in values))
    classes = sorted({c for r in result.runs for c in r.per_class_f1})
    if classes:
        print("\nper-class F1 (test)")
        for name in classes:
            print(f"  {name[:20]:20}" + "".join(f" {_cell(r.per_class_f1.get(name)):>{width}}" for r in result.runs))
    if len({r.data_key for r in result.runs}) > 1:
        print("\nNote: these runs were not trained on the same data; their test sets differ.")
    return 0


def _print_leaderboard(as_json: bool) -> int:
    from .compare import leaderboard

    board = leaderboard()
    if as_json:
        print(json.dumps([[{"run": s.name, "data": s.data, "macro_f1": s.metrics.get("macro_f1"),
                            "accuracy": s.metrics.get("accuracy"), "model": s.settings.get("model"),
                            "strategy": s.settings.get("strategy")} for s in group] for group in board],
                         ensure_ascii=False, indent=2))
        return 0
    if not board:
        print("No finished runs with test results yet.")
    for group in board:
        print(f"\ndata: {group[0].data}")
        for rank, s in enumerate(group, start=1):
            print(f"  {rank:>2}. {s.name[:44]:44} macro_f1 {_cell(s.metrics.get('macro_f1'))}  accuracy "
                  f"{_cell(s.metrics.get('accuracy'))}  {s.settings.get('model')} / {s.settings.get('strategy')}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from .errors import ConfigError
    from .runs import FINAL, load_run_info, request_stop, resolve_run_dir

    run = resolve_run_dir(args.run)
    status = load_run_info(run).status
    if status in FINAL:
        state = f"run_state_{status}"
        raise ConfigError(say("cli_not_training", name=run.name, status=say(state) if state in CATALOGUE else status))
    request_stop(run)
    print(f"Asked {run.name} to stop; it saves last/ after the current step.")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from .evaluation import inspect_file

    print(json.dumps(inspect_file(args.data, args.text_column, args.label_column, args.model),
                     ensure_ascii=False, indent=2))
    return 0


def cmd_label_issues(args: argparse.Namespace) -> int:
    from .label_issues import label_issues_of_file

    report = label_issues_of_file(args.data, args.text_column, args.label_column, args.method, args.model,
                                  args.folds, args.seed, max_score=args.max_score)
    report.write_csv(args.output)
    print(f"{len(report.issues)} likely label error(s) among {report.rows_checked} texts ({report.method}"
          f"{', ' + report.model if report.model else ''}, {report.folds} folds, {report.seconds:g} s): {args.output}")
    return 0


COMMANDS = {"train": cmd_train, "resume": cmd_resume, "evaluate": cmd_evaluate, "predict": cmd_predict,
            "export": cmd_export,
            "threshold": cmd_threshold, "adapt": cmd_adapt,
            "runs": cmd_runs, "stop": cmd_stop, "inspect": cmd_inspect,
            "label-issues": cmd_label_issues}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ClassifierError as exc:
        lang = cli_lang()  # English unless CLASSIFIER_LANG or the locale says Chinese
        print("\n".join(textwrap.wrap(render(say("cli_error", message=message_of(exc)), lang), width=100)),
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: keep the traceback, but in a file
        import tempfile
        import traceback

        with tempfile.NamedTemporaryFile("w", prefix="classifier-error-", suffix=".log", delete=False) as log:
            log.write(traceback.format_exc())
        print(f"Unexpected error ({type(exc).__name__}: {exc}). This is a bug in Text Classifier Studio; the "
              f"details are in {log.name}.", file=sys.stderr)
        return 1
