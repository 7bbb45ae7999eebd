"""Helpers of the fault-injection tests: processes, their children, their file descriptors.

Functions that run inside worker processes live here (module level, so a spawned worker can
import them by name).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def env() -> dict[str, str]:
    """The environment for a child ``optimizer``/``python`` run on this worktree's code."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["PYTHONUNBUFFERED"] = "1"
    return e


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gone_within(pids: Iterable[int], seconds: float) -> list[int]:
    """Wait until every pid is gone; return those still alive after ``seconds``."""
    pids = list(pids)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def kill_all(pids: Iterable[int]) -> None:
    """Clean up after a failed test: SIGKILL whatever is left of ``pids``."""
    for p in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGKILL)


def socket_inodes(pid: int | str = "self") -> set[int]:
    """Inodes of the sockets process ``pid`` holds open."""
    out = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(int(target[len("socket:["):-1]))
    return out


def open_fds(pid: int | str = "self") -> set[str]:
    """What process ``pid``'s file descriptors point at."""
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            out.add(os.readlink(fd))
        except OSError:
            continue
    return out


# --------------------------------------------------------------------------- in workers


def my_pid(_: object = None) -> int:
    return os.getpid()


def my_sockets(_: object = None) -> set[int]:
    return socket_inodes("self")


def sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def die(_: object = None) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def run_python(code: str, **kwargs: object) -> subprocess.Popen[str]:
    """Start ``python -c code`` on this worktree's code, stdout piped (text)."""
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env(), stdout=subprocess.PIPE, text=True,
        cwd=str(Path(__file__).parent), **kwargs,  # type: ignore[arg-type]
    )


class Run:
    """A command run with its stderr (and stdout) read by threads, so the test can wait for a
    line and see whether the pipes reach their end (nobody left holding them)."""

    def __init__(self, args: list[str], cwd: Path | None = None) -> None:
        import threading

        self.proc = subprocess.Popen(
            args, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=str(cwd) if cwd else None,
        )
        self.err: list[str] = []
        self.out: list[str] = []
        self._closed = {"out": threading.Event(), "err": threading.Event()}
        for name, stream, lines in (("out", self.proc.stdout, self.out),
                                    ("err", self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, lines, self._closed[name]),
                             daemon=True).start()

    @staticmethod
    def _pump(stream, lines: list[str], closed) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            lines.append(line)
        closed.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_for(self, text: str, timeout: float = 120) -> bool:
        """Wait until ``text`` appears on stderr; False if the run ended or time ran out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(self.err)):
                return True
            if self.proc.poll() is not None and self._closed["err"].is_set():
                return any(text in line for line in list(self.err))
            time.sleep(0.05)
        return False

    def pipes_closed(self, timeout: float) -> bool:
        """True once both pipes reached end of file (every holder of them is gone)."""
        deadline = time.monotonic() + timeout
        waits = (ev.wait(max(0.0, deadline - time.monotonic())) for ev in self._closed.values())
        return all(waits)

    def stderr(self) -> str:
        return "".join(self.err)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
