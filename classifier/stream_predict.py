"""Labelling a file of any size: `python -m classifier predict --run RUN --input FILE --output OUT.csv` (issue 16.2).

The file is read, predicted and written `chunk_size` texts at a time, so memory stays the same for a thousand texts
or a hundred million. Within a chunk, `Predictor` sorts the texts by length before batching (short texts are not
padded to long ones); the rows are written in the input's order. OUT.csv is the same, byte for byte, as the whole-file
`evaluation.predict_file` writes.

Resumable: beside OUT.csv, `OUT.csv.partial.json` records after every chunk how many texts are done and how many
bytes of OUT.csv hold them (written after the rows are on disk). A rerun with the same --output reads that record,
cuts OUT.csv back to the recorded size (a chunk written while the process was killed is dropped, never doubled),
skips the texts already done and continues; the record is removed when the file is complete. A record that belongs
to another input file or model, or that is damaged, stops the command with a message instead of guessing.

Under `torchrun` or `accelerate launch` (RANK and WORLD_SIZE set) process r predicts chunks r, r + W, r + 2W, ...
into OUT.csv.part-r-of-W (each resumable the same way); process 0 then waits for every part and merges them into
OUT.csv in the input's order (chunk k is the next chunk of part k mod W).

Streamed: plain text (one text per line), CSV/TSV (the header and the text column found on the first MB, as
read_table and read_texts find them) and JSON lines. Spreadsheets, Parquet and a JSON array are read whole (their
readers need the whole file) and then predicted and written in chunks.

Bounded per text (stream_limits.py): a text over CLASSIFIER_MAX_TEXT_CHARS is cut to that many characters, counted and
reported in the summary and the progress bar; a line is never read longer than max_line_chars().
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, DataError
from .messages import say
from .stream_limits import BoundedLines, LongTexts

SAMPLE_BYTES = 1 << 20  # what the format, the header and the text column are decided on
STATE_SUFFIX = ".partial.json"
STREAMED = (".txt", ".csv", ".tsv", ".tab", ".jsonl", ".ndjson", "")


@dataclass
class StreamResult:
    output: Path
    texts: int  # rows in OUT.csv
    resumed_after: int  # texts that an earlier, interrupted run had written
    seconds: float
    backend: str
    long_texts: LongTexts | None = None  # the texts cut to CLASSIFIER_MAX_TEXT_CHARS (stream_limits.py)

    def message(self, lang: str = "en") -> str:
        new = self.texts - self.resumed_after
        rate = new / self.seconds if self.seconds > 0 else 0.0
        resumed = f", continuing after {self.resumed_after:,} done before" if self.resumed_after else ""
        cut = self.long_texts.summary(str(self.output), lang) if self.long_texts else ""  # texts cut, if any
        return (f"Wrote {self.texts:,} predictions to {self.output}{resumed} ({new:,} texts in {self.seconds:.1f} s, "
                f"{rate:,.0f} texts/s, {self.backend}).{cut}")


# ----------------------------------------------------------------------------------------------------------------
# reading a file chunk by chunk
# ----------------------------------------------------------------------------------------------------------------
class TextSource:
    """The texts of a file in order (blank texts left out, as read_texts does), and how far the reading is."""

    def __init__(self, path: str | Path, text_column: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise DataError(say("read_no_such_file", path=str(self.path)))
        if self.path.is_dir():
            raise DataError(say("stream_is_folder", path=str(self.path)))
        self.size = self.path.stat().st_size
        if self.size == 0:
            raise DataError(say("read_empty", name=self.path.name))
        self.text_column = text_column
        self._raw = None
        self.whole: list[str] | None = None  # formats read whole
        self.long = LongTexts()  # texts over CLASSIFIER_MAX_TEXT_CHARS, cut (stream_limits.py)
        self._plan()

    def _plan(self) -> None:
        from .data.readers import JSON_EXTENSIONS, _first_line_is_json, decode_bytes

        suffix = self.path.suffix.lower()
        if suffix not in STREAMED:
            self.kind = "whole"
            return
        with self.path.open("rb") as handle:
            head = handle.read(SAMPLE_BYTES)
        if len(head) == SAMPLE_BYTES and b"\n" in head:
            head = head[:head.rfind(b"\n") + 1]
        sample, encoding = decode_bytes(head, self.path.name)
        self.encoding = {"utf-16": "utf-16"}.get(encoding, encoding)
        if suffix in JSON_EXTENSIONS or _first_line_is_json(sample):
            self.kind = "jsonl" if sample.lstrip()[:1] == "{" else "whole"
            return
        lines = [line for line in sample.splitlines() if line.strip()]
        if not lines:
            raise DataError(say("stream_no_texts", name=self.path.name))
        if suffix == ".txt" and self.text_column is None and not any("\t" in line for line in lines[:50]):
            self.kind = "lines"
            return
        self._plan_table(sample, lines)

    def _plan_table(self, sample: str, lines: list[str]) -> None:
        from .data import TEXT_NAMES, detect_columns
        from .data.readers import _read_delimited, _sniff_delimiter

        self.delimiter = _sniff_delimiter(lines)
        try:
            frame = _read_delimited(sample, self.path.name)
        except DataError as exc:
            if "single column" not in str(exc):
                raise
            self.kind, self.width, self.column = "single", 1, 0
            self.header = lines[0].strip().lower() in TEXT_NAMES
            return
        self.kind, self.width = "table", len(frame.columns)
        self.header = not all(c == f"column_{i + 1}" for i, c in enumerate(frame.columns))
        frame.columns = [str(c).strip() for c in frame.columns]
        column = self.text_column
        if column is None:
            column = frame.columns[0] if len(frame.columns) == 1 else detect_columns(frame)[0]
        if column not in frame.columns:
            raise DataError(say("stream_no_column", column=column, columns=", ".join(map(str, frame.columns))))
        self.column = list(frame.columns).index(column)

    def position(self) -> int:
        """Bytes read so far (for the progress bar)."""
        try:
            return self._raw.tell() if self._raw is not None else 0
        except (OSError, ValueError):
            return 0

    def texts(self) -> Iterator[str]:
        if self.kind == "whole":
            from .evaluation import read_texts

            self.whole = read_texts(self.path, self.text_column)
            yield from self.whole
            return
        self._raw = self.path.open("rb")
        handle = io.TextIOWrapper(self._raw, encoding=self.encoding, errors="replace", newline="")
        try:
            yield from {"lines": self._lines, "jsonl": self._jsonl, "single": self._rows,
                        "table": self._rows}[self.kind](handle)
        finally:
            handle.close()

    def _lines(self, handle) -> Iterator[str]:
        for line in BoundedLines(handle, self.path.name, cut=True):  # an endless line is cut, never held whole
            text = line.strip()
            if text:
                yield text

    def _jsonl(self, handle) -> Iterator[str]:
        from .data import TEXT_NAMES

        column = self.text_column
        for number, line in enumerate(BoundedLines(handle, self.path.name), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise DataError(say("stream_not_json_object", name=self.path.name, line=number)) from None
            if not isinstance(record, dict):
                raise DataError(say("stream_not_json_object", name=self.path.name, line=number))
            if column is None:
                column = next((k for k in record if str(k).strip().lower() in TEXT_NAMES), None)
                if column is None:
                    raise DataError(say("stream_no_text_key", name=self.path.name))
            value = record.get(column)
            text = "" if value is None else str(value).strip()
            if text:
                yield text

    def _rows(self, handle) -> Iterator[str]:
        rows = self._tsv(handle) if self.delimiter == "\t" else self._csv(handle)
        first = True
        for row in rows:
            if first and self.header:
                first = False
                continue
            first = False
            if len(row) != self.width and self.width > 1:
                continue  # read_table leaves out rows with another number of columns
            text = row[self.column].strip() if self.column < len(row) else ""
            if text:
                yield text

    def _tsv(self, handle) -> Iterator[list[str]]:
        for line in BoundedLines(handle, self.path.name):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            row = line.split("\t")
            if len(row) > self.width:  # a tab inside the last (text) column
                row = row[:self.width - 1] + ["\t".join(row[self.width - 1:])]
            yield row

    def _csv(self, handle) -> Iterator[list[str]]:
        csv.field_size_limit(2**31 - 1)
        lines = BoundedLines(handle, self.path.name, rows=True)  # a row over several lines is bounded too
        try:
            for row in csv.reader(lines, delimiter=self.delimiter):
                lines.row_done()
                if any(cell.strip() for cell in row):
                    yield row
        except csv.Error as exc:
            raise DataError(say("read_bad_csv", name=self.path.name, reason=str(exc))) from None

    def chunks(self, size: int) -> Iterator[list[str]]:
        chunk: list[str] = []
        for number, text in enumerate(self.texts(), start=1):
            chunk.append(self.long.clip(text, number))  # over CLASSIFIER_MAX_TEXT_CHARS: cut, counted
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


# ----------------------------------------------------------------------------------------------------------------
# the output and its resume record
# ----------------------------------------------------------------------------------------------------------------
def check_output(output: Path, data: Path) -> None:
    if output.is_dir():
        raise ConfigError(say("output_is_folder", output=str(output), example=str(output / "predictions.csv")))
    if output.exists() and data.exists() and output.resolve() == data.resolve():
        raise ConfigError(say("output_is_input"))
    if output.suffix.lower() in (".xlsx", ".parquet", ".json", ".jsonl"):
        raise ConfigError(say("output_not_csv", name=output.name))
    blocking = next((parent for parent in output.parents if parent.is_file()), None)
    if blocking is not None:
        raise ConfigError(say("output_parent_is_file", output=str(output), blocking=str(blocking)))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a parent that is a file, a folder without the right to write
        raise ConfigError(say("output_folder_failed", output=str(output), reason=exc.strerror)) from None
    if not os.access(output.parent, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise ConfigError(say("output_no_permission", output=str(output)))


class PartWriter:
    """One output file written chunk by chunk, with its resume record (see the module docstring)."""

    def __init__(self, path: Path, identity: dict, header: bool) -> None:
        self.path = path
        self.state_path = path.with_name(path.name + STATE_SUFFIX)
        self.identity = identity
        self.header = header
        self.chunks: list[list[int]] = []  # [chunk index, end offset in bytes, texts]
        self.header_bytes = 0
        self.done = False
        self._load()

    def _damaged(self, why: str) -> DataError:
        return DataError(say("stream_record_damaged", record=self.state_path.name, why=why, name=self.path.name))

    def _load(self) -> None:
        if not self.state_path.exists():
            return  # a new output (an existing finished file of that name is replaced)
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            chunks = [[int(a), int(b), int(c)] for a, b, c in state["chunks"]]
            header_bytes = int(state["header_bytes"])
        except (OSError, ValueError, KeyError, TypeError):
            raise self._damaged(say("stream_record_not_json")) from None
        if state.get("identity") != self.identity:
            raise DataError(say("stream_other_output", name=self.path.name, record=self.state_path.name))
        end = chunks[-1][1] if chunks else header_bytes
        size = self.path.stat().st_size if self.path.is_file() else -1
        if size < end or any(b < a for (_, a, _), (_, b, _) in zip(chunks, chunks[1:])):
            raise self._damaged(say("stream_record_size", end=end, name=self.path.name, size=max(size, 0)))
        self.chunks, self.header_bytes, self.done = chunks, header_bytes, bool(state.get("done"))

    @property
    def resumed(self) -> bool:
        return self.state_path.exists()

    @property
    def texts_done(self) -> int:
        return sum(c[2] for c in self.chunks)

    def has(self, index: int) -> bool:
        return any(c[0] == index for c in self.chunks)

    def start(self, header_line: str) -> None:
        if self.chunks or (self.resumed and self.header_bytes):
            return
        data = header_line.encode("utf-8") if self.header else b""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        self.header_bytes = len(data)
        self._save()

    def append(self, index: int, rows: str, count: int) -> None:
        end = self.chunks[-1][1] if self.chunks else self.header_bytes
        with self.path.open("r+b") as handle:
            handle.seek(end)
            handle.truncate()  # whatever an interrupted run wrote after the last recorded chunk
            handle.write(rows.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            self.chunks.append([index, handle.tell(), count])
        self._save()

    def finish(self, keep_record: bool) -> None:
        end = self.chunks[-1][1] if self.chunks else self.header_bytes
        with self.path.open("r+b") as handle:
            handle.truncate(end)
        self.done = True
        if keep_record:
            self._save()
        else:
            self.state_path.unlink(missing_ok=True)

    def _save(self) -> None:
        from .runs import atomic_write_text

        atomic_write_text(self.state_path, json.dumps({"identity": self.identity, "header_bytes": self.header_bytes,
                                                       "chunks": self.chunks, "done": self.done}))


def identity_of(data: Path, predictor, chunk_size: int, world: int, text_column: str | None = None,
                int8: bool = False) -> dict:
    """What the rows depend on: a rerun continues only when all of it is the same (else it starts again)."""
    from .bundled.cache import sha256_file
    from .onnx_export import source_stamp
    from .security import max_text_chars

    stat, meta = data.stat(), predictor.path / "classifier.json"  # thresholds and the decision live there
    return {"input": str(data.resolve()), "input_size": stat.st_size, "input_mtime_ns": stat.st_mtime_ns,
            "model": str(predictor.path.resolve()), "weights": source_stamp(predictor.path),
            "meta": sha256_file(meta) if meta.is_file() else None, "text_column": text_column, "int8": int8,
            "backend": predictor.backend, "ensemble": predictor.ensemble_weight, "chunk_size": chunk_size,
            "world": world, "max_text_chars": max_text_chars()}


# ----------------------------------------------------------------------------------------------------------------
# the whole way
# ----------------------------------------------------------------------------------------------------------------
def distributed() -> tuple[int, int]:
    """(rank, world size) under torchrun / accelerate launch; (0, 1) otherwise."""
    try:
        rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 0, 1
    return (rank, world) if world > 1 and 0 <= rank < world else (0, 1)


def _share_cpu(world: int) -> None:
    """Processes on one CPU split its cores instead of each starting a thread per core."""
    if world <= 1:
        return
    import torch

    threads = max((os.cpu_count() or 1) // world, 1)
    torch.set_num_threads(threads)
    os.environ.setdefault("CLASSIFIER_ONNX_THREADS", str(threads))


def stream_predict_file(run: str | Path, data: str | Path, output: str | Path, text_column: str | None = None,
                        batch_size: int = 32, int8: bool = False, backend: str = "auto", chunk_size: int = 10_000,
                        progress: bool = True, rank: int | None = None, world: int | None = None) -> StreamResult:
    """Label every text of `data` into the CSV `output`, chunk by chunk, resumably (see the module docstring)."""
    from .evaluation import predicted_labels, prediction_frame
    from .predict import Predictor
    from .runs import resolve_run_dir

    started = time.perf_counter()
    data, output = Path(data), Path(output)
    check_output(output, data)
    if rank is None or world is None:
        rank, world = distributed()
    source = TextSource(data, text_column)
    _share_cpu(world)
    device = None
    if world > 1 and os.environ.get("LOCAL_RANK", "").isdigit():
        import torch

        device = f"cuda:{os.environ['LOCAL_RANK']}" if torch.cuda.is_available() else None
    predictor = Predictor(resolve_run_dir(run), device=device, batch_size=batch_size, int8=int8, backend=backend)
    identity = identity_of(data, predictor, chunk_size, world, text_column, int8)
    part = output if world == 1 else output.with_name(f"{output.name}.part-{rank}-of-{world}")
    writer = PartWriter(part, identity, header=world == 1)
    before = writer.texts_done
    header = _header(predictor)
    writer.start(header)
    bar = _Progress(source, progress and rank == 0, before)
    try:
        for index, chunk in enumerate(source.chunks(chunk_size)):
            if index % world != rank or writer.has(index):
                bar.skipped(len(chunk))
                continue
            probs = predictor.predict_proba(chunk)
            rows = prediction_frame(chunk, {"label": predicted_labels(predictor, probs)}, probs, predictor.labels)
            writer.append(index, rows.to_csv(index=False, header=False), len(chunk))
            bar.update(len(chunk))
    finally:
        bar.close()
    writer.finish(keep_record=world > 1)
    total = writer.texts_done
    if world > 1:
        total = merge_parts(output, world, identity, header) if rank == 0 else total
    return StreamResult(output, total, before, time.perf_counter() - started, predictor.backend, source.long)


def _header(predictor) -> str:
    """The CSV's header line(s), as the whole-file writer makes them."""
    import numpy as np
    import pandas as pd

    from .evaluation import prediction_frame

    one = prediction_frame([""], {"label": [""]}, np.zeros((1, len(predictor.labels))), predictor.labels)
    return pd.DataFrame(columns=one.columns).to_csv(index=False)


