"""Issue 16.1-2: the ONNX export of a trained run against its PyTorch model, and streamed, resumable prediction of a
file against the whole-file writer (smoke sizes; bench/run.py --only onnx,stream measures them)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SMS

pytest.importorskip("onnxruntime")


def said(capsys) -> str:
    """What the command wrote on stderr, its line wrapping undone."""
    return " ".join(capsys.readouterr().err.split())


def sms_texts(count: int) -> list[str]:
    lines = SMS.read_text(encoding="utf-8").splitlines()[1:count + 1]
    return [line.split("\t", 1)[1] for line in lines]


@pytest.fixture(scope="module")
def onnx_run(sms_run, tmp_path_factory):
    """A copy of the trained SMS run (the shared fixture must stay PyTorch-only), exported with int8."""
    from classifier.onnx_export import export_onnx

    run = tmp_path_factory.mktemp("onnx") / "sms"
    shutil.copytree(sms_run.run_dir, run, ignore=shutil.ignore_patterns("checkpoints"))
    export_onnx(run, quantize="int8")
    return run


def test_export_writes_a_loadable_folder(onnx_run):
    import onnxruntime as ort
    from transformers import AutoTokenizer

    from classifier.predict import Predictor

    folder = onnx_run / "onnx"
    assert {"model.onnx", "model_quantized.onnx", "config.json", "classifier.json", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()}
    meta = json.loads((folder / "classifier.json").read_text())
    assert meta["onnx"]["max_abs_logit_difference"] < 1e-3 and meta["labels"] == ["ham", "spam"]
    # plain onnxruntime, as the README shows it
    tokenizer = AutoTokenizer.from_pretrained(folder)
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    texts = sms_texts(8)
    encoded = tokenizer(texts, padding=True, truncation=True, max_length=meta["max_length"], return_tensors="np")
    feed = {i.name: encoded[i.name].astype(np.int64) for i in session.get_inputs()}
    logits = session.run(["logits"], feed)[0]
    reference = Predictor(onnx_run, backend="torch").predict_logits(texts)
    assert np.abs(logits - reference).max() < 1e-3


def test_onnx_predictor_matches_pytorch(onnx_run):
    from classifier.predict import Predictor

    texts = sms_texts(240)
    fast, slow = Predictor(onnx_run), Predictor(onnx_run, backend="torch")
    assert (fast.backend, slow.backend) == ("onnx", "torch")
    m_fast, m_slow = fast.model_proba(texts), slow.model_proba(texts)  # the forward pass ONNX replaces
    assert np.abs(m_fast - m_slow).max() <= 1e-3 and (m_fast.argmax(1) == m_slow.argmax(1)).all()
    # what the run answers, with its validated ensemble
    assert [p.label for p in fast.predict(texts[:80])] == [p.label for p in slow.predict(texts[:80])]
    int8 = Predictor(onnx_run, int8=True)
    assert int8.backend == "onnx" and int8.onnx.path.name == "model_quantized.onnx"
    assert (int8.model_proba(texts).argmax(1) == m_slow.argmax(1)).mean() >= 0.97
    assert fast.model is not None  # the PyTorch model (explanations) still loads on demand


def test_chunks_and_multilabel_thresholds_stay_outside_the_graph(onnx_run, tmp_path):
    """Only the forward pass is replaced: chunk windows with max pooling and multi-label thresholds read as before."""
    from classifier.predict import Predictor
    from classifier.run_folder import ModelMeta

    run = tmp_path / "variant"
    shutil.copytree(onnx_run, run)
    meta = ModelMeta.read(run / "best")
    meta.truncation, meta.max_length, meta.chunk_pooling = "chunk", 16, "max"
    meta.multi_label, meta.thresholds, meta.ensemble = True, [0.3, 0.9], None
    meta.write(run / "best")
    texts = sms_texts(40)
    fast, slow = Predictor(run), Predictor(run, backend="torch")
    assert fast.backend == "onnx" and fast.truncation == "chunk" and fast.multi_label
    assert np.abs(fast.predict_proba(texts) - slow.predict_proba(texts)).max() <= 1e-3
    assert [p.labels for p in fast.predict(texts)] == [p.labels for p in slow.predict(texts)]


def test_stale_or_missing_export_falls_back(onnx_run, tmp_path):
    from classifier.errors import RunError
    from classifier.predict import Predictor

    run = tmp_path / "stale"
    shutil.copytree(onnx_run, run)
    weights = run / "best" / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))  # retrained weights
    assert Predictor(run).backend == "torch"
    with pytest.raises(RunError, match="no up-to-date ONNX export"):
        Predictor(run, backend="onnx")


def test_a_damaged_export_falls_back_to_pytorch_in_auto(onnx_run, tmp_path):
    from classifier.errors import RunError
    from classifier.predict import Predictor

    run = tmp_path / "damaged"
    shutil.copytree(onnx_run, run)
    model = run / "onnx" / "model.onnx"
    model.write_bytes(model.read_bytes()[:1000])  # truncated, its stamp still matching best/
    predictor = Predictor(run)
    assert predictor.backend == "torch" and predictor.predict("WINNER! Claim your prize")[0].label in ("ham", "spam")
    with pytest.raises(RunError, match="cannot be loaded"):
        Predictor(run, backend="onnx")
    fp32_only = tmp_path / "fp32-only"
    shutil.copytree(onnx_run, fp32_only)
    (fp32_only / "onnx" / "model_quantized.onnx").unlink()
    with pytest.raises(RunError, match="int8"):  # int8 asked of the ONNX backend with only an fp32 export
        Predictor(fp32_only, backend="onnx", int8=True)
    assert Predictor(fp32_only, int8=True).backend == "torch"  # auto: PyTorch's dynamic int8, as before


def test_export_refuses_a_run_that_is_training_or_whose_weights_change(onnx_run, tmp_path, monkeypatch):
    import classifier.onnx_export as onnx_export
    import classifier.runs as runs
    from classifier.errors import RunError

    run = tmp_path / "busy"
    shutil.copytree(onnx_run, run, ignore=shutil.ignore_patterns("onnx"))
    monkeypatch.setattr(runs, "training_pid", lambda folder: 4242)
    with pytest.raises(RunError, match="still training"):
        onnx_export.export_onnx(run)
    monkeypatch.undo()
    real = onnx_export._copy_companions

    def and_best_is_replaced(predictor, source, work, entry, seconds):  # a training writes best/ meanwhile
        real(predictor, source, work, entry, seconds)
        weights = source / "model.safetensors"
        os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))

    monkeypatch.setattr(onnx_export, "_copy_companions", and_best_is_replaced)
    with pytest.raises(RunError, match="changed while they were exported"):
        onnx_export.export_onnx(run)
    assert not (run / "onnx").exists()


def test_decoder_keeps_last_token_pooling(tmp_path, onnx_run):
    """A (tiny, random) GPT-style decoder classifier: the head reads the last non-pad token, padded batches too."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

    from classifier.onnx_export import export_onnx
    from classifier.predict import Predictor

    tokenizer = AutoTokenizer.from_pretrained(onnx_run / "best")
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, pad_token_id=tokenizer.pad_token_id,
                         num_labels=2, id2label={0: "ham", 1: "spam"}, label2id={"ham": 0, "spam": 1})
    folder = tmp_path / "decoder"
    LlamaForSequenceClassification(config).eval().save_pretrained(folder)
    tokenizer.model_input_names = ["input_ids", "attention_mask"]
    tokenizer.save_pretrained(folder)
    (folder / "classifier.json").write_text(json.dumps({"max_length": 48, "truncation": "head"}))
    export_onnx(folder)
    texts = sms_texts(40)
    fast, slow = Predictor(folder), Predictor(folder, backend="torch")
    assert fast.backend == "onnx"
    assert np.abs(fast.predict_logits(texts) - slow.predict_logits(texts)).max() < 1e-3


