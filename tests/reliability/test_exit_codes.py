"""Exit codes are the README's: an output that cannot be written is refused (rc 2) before any
solving, files get the umask's mode, a killed night's temporary directory is cleaned by the next
run, error counts are the true counts, and the service answers deep JSON with invalid_json."""

from __future__ import annotations

import fcntl
import os
import re
import stat
from pathlib import Path
from typing import Any

import proc_helpers as h
import pytest
from contract_cases import EXAMPLE

from optimizer import cli
from optimizer.batch.outputs import clean_stale, verify, write_atomic_dir
from optimizer.errors import SolverError
from optimizer.io import write_text_atomic

DEMO = h.REPO / "scenarios" / "demo"


def _blocked(tmp_path: Path) -> Path:
    """A directory path that cannot be created, even by root: its parent is a file."""
    (tmp_path / "a-file").write_text("x")
    return tmp_path / "a-file" / "out"


@pytest.fixture
def no_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("solved before checking the output")

    # Each command module imports its function by name: patch it there.
    monkeypatch.setattr("optimizer.dispatch.cli.solve", refuse)
    monkeypatch.setattr("optimizer.batch.cli.run_nightly", refuse)
    monkeypatch.setattr("optimizer.parts.cli.plan_policy", refuse)
    monkeypatch.setattr("optimizer.scenario.cli.run_scenarios", refuse)
    monkeypatch.setattr("optimizer.dispatcher.cli.explain_plan", refuse)
    monkeypatch.setattr("optimizer.report.cli.monthly_report", refuse)


@pytest.mark.parametrize(
    "command", ["plan", "nightly", "parts policy", "explain", "scenario", "report monthly"]
)
def test_unwritable_output_is_rc_2_before_solving(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_solving: None
) -> None:
    out = _blocked(tmp_path)
    argv = {
        "plan": ["plan", str(EXAMPLE), "-o", str(out / "plan.json")],
        "nightly": ["nightly", str(DEMO), "-o", str(out / "night")],
        "parts policy": ["parts", "policy", str(DEMO), "-o", str(out)],
        "explain": ["explain", str(EXAMPLE), str(EXAMPLE.parent / "plan.example.json"),
                    "-o", str(out / "x.json")],
        "scenario": ["scenario", str(h.REPO / "scenarios" / "two_more_engineers.toml"),
                     "-o", str(out)],
        "report monthly": ["report", "monthly", str(DEMO / "history.csv"), "-o", str(out)],
    }[command]
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "a-file" in err and "Traceback" not in err


