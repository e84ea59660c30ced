"""classifier.bundled.cache: the one convert-and-cache routine, driven with a tiny fake model (no real weights)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from classifier.bundled import cache
from classifier.bundled.cache import Bundle, ensure_folder, read_marker


class Missing(ImportError):
    pass


class Fake:
    """A source file in a fake package and a converter that copies it; counts conversions."""

    def __init__(self, tmp_path: Path) -> None:
        self.source = tmp_path / "pkg" / "model.bin"
        self.source.parent.mkdir()
        self.source.write_bytes(b"weights v1")
        self.installed = True
        self.conversions = 0
        self.fail = False

    def find_source(self) -> Path:
        if not self.installed:
            raise Missing("pip install fake-model")
        return self.source

    def convert(self, source: Path, folder: Path) -> None:
        self.conversions += 1
        (folder / "model.safetensors").write_bytes(source.read_bytes())
        if self.fail:
            raise RuntimeError("killed mid-way")

    def bundle(self, version: int = 1) -> Bundle:
        return Bundle(name="fake-model", version=version, marker="fake-conversion.json",
                      find_source=self.find_source, missing=Missing, convert=self.convert)


@pytest.fixture
def fake(tmp_path: Path) -> Fake:
    return Fake(tmp_path)


def _touch(path: Path, seconds_later: int = 10) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds_later * 10**9))


def test_converts_once_then_serves_the_cache(fake: Fake, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    folder = ensure_folder(fake.bundle(), root)
    assert folder == root / "fake-model" and (folder / "model.safetensors").read_bytes() == b"weights v1"
    marker = read_marker(folder, "fake-conversion.json")
    assert marker["converter_version"] == 1 and marker["source_size"] == len(b"weights v1")
    assert len(marker["source_sha256"]) == 64
    assert ensure_folder(fake.bundle(), root) == folder and fake.conversions == 1
    assert sorted(p.name for p in root.iterdir()) == [".fake-model.lock", "fake-model"]  # no temp folder left


def test_every_file_gets_the_umask_mode(fake: Fake, tmp_path: Path) -> None:
    def private(source: Path, folder: Path) -> None:  # as safetensors does
        (folder / "model.safetensors").write_bytes(b"w")
        os.chmod(folder / "model.safetensors", 0o600)

    bundle = Bundle(name="m", version=1, marker="c.json", find_source=fake.find_source, missing=Missing,
                    convert=private)
    folder = ensure_folder(bundle, tmp_path)
    assert (folder / "model.safetensors").stat().st_mode & 0o777 == (folder / "c.json").stat().st_mode & 0o777


def test_cache_dir_defaults_to_the_environment(fake: Fake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "env-cache"))
    assert ensure_folder(fake.bundle()) == tmp_path / "env-cache" / "fake-model"


def test_a_reinstalled_source_with_the_same_bytes_is_not_rebuilt(fake: Fake, tmp_path: Path) -> None:
    folder = ensure_folder(fake.bundle(), tmp_path)
    _touch(fake.source)
    assert ensure_folder(fake.bundle(), tmp_path) == folder and fake.conversions == 1
    # the marker learnt the new mtime, so the next call needs no checksum
    assert read_marker(folder, "fake-conversion.json")["source_mtime_ns"] == fake.source.stat().st_mtime_ns


@pytest.mark.parametrize("change", ["contents", "version"])
def test_a_changed_source_or_converter_rebuilds_with_a_log_line(fake: Fake, tmp_path: Path, change: str,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    folder = ensure_folder(fake.bundle(), tmp_path)
    version = 1
    if change == "contents":
        fake.source.write_bytes(b"weights v2")  # same size, new bytes
        _touch(fake.source)
    else:
        version = 2
    with caplog.at_level(logging.WARNING, logger=cache.__name__):
        assert ensure_folder(fake.bundle(version), tmp_path) == folder
    assert fake.conversions == 2
    assert (folder / "model.safetensors").read_bytes() == fake.source.read_bytes()
    assert any(r.getMessage().startswith(f"Rebuilding {folder}") for r in caplog.records), caplog.text
    assert read_marker(folder, "fake-conversion.json")["converter_version"] == version


def test_a_marker_from_before_checksums_is_kept_and_upgraded(fake: Fake, tmp_path: Path) -> None:
    folder = tmp_path / "fake-model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights v1")
    st = fake.source.stat()
    legacy = {"converter_version": 1, "source_file": "model.bin", "source_size": st.st_size,
              "source_mtime_ns": st.st_mtime_ns}
    (folder / "fake-conversion.json").write_text(json.dumps(legacy))
    assert ensure_folder(fake.bundle(), tmp_path) == folder and fake.conversions == 0
    assert "source_sha256" in read_marker(folder, "fake-conversion.json")
    # without the checksum, a moved mtime could hide any change: such a legacy folder is rebuilt
    (folder / "fake-conversion.json").write_text(json.dumps(legacy))
    _touch(fake.source)
    ensure_folder(fake.bundle(), tmp_path)
    assert fake.conversions == 1


def test_an_interrupted_conversion_leaves_the_old_folder_and_no_temp(fake: Fake, tmp_path: Path) -> None:
    folder = ensure_folder(fake.bundle(), tmp_path)
    fake.fail = True
    with pytest.raises(RuntimeError):
        ensure_folder(fake.bundle(version=2), tmp_path)
    assert read_marker(folder, "fake-conversion.json")["converter_version"] == 1  # the old one, intact
    assert not list(tmp_path.glob(".fake-model.tmp-*")) and not list(tmp_path.glob(".fake-model.old-*"))


def test_a_folder_without_marker_or_files_is_rebuilt(fake: Fake, tmp_path: Path) -> None:
    folder = ensure_folder(fake.bundle(), tmp_path)
    (folder / "model.safetensors").unlink()
    ensure_folder(fake.bundle(), tmp_path)
    (folder / "fake-conversion.json").unlink()
    ensure_folder(fake.bundle(), tmp_path)
    assert fake.conversions == 3 and (folder / "model.safetensors").is_file()


def test_without_the_package_a_converted_folder_still_serves(fake: Fake, tmp_path: Path) -> None:
    folder = ensure_folder(fake.bundle(), tmp_path / "done")
    fake.installed = False
    assert ensure_folder(fake.bundle(), tmp_path / "done") == folder
    with pytest.raises(Missing, match="pip install fake-model"):
        ensure_folder(fake.bundle(), tmp_path / "empty")
    with pytest.raises(Missing):  # a folder from another converter version does not count
        ensure_folder(fake.bundle(version=2), tmp_path / "done")