def test_export_cli_errors(tmp_path, capsys):
    from classifier.cli import main

    assert main(["export", "--run", str(tmp_path / "nothing"), "--format", "onnx"]) == 2
    assert "No run folder" in said(capsys)
    (tmp_path / "empty").mkdir()
    assert main(["export", "--run", str(tmp_path / "empty")]) == 2
    assert "no trained model" in said(capsys)


# ----------------------------------------------------------------------------------------------------------------
# streaming
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sms_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "sms.tsv"
    lines = SMS.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:701]) + "\n\n", encoding="utf-8")  # header, 700 rows, a blank line
    return path


@pytest.fixture(scope="module")
def whole_output(onnx_run, sms_file, tmp_path_factory) -> bytes:
    from classifier.evaluation import predict_file

    out = tmp_path_factory.mktemp("whole") / "whole.csv"
    predict_file(onnx_run, sms_file, out)
    return out.read_bytes()


def test_stream_equals_whole_file(onnx_run, sms_file, whole_output, tmp_path):
    from classifier.stream_predict import STATE_SUFFIX, stream_predict_file

    out = tmp_path / "stream.csv"
    result = stream_predict_file(onnx_run, sms_file, out, chunk_size=97, progress=False)
    assert result.texts == 700 and result.backend == "onnx"
    assert out.read_bytes() == whole_output
    assert not (tmp_path / ("stream.csv" + STATE_SUFFIX)).exists()
    texts = tmp_path / "texts.txt"  # one text per line, streamed as lines
    texts.write_text("\n".join(sms_texts(50)) + "\n", encoding="utf-8")
    from classifier.evaluation import predict_file

    predict_file(onnx_run, texts, tmp_path / "w.csv")
    stream_predict_file(onnx_run, texts, tmp_path / "s.csv", chunk_size=7, progress=False)
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "w.csv").read_bytes()


