"""OUT_DIR is written atomically: all files with their manifest, or the old one untouched."""

from __future__ import annotations

import json

import pytest

from optimizer.batch import outputs
from optimizer.batch.outputs import MARKER, is_complete, verify, write_atomic_dir
from optimizer.errors import InputError


def _siblings(path):
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_writes_every_file_and_the_manifest_last(tmp_path):
    out = tmp_path / "out"
    write_atomic_dir(out, {"a.csv": "x,y\n1,2\n", "b.json": b"{}"}, {"problem_id": "p"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a.csv", "b.json"]
    manifest = json.loads((out / MARKER).read_text())
    assert manifest["problem_id"] == "p"
    assert [f["name"] for f in manifest["files"]] == ["a.csv", "b.json"]
    assert verify(out) == []
    assert _siblings(out) == []  # no temporary directory left


def test_replaces_a_previous_run_whole(tmp_path):
    out = tmp_path / "out"
    write_atomic_dir(out, {"old.csv": "1", "kept.csv": "1"})
    write_atomic_dir(out, {"kept.csv": "2"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "kept.csv"]
    assert (out / "kept.csv").read_text() == "2"
    assert _siblings(out) == []


def test_falls_back_when_no_atomic_exchange(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    write_atomic_dir(out, {"a": "1"})
    write_atomic_dir(out, {"a": "2"})
    assert (out / "a").read_text() == "2" and _siblings(out) == []


def test_a_crash_while_writing_leaves_the_old_output(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_atomic_dir(out, {"plan.json": "old", "report.html": "old"})
    real = outputs._write_file
    calls = []

    def crash(path, data):
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(outputs, "_write_file", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomic_dir(out, {"plan.json": "new", "report.html": "new"})
    assert (out / "plan.json").read_text() == "old" and verify(out) == []
    assert _siblings(out) == []


def test_a_crash_before_the_swap_never_looks_complete(tmp_path, monkeypatch):
    out = tmp_path / "out"

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs, "_fsync_dir", stop)
    with pytest.raises(KeyboardInterrupt):
        write_atomic_dir(out, {"a": "1"})
    assert not out.exists() and _siblings(out) == []


def test_refuses_to_replace_a_directory_that_is_not_a_nightly_output(tmp_path):
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(InputError, match="refusing to replace"):
        write_atomic_dir(out, {"a": "1"})
    assert (out / "thesis.tex").read_text() == "precious"
    empty = tmp_path / "empty"
    empty.mkdir()
    write_atomic_dir(empty, {"a": "1"})
    assert is_complete(empty)


def test_verify_finds_tampering(tmp_path):
    out = write_atomic_dir(tmp_path / "out", {"a": "1", "b": "2"})
    (out / "a").write_text("changed")
    (out / "b").unlink()
    assert verify(out) == ["a: content differs from the manifest", "b: missing"]
    (out / MARKER).unlink()
    assert "no _COMPLETE" in verify(out)[0]


@pytest.mark.parametrize("name", ["../x", "", MARKER, "a/b"])
def test_bad_file_names(tmp_path, name):
    with pytest.raises(ValueError, match="bad output file name"):
        write_atomic_dir(tmp_path / "out", {name: "1"})
