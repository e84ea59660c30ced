"""What one text or one line of a predicted file may cost (`predict --input`: stream_predict.py; the whole-file
`evaluation.predict_file`).

- A text longer than CLASSIFIER_MAX_TEXT_CHARS (security.max_text_chars, 100,000 by default; the web app refuses
  such a text) is cut to its first that many characters, counted and reported: one over-long row does not stop a
  job of a million. The model reads only its first max_length tokens (or, for chunked runs, the windows of those
  characters), so the cut changes no answer; OUT.csv's text column holds the cut text.
- A line of a streamed file is read at most `max_line_chars()` characters at a time, so a 2 GB line without a line
  break is never held in memory. A longer line of plain text is cut (its rest skipped, never read whole); in CSV, TSV
  or JSON lines a cut line cannot be parsed, so the command stops with a message naming the line. A CSV row that runs
  over several lines (a quoted field) is bounded the same way.
"""

from __future__ import annotations

from .errors import DataError
from .messages import Message, cli_lang, render, say
from .security import max_text_chars

LINE_CHARS_FLOOR = 32 * 2**20  # 32 Mi characters: a 20 MB text on one line is still read (and then cut)
ROWS_NAMED = 5  # over-long texts named in the summary; the rest are counted


def max_line_chars() -> int:
    """The longest line (or CSV row) read: 32 Mi characters, or 4x CLASSIFIER_MAX_TEXT_CHARS when that is more (a row
    holds other columns, and JSON escapes a character in up to 6)."""
    return max(LINE_CHARS_FLOOR, 4 * max_text_chars())


class BoundedLines:
    """The lines of a text handle opened with newline="" (what `for line in handle` gives), none held longer than
    `cap` characters. `cut`: a longer line is cut to `cap` and its rest skipped; else DataError naming the line.
    `rows` (CSV): the caller calls `row_done()` after each row, and a row over several lines is bounded too."""

    def __init__(self, handle, name: str, cut: bool = False, rows: bool = False, cap: int | None = None) -> None:
        self.handle, self.name, self.cut, self.rows = handle, name, cut, rows
        self.cap = max_line_chars() if cap is None else cap
        self.number = 0  # lines read
        self.pending = 0  # characters of the row being read (rows=True)
        self.row_start = 1

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(self.cap + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > self.cap:
            if not self.cut:
                raise DataError(say("stream_line_too_long", name=self.name, line=self.number, limit=self.cap,
                                    chars=max_text_chars()))
            line = line[:self.cap]
            self._skip_rest()
        if self.rows:
            if self.pending == 0:
                self.row_start = self.number
            self.pending += len(line)
            if self.pending > self.cap:
                raise DataError(say("stream_row_too_long", name=self.name, line=self.row_start, limit=self.cap))
        return line

    def row_done(self) -> None:
        self.pending = 0

    def _skip_rest(self) -> None:
        while True:
            piece = self.handle.readline(self.cap)
            if not piece or piece.endswith(("\n", "\r")):
                return


class LongTexts:
    """Cuts texts over CLASSIFIER_MAX_TEXT_CHARS and remembers which (their numbers, 1-based, = rows of OUT.csv)."""

    def __init__(self) -> None:
        self.limit = max_text_chars()
        self.count = 0
        self.rows: list[int] = []
        self.longest = 0

    def clip(self, text: str, number: int) -> str:
        if len(text) <= self.limit:
            return text
        self.count += 1
        self.longest = max(self.longest, len(text))
        if len(self.rows) < ROWS_NAMED:
            self.rows.append(number)
        return text[:self.limit]

    def clip_all(self, texts: list[str]) -> list[str]:
        return [self.clip(text, number) for number, text in enumerate(texts, start=1)]

    def message(self, output: str) -> Message | None:
        """The summary's sentence about the cut texts; None when there were none."""
        if not self.count:
            return None
        rows = ", ".join(f"{r:,}" for r in self.rows) + (", ..." if self.count > len(self.rows) else "")
        return say("stream_texts_clipped", n=self.count, limit=self.limit, longest=self.longest, rows=rows,
                   output=output)

    def summary(self, output: str, lang: str = "en") -> str:
        """"\n" and that sentence in `lang` (the CLI's summary line), or "" when no text was cut."""
        message = self.message(output)
        return f"\n{render(message, lang)}" if message is not None else ""

    def progress(self) -> str:
        """", N cut to LIMIT chars" for the progress bar (the CLI's language), or ""."""
        if not self.count:
            return ""
        return ", " + render(say("stream_progress_clipped", n=self.count, limit=self.limit), cli_lang())


def clip_texts(texts: list[str]) -> tuple[list[str], LongTexts]:
    """`texts` with every one over CLASSIFIER_MAX_TEXT_CHARS cut, and the record of which were."""
    record = LongTexts()
    return record.clip_all(texts), record