def test_stream_resumes_without_duplicates(onnx_run, sms_file, whole_output, tmp_path, monkeypatch):
    from classifier.predict import Predictor
    from classifier.stream_predict import stream_predict_file

    out = tmp_path / "out.csv"
    real = Predictor.predict_proba
    calls = {"n": 0}

    def dying(self, texts):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # killed in the middle of the fourth chunk
        return real(self, texts)

    monkeypatch.setattr(Predictor, "predict_proba", dying)
    with pytest.raises(KeyboardInterrupt):
        stream_predict_file(onnx_run, sms_file, out, chunk_size=100, progress=False)
    monkeypatch.setattr(Predictor, "predict_proba", real)
    with out.open("ab") as handle:
        handle.write(b"half a row written when the process was kil")  # after the last recorded chunk
    result = stream_predict_file(onnx_run, sms_file, out, chunk_size=100, progress=False)
    assert result.resumed_after == 300 and result.texts == 700
    assert out.read_bytes() == whole_output
    # a rerun continues only with what the rows depend on unchanged: the text column, int8, the run's thresholds
    from classifier.stream_predict import identity_of

    predictor = Predictor(onnx_run)
    same = identity_of(sms_file, predictor, 100, 1)
    assert identity_of(sms_file, predictor, 100, 1, text_column="text") != same
    assert identity_of(sms_file, predictor, 100, 1, int8=True) != same


def test_stream_under_two_processes_merges_in_input_order(onnx_run, sms_file, whole_output, tmp_path):
    from classifier.stream_predict import stream_predict_file

    out = tmp_path / "merged.csv"
    part = stream_predict_file(onnx_run, sms_file, out, chunk_size=64, progress=False, rank=1, world=2)
    assert 0 < part.texts < 700 and not out.exists()
    result = stream_predict_file(onnx_run, sms_file, out, chunk_size=64, progress=False, rank=0, world=2)
    assert result.texts == 700 and out.read_bytes() == whole_output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merged.csv"]


def test_stream_hostile_paths(onnx_run, sms_file, tmp_path, capsys):
    from classifier.cli import main

    base = ["predict", "--run", str(onnx_run), "--quiet"]
    assert main(base + ["--input", str(tmp_path / "missing.csv"), "--output", str(tmp_path / "o.csv")]) == 2
    assert "does not exist" in said(capsys)
    assert main(base + ["--input", str(sms_file), "--output", str(tmp_path)]) == 2
    assert "is a folder" in said(capsys)
    assert main(base + ["--input", str(sms_file), "--output", str(sms_file)]) == 2
    assert "is the input file" in said(capsys)
    assert main(base + ["--input", str(sms_file), "--output", str(sms_file / "out.csv")]) == 2
    assert "is a file, not a folder" in said(capsys)
    out = tmp_path / "o.csv"
    out.write_text("text,label\n")
    (tmp_path / "o.csv.partial.json").write_text("{not json")
    assert main(base + ["--input", str(sms_file), "--output", str(out)]) == 2
    assert "damaged" in said(capsys)
    (tmp_path / "o.csv.partial.json").write_text(json.dumps({"identity": {"input": "other"}, "header_bytes": 0,
                                                             "chunks": []}))
    assert main(base + ["--input", str(sms_file), "--output", str(out)]) == 2
    assert "another input file or model" in said(capsys)
    (tmp_path / "o.csv.partial.json").unlink()
    assert main(base + ["--input", str(sms_file), "--output", str(out)]) == 0
    assert "700 predictions" in capsys.readouterr().out


def test_train_export_flag_exports_after_the_run(onnx_run, tmp_path):
    """`train --export onnx`: the setting exists (CLI flag from the declaration) and the step after the run exports
    (here on a finished run's copy; a failed export is only logged)."""
    from classifier.cli import build_parser
    from classifier.training.run import _export_onnx

    args = build_parser().parse_args(["train", "--data", "x.csv", "--export", "onnx"])
    assert args.export == "onnx"
    run = tmp_path / "trained"
    shutil.copytree(onnx_run, run, ignore=shutil.ignore_patterns("onnx"))
    said_events: list[str] = []

    class Events:
        def log(self, message: str) -> None:
            said_events.append(message)

    _export_onnx(run, Events())
    assert (run / "onnx" / "model.onnx").is_file() and "Exported for ONNX Runtime" in said_events[0]
    (run / "best" / "model.safetensors").write_bytes(b"truncated")  # a damaged run: said, not raised
    _export_onnx(run, Events())
    assert "ONNX export failed" in said_events[1]


