"""The flat public API: one import gives the whole engine, loaded when first used."""

from __future__ import annotations

import subprocess
import sys

import optimizer


def test_the_public_names_are_the_library_functions():
    from optimizer.batch.nightly import run_nightly
    from optimizer.dispatch.engines.portfolio import solve
    from optimizer.dispatcher.reoptimize import reoptimize
    from optimizer.parts.plan import plan_policy
    from optimizer.validate import validate

    assert optimizer.solve is solve and optimizer.reoptimize is reoptimize
    assert optimizer.validate is validate and optimizer.plan_policy is plan_policy
    assert optimizer.run_nightly is run_nightly
    for name in optimizer.__all__:
        assert getattr(optimizer, name) is not None, name
    assert set(optimizer.__all__) <= set(dir(optimizer))


def test_importing_the_package_does_not_load_the_engines():
    code = ("import sys, optimizer; "
            "print(sorted(m for m in ('ortools', 'pandas', 'distributed', 'fastapi') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    try:
        optimizer.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("no AttributeError")