class _Progress:
    """A tqdm bar over the input's bytes (so its ETA is right without counting the texts first), with texts/s."""

    def __init__(self, source: TextSource, show: bool, before: int) -> None:
        self.source, self.texts, self.started = source, 0, time.perf_counter()
        self.bar = None
        if show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=source.size, unit="B", unit_scale=True, unit_divisor=1024, desc="predict",
                            dynamic_ncols=True, mininterval=1.0)
        self.before = before

    def _move(self) -> None:
        if self.bar is not None:
            position = self.source.position() if self.source.kind != "whole" else self.source.size
            self.bar.update(max(position - self.bar.n, 0))

    def skipped(self, count: int) -> None:
        self._move()

    def update(self, count: int) -> None:
        self.texts += count
        if self.bar is not None:
            rate = self.texts / max(time.perf_counter() - self.started, 1e-9)
            self.bar.set_postfix_str(f"{self.before + self.texts:,} texts, {rate:,.0f} texts/s"
                                     f"{self.source.long.progress()}", refresh=False)  # and the texts cut so far
        self._move()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def merge_parts(output: Path, world: int, identity: dict, header: str, poll: float = 2.0) -> int:
    """Process 0: wait for every part, then write OUT.csv from them in the input's order; returns the rows."""
    writers = []
    for rank in range(world):
        part = output.with_name(f"{output.name}.part-{rank}-of-{world}")
        while True:
            writer = PartWriter(part, identity, header=False) if part.with_name(part.name + STATE_SUFFIX).exists() \
                else None
            if writer is not None and writer.done:
                break
            time.sleep(poll)
        writers.append(writer)
    pieces = sorted((index, rank, start, end, count) for rank, w in enumerate(writers)
                    for (index, end, count), start in zip(w.chunks, [w.header_bytes] + [c[1] for c in w.chunks]))
    from .runs import atomic_write_text

    tmp = output.with_name(f".{output.name}.merging")
    atomic_write_text(tmp, header)
    handles = {rank: writers[rank].path.open("rb") for rank in range(world)}
    try:
        with tmp.open("ab") as out:
            for _, rank, start, end, _ in pieces:
                handles[rank].seek(start)
                remaining = end - start
                while remaining > 0:
                    block = handles[rank].read(min(remaining, 1 << 20))
                    out.write(block)
                    remaining -= len(block)
            out.flush()
            os.fsync(out.fileno())
    finally:
        for handle in handles.values():
            handle.close()
    os.replace(tmp, output)
    for writer in writers:
        writer.path.unlink(missing_ok=True)
        writer.state_path.unlink(missing_ok=True)
    return sum(p[4] for p in pieces)
