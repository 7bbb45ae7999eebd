"""Open a page in headless Chromium and report what a person would see go wrong.

Drives Chromium over the DevTools protocol with a minimal standard-library WebSocket client
(no extra dependency): collects uncaught exceptions, ``console.error`` calls, log entries of
level error and every network request that is not ``file:``/``data:`` (the report must fetch
nothing), waits for the load event and for ``<body data-ready="1">``, and evaluates checks.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--remote-debugging-port=0"]


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def install_chromium(timeout_s: float = 900) -> tuple[str | None, str]:
    """Install Debian's ``chromium`` with apt-get when root; (path or None, why not)."""
    path = find_chromium()
    if path:
        return path, ""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None, "Chromium is not installed and the tests do not run as root"
    if shutil.which("apt-get") is None:
        return None, "Chromium is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for cmd in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                  timeout=timeout_s, check=False)
            if done.returncode != 0:
                return None, f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-300:]}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"installing chromium failed: {exc}"
    path = find_chromium()
    return path, "" if path else "apt-get installed chromium but no binary was found"


class WebSocket:
    """Just enough RFC 6455 for the DevTools protocol: masked text out, text in."""

    def __init__(self, url: str, timeout_s: float = 30.0):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout_s)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"websocket handshake refused: {status[:200]!r}")
        self.buffer = rest

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else b""
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x2, 0x0):
                message += payload
                if b0 & 0x80:
                    return message.decode()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send_frame(0x8, b"")
        self.sock.close()


@dataclass
class PageReport:
    """What happened while a page loaded, and the values of the checks evaluated on it."""

    errors: list[str] = field(default_factory=list)  # exceptions and console/log errors
    requests: list[str] = field(default_factory=list)  # URLs fetched that are not file:/data:
    checks: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes | None = None


class _Session:
    def __init__(self, ws: WebSocket):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def pump(self, until: float) -> None:
        """Collect events until the deadline; a message once begun is always read whole."""
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            if not self.ws.buffer:
                readable, _, _ = select.select([self.ws.sock], [], [], left)
                if not readable:
                    return
            self.events.append(json.loads(self.ws.recv()))


def _describe(event: dict[str, Any]) -> str | None:
    method, p = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        d = p.get("exceptionDetails", {})
        text = d.get("exception", {}).get("description") or d.get("text")
        return f"uncaught exception: {text}"
    if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
        args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
        return f"console.{p['type']}: {args}"
    if method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
        e = p["entry"]
        return f"log error ({e.get('source')}): {e.get('text')} {e.get('url', '')}".strip()
    return None


def inspect_page(chromium: str, page: Path, checks: dict[str, str], *,
                 screenshot: bool = False, width: int = 1300, height: int = 1800,
                 timeout_s: float = 45.0) -> PageReport:
    """Load ``page`` (a local file) and evaluate each JavaScript expression of ``checks``."""
    report = PageReport()
    with tempfile.TemporaryDirectory(prefix="nightly-chromium-",
                                     ignore_cleanup_errors=True) as profile:
        # A session of its own, so that the browser's helper processes end with it.
        proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        try:
            url = _devtools_url(proc, timeout_s)
            ws = WebSocket(url)
            s = _Session(ws)
            target = s.call("Target.createTarget", url="about:blank")["targetId"]
            sid = s.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Runtime", "Log", "Page", "Network"):
                s.call(f"{domain}.enable", session=sid)
            s.call("Emulation.setDeviceMetricsOverride", session=sid, width=width,
                   height=height, deviceScaleFactor=1, mobile=False)
            s.call("Page.navigate", session=sid, url=page.resolve().as_uri())
            deadline = time.monotonic() + timeout_s
            ready = False
            while time.monotonic() < deadline and not ready:
                s.pump(time.monotonic() + 0.25)
                loaded = any(e.get("method") == "Page.loadEventFired" for e in s.events)
                if loaded:
                    r = s.call("Runtime.evaluate", session=sid,
                               expression="document.body && document.body.dataset.ready",
                               returnByValue=True)
                    ready = r.get("result", {}).get("value") == "1"
            s.pump(time.monotonic() + 0.3)  # late errors after ready
            for name, expr in checks.items():
                r = s.call("Runtime.evaluate", session=sid, expression=expr, returnByValue=True)
                if "exceptionDetails" in r:
                    report.checks[name] = f"error: {r['exceptionDetails'].get('text')}"
                else:
                    report.checks[name] = r.get("result", {}).get("value")
            report.checks["ready"] = ready
            if screenshot:
                shot = s.call("Page.captureScreenshot", session=sid, format="png",
                              captureBeyondViewport=True)
                report.screenshot = base64.b64decode(shot["data"])
            for e in s.events:
                text = _describe(e)
                if text:
                    report.errors.append(text)
                if e.get("method") == "Network.requestWillBeSent":
                    req = e["params"]["request"]["url"]
                    if not req.startswith(("file:", "data:", "about:")):
                        report.requests.append(req)
            ws.close()
        finally:
            _stop(proc)
    return report


def _stop(proc: subprocess.Popen) -> None:
    """End the browser we started and its helpers (its own process group), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # helpers may take a moment to go
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)


def _pump_lines(stream: Any, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _devtools_url(proc: subprocess.Popen, timeout_s: float) -> str:
    """The browser's DevTools address from its stderr (read by a thread: never blocks)."""
    assert proc.stderr is not None
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_pump_lines, args=(proc.stderr, lines), daemon=True).start()
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line.rstrip())
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            return m.group(1)  # the thread goes on draining stderr
    raise RuntimeError("Chromium did not start its DevTools server:\n" + "\n".join(seen[-15:]))
