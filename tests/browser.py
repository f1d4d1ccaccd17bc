"""Headless Chromium over the Chrome DevTools protocol, with the standard library only.

`browser()` gives a tab driven like a user (go to a URL, wait, click, look) for the
workspace's pages on a real server. `open_page(path)` loads a local HTML file in a fresh
headless Chromium and returns what a user would check: every request that was not the file
itself or inline data, failed requests, console errors and uncaught exceptions, the page's
text, and optionally a screenshot.
The websocket client is the small part of RFC 6455 the protocol needs (text frames).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("MEDGRAPH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@dataclass
class Page:
    requests: list[str] = field(default_factory=list)  # URLs other than file: and data:
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions
    text: str = ""
    values: dict[str, Any] = field(default_factory=dict)


class _Socket:
    def __init__(self, url: str) -> None:
        match = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        assert match, url
        host, port, path = match.group(1), int(match.group(2)), match.group(3)
        self.sock = socket.create_connection((host, port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def send(self, message: dict[str, Any]) -> None:
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x81, 0x80 | size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def receive(self) -> dict[str, Any]:
        message = b""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._read(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._read(8))[0]
            data = self._read(size)
            opcode = first & 0x0F
            if opcode in (0x1, 0x0):
                message += data
                if first & 0x80:
                    return json.loads(message)
            elif opcode == 0x8:
                raise ConnectionError("DevTools closed the connection")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def drain(self, seconds: float) -> None:
        """Collect events until none came for `seconds`."""
        self.sock.settimeout(seconds)
        try:
            while True:
                self.events.append(self.receive())
        except TimeoutError:
            pass
        finally:
            self.sock.settimeout(60)


@contextlib.contextmanager
def _chromium(width: int, height: int, downloads: Path | None = None) -> Iterator[_Socket]:
    """A fresh headless Chromium with one blank tab, its DevTools socket, stopped afterwards."""
    profile = tempfile.mkdtemp(prefix="medgraph-chromium-")
    process = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-extensions", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", f"--window-size={width},{height}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            line = process.stderr.readline() if process.stderr else ""
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
        assert port, "chromium did not start its DevTools endpoint"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank",
                                         method="PUT")
        with urllib.request.urlopen(request, timeout=30) as answer:
            target = json.load(answer)
        ws = _Socket(target["webSocketDebuggerUrl"])
        for domain in ("Page", "Network", "Runtime", "Log"):
            ws.call(f"{domain}.enable")
        ws.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                deviceScaleFactor=1, mobile=False)
        if downloads is not None:
            ws.call("Page.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
        yield ws
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _collect(events: list[dict[str, Any]], page: Page, skip: str | None = None) -> None:
    """Requests, failures and errors of the DevTools events, into `page`."""
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            requested = params["request"]["url"]
            if requested != skip and not requested.startswith(("data:", "blob:")):
                page.requests.append(requested)
        elif method == "Network.loadingFailed":
            page.failed.append(params.get("errorText", "?"))
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            page.failed.append(f"{params['response']['status']} {params['response']['url']}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                             "assert"):
            page.errors.append(" ".join(str(a.get("value")) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            page.errors.append(str(details.get("exception", {}).get("description")
                                   or details.get("text")))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            page.errors.append(params["entry"]["text"])


class Tab:
    """One Chromium tab driven like a user: go to a URL, wait, click, type, look.

    `page()` says what happened since the last `goto`: requests, failed ones (a network error
    or an answer of 400 or more), console errors and exceptions, and the page's text.
    """

    def __init__(self, ws: _Socket) -> None:
        self.ws = ws

    def goto(self, url: str, ready: str = "true", timeout: float = 60) -> Page:
        self.ws.events.clear()
        self.ws.call("Page.navigate", url=url)
        self.wait(ready, timeout)
        return self.page()

    def evaluate(self, expression: str) -> Any:
        answer = self.ws.call("Runtime.evaluate", expression=expression, returnByValue=True,
                              awaitPromise=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait(self, expression: str, timeout: float = 60) -> Any:
        """Until `expression` is truthy (and the page's script has said it is ready)."""
        deadline = time.monotonic() + timeout
        check = f"document.getElementById('main')?.dataset.ready === 'true' && !!({expression})"
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(check)
            except RuntimeError:
                value = None  # the page is between documents
            if value:
                self.ws.drain(0.3)  # the events of what the page did last
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression!r}; the page says: "
                             f"{self.evaluate('document.body && document.body.innerText')!r}")

    def page(self) -> Page:
        page = Page()
        _collect(self.ws.events, page)
        page.text = self.evaluate("document.body.innerText") or ""
        return page

    def screenshot(self, path: Path) -> None:
        shot = self.ws.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))


@contextlib.contextmanager
def browser(width: int = 1400, height: int = 1000,
            downloads: Path | None = None) -> Iterator[Tab]:
    """A headless Chromium tab for a test; downloads (if given) are saved in that folder."""
    with _chromium(width, height, downloads) as ws:
        yield Tab(ws)


def open_page(path: Path, screenshot: Path | None = None, width: int = 1400,
              height: int = 1000, evaluate: dict[str, str] | None = None) -> Page:
    """Load `path` in headless Chromium and report what happened."""
    with _chromium(width, height) as ws:
        url = path.resolve().as_uri()
        ws.call("Page.navigate", url=url)
        ws.drain(2.0)  # the load event and anything the scripts do after it
        page = Page()
        _collect(ws.events, page, skip=url)
        page.text = ws.call("Runtime.evaluate", expression="document.body.innerText",
                            returnByValue=True)["result"].get("value", "")
        for name, expression in (evaluate or {}).items():
            page.values[name] = ws.call("Runtime.evaluate", expression=expression,
                                        returnByValue=True)["result"].get("value")
        if screenshot is not None:
            shot = ws.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        return page