def test_plan_file_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "new.json", "{}\n")
        assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640
        os.umask(0o022)
        write_text_atomic(tmp_path / "p.json", "{}\n")
        assert stat.S_IMODE((tmp_path / "p.json").stat().st_mode) == 0o644
        (tmp_path / "p.json").chmod(0o600)  # a mode the user chose is kept on rewrite
        write_text_atomic(tmp_path / "p.json", "{}\n")
        assert stat.S_IMODE((tmp_path / "p.json").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_optimizer_plan_writes_with_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    code = ("import os, sys; os.umask(0o022); from optimizer.cli import main; "
            f"sys.exit(main(['plan', {str(EXAMPLE)!r}, '-o', {str(out)!r}, '-q', "
            "'--max-solutions', '1', '--time-limit', '5']))")
    proc = h.run_python(code)
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_a_killed_nights_temporary_directory_is_cleaned_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "night"
    stale = tmp_path / ".night.tmp-0123456789"  # as a run killed while writing leaves it
    stale.mkdir()
    (stale / "plan.json").write_text("half")
    busy = tmp_path / ".night.tmp-abcdefabcd"  # a run writing right now holds its lock
    busy.mkdir()
    fd = os.open(busy, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    other = tmp_path / ".other.tmp-0123456789"  # another OUT_DIR's: not ours
    other.mkdir()
    try:
        write_atomic_dir(out, {"plan.json": "{}\n"})
        assert not stale.exists()
        assert busy.exists() and other.exists()
        assert verify(out) == []
    finally:
        os.close(fd)
    assert clean_stale(out) == [busy]


def test_nightly_cli_says_what_it_cleaned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / ".night.tmp-0123456789"
    stale.mkdir()

    def stop(*_a: Any, **_k: Any) -> Any:
        raise SolverError("stopped by the test after the checks")

    monkeypatch.setattr("optimizer.batch.cli.run_nightly", stop)
    assert cli.main(["nightly", str(DEMO), "-o", str(tmp_path / "night")]) == 4
    assert not stale.exists()
    assert ".night.tmp-0123456789" in capsys.readouterr().err


def test_error_count_is_the_true_count(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    data = tmp_path / "parts"
    shutil.copytree(DEMO, data, ignore=shutil.ignore_patterns("problem.json", "*.html"))
    lines = (data / "demand.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    cols = header.split(",")
    d = cols.index("date")

    def us(row: str) -> str:
        f = row.split(",")
        y, m, day = f[d].split("-")
        f[d] = f"{m}/{day}/{y}"
        return ",".join(f)

    (data / "demand.csv").write_text("\n".join([header, *map(us, rows)]) + "\n")
    rc = cli.main(["parts", "policy", str(data), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2
    count = int(re.search(r"error: ([\d,]+) problems", err).group(1).replace(",", ""))
    assert count == len(rows) > 25
    assert "not MM/DD/YYYY" in err


def test_readme_exit_codes_are_the_ones_the_cli_returns() -> None:
    text = (h.REPO / "README.md").read_text()
    line = re.search(r"Exit codes: (.*?)\.", text, re.S).group(1)
    codes = {int(c) for c in re.findall(r"(?:^|, )(\d+) ", line)}
    assert codes == {0, 1, 2, 4, 130}
    # 3 is gone: nothing in the CLI returns it
    from optimizer.errors import InfeasibleError

    src = "\n".join(p.read_text() for p in (h.REPO / "optimizer").rglob("*.py"))
    assert "raise InfeasibleError" not in src or InfeasibleError.exit_code in codes


def test_out_of_memory_and_os_errors_are_exit_codes_not_tracebacks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def oom(*_a: Any, **_k: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr("optimizer.dispatch.cli.solve", oom)
    assert cli.main(["plan", str(EXAMPLE), "-o", str(tmp_path / "p.json"), "-q"]) == 4
    assert "out of memory" in capsys.readouterr().err

    def disk_full(*_a: Any, **_k: Any) -> Any:
        raise OSError(28, "No space left on device", str(tmp_path / "p.json"))

    monkeypatch.setattr("optimizer.dispatch.cli.solve", disk_full)
    assert cli.main(["plan", str(EXAMPLE), "-o", str(tmp_path / "p.json"), "-q"]) == 2
    assert "No space left on device" in capsys.readouterr().err


def test_cli_deeply_nested_json_is_rc_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "deep.json"
    src.write_text("[" * 100_000 + "]" * 100_000)
    assert cli.main(["plan", str(src), "-o", str(tmp_path / "p.json")]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_service_deeply_nested_json_is_invalid_json(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from optimizer.service.app import create_app

    body = "[" * 100_000 + "]" * 100_000
    with TestClient(create_app(f"sqlite:///{tmp_path / 'p.db'}")) as c:
        r = c.post("/plans", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_json"
    assert "nested" in r.json()["error"]["message"]


@pytest.mark.parametrize("command", ["plan", "nightly"])
def test_a_problem_too_big_for_the_machine_is_rc_2_before_solving(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from optimizer.limits import BASE_BYTES

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("solved a problem too big for the machine")

    monkeypatch.setattr("optimizer.dispatch.solve", refuse)
    monkeypatch.setattr("optimizer.limits.available_memory_bytes", lambda: BASE_BYTES + 10)
    argv = (["plan", str(EXAMPLE), "-o", str(tmp_path / "p.json")] if command == "plan"
            else ["nightly", str(DEMO), "-o", str(tmp_path / "night")])
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "needs about" in err and "this machine has available now" in err
