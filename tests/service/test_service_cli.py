"""``optimizer serve``: its options, and bad settings refused before anything listens."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the service tests need the 'service' extra (fastapi)")

from optimizer.cli import build_parser, main


def test_serve_defaults() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.store, args.api_key_env) == (
        "127.0.0.1", 8000, "sqlite:///optimizer-service.db", None
    )
    assert callable(args.func)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # the variable holding the key is not set: refuse rather than run open
        (["--api-key-env", "OPTIMIZER_TEST_NO_SUCH_VAR"], "OPTIMIZER_TEST_NO_SUCH_VAR"),
        # a store kind we do not keep
        (["--store", "mysql://u@h/db"], "--store: unknown store URL"),
        # no solve could ever run
        (["--workers", "0"], "--workers"),
    ],
)
def test_bad_settings_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.delenv("OPTIMIZER_TEST_NO_SUCH_VAR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