# ----------------------------------------------------------------------------------------------------------------
# bounded per text: a 20 MB text, an endless line (classifier/stream_limits.py)
# ----------------------------------------------------------------------------------------------------------------
def test_stream_cuts_a_20_mb_text_and_reports_it(onnx_run, sms_file, whole_output, tmp_path, capsys, caplog):
    """The attack: one 20 MB text in the middle of the file. Every row is predicted, in the input's order; the long
    one is cut to CLASSIFIER_MAX_TEXT_CHARS (its label read from its first part) and named in the summary."""
    import pandas as pd

    from classifier.cli import main
    from classifier.evaluation import predict_file

    lines = sms_file.read_text(encoding="utf-8").splitlines()
    huge = "WINNER!! Claim your prize now, call 09061701461. " * (20 * 2**20 // 50)  # 20 MiB on one line
    attack = tmp_path / "attack.tsv"
    attack.write_text("\n".join(lines[:351] + ["spam\t" + huge] + lines[351:]) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["predict", "--run", str(onnx_run), "--quiet", "--input", str(attack), "--output", str(out),
                 "--chunk-size", "97"]) == 0
    summary = " ".join(capsys.readouterr().out.split())
    assert "Wrote 701 predictions" in summary
    assert (f"1 text(s) had more than 100,000 characters (CLASSIFIER_MAX_TEXT_CHARS; the longest {len(huge.strip()):,})"
            in summary and "(after the header): 351." in summary)
    read = dict(dtype=str, keep_default_na=False)
    streamed = pd.read_csv(out, **read)
    assert len(streamed) == 701 and streamed["text"][350] == huge[:100_000]
    assert streamed["label"][350] in ("ham", "spam")
    whole = pd.read_csv(__import__("io").BytesIO(whole_output), **read)
    pd.testing.assert_frame_equal(streamed.drop(index=350).reset_index(drop=True), whole)  # the rest as before
    caplog.set_level("WARNING")
    assert predict_file(onnx_run, attack, tmp_path / "whole.csv") == 701  # the whole-file path cuts the same way
    assert (tmp_path / "whole.csv").read_bytes() == out.read_bytes()
    assert "1 text(s) had more than 100,000 characters" in caplog.text


def test_a_line_is_never_read_longer_than_the_cap(tmp_path, monkeypatch):
    """A line without a line break is read at most max_line_chars() at a time: in a .txt file it is cut (the rest
    skipped), in CSV / TSV / JSON lines the command stops naming the line; a CSV quote left open is bounded too."""
    import tracemalloc

    import classifier.stream_limits as limits
    from classifier.errors import DataError
    from classifier.stream_predict import TextSource

    monkeypatch.setattr(limits, "LINE_CHARS_FLOOR", 1000)
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT_CHARS", "100")
    assert limits.max_line_chars() == 1000
    endless = "x" * 30_000_000  # 30 MB, no line break
    txt = tmp_path / "texts.txt"
    txt.write_text(f"first text\n{endless}\nlast text\n", encoding="utf-8")
    source = TextSource(txt)
    tracemalloc.start()
    chunks = list(source.chunks(10))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert chunks == [["first text", "x" * 100, "last text"]] and peak < 2_000_000  # never held whole
    assert (source.long.count, source.long.rows, source.long.longest) == (1, [2], 1000)
    del endless
    long_line = "y" * 5000
    cases = {"t.csv": f"text,label\nhello,a\n\"{long_line}\",b\n", "t.tsv": f"text\tlabel\nhello\ta\n{long_line}\tb\n",
             "t.jsonl": f'{{"text": "hello"}}\n{{"text": "{long_line}"}}\n'}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        with pytest.raises(DataError, match=f"{name}: line {3 if name != 't.jsonl' else 2} is longer than 1,000 "
                                            "characters"):
            list(TextSource(path).chunks(10))
    open_quote = tmp_path / "open.csv"  # the quote after the first MB (the part the format is decided on)
    open_quote.write_text("text,label\n" + "hello there,a\n" * 80_000 + '"never closed,b\n' + "more, on\n" * 200,
                          encoding="utf-8")
    with pytest.raises(DataError, match="open.csv: the row starting on line 80,002 runs over 1,000 characters"):
        list(TextSource(open_quote).chunks(10))
    fine = tmp_path / "fine.csv"  # a quoted text over several lines, under the cap, still reads
    fine.write_text('text,label\n"two\nlines",a\nthird,b\n', encoding="utf-8")
    assert list(TextSource(fine).chunks(10)) == [["two\nlines", "third"]]
