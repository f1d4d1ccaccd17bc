"""Headless Chromium over the Chrome DevTools protocol, with the standard library only.

`open_page(path)` loads a local HTML file in a fresh headless Chromium and returns what a user
would check: every request that was not the file itself or inline data, failed requests,
console errors and uncaught exceptions, the page's text, and optionally a screenshot.
The websocket client is the small part of RFC 6455 the protocol needs (text frames).
"""

from __future__ import annotations

import base64
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


def open_page(path: Path, screenshot: Path | None = None, width: int = 1400,
              height: int = 1000, evaluate: dict[str, str] | None = None) -> Page:
    """Load `path` in headless Chromium and report what happened."""
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
        url = path.resolve().as_uri()
        ws.call("Page.navigate", url=url)
        ws.drain(2.0)  # the load event and anything the scripts do after it
        page = Page()
        for event in ws.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                requested = params["request"]["url"]
                if requested != url and not requested.startswith("data:"):
                    page.requests.append(requested)
            elif method == "Network.loadingFailed":
                page.failed.append(params.get("errorText", "?"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                 "assert"):
                page.errors.append(" ".join(str(a.get("value")) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                page.errors.append(str(details.get("exception", {}).get("description")
                                       or details.get("text")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                page.errors.append(params["entry"]["text"])
        page.text = ws.call("Runtime.evaluate", expression="document.body.innerText",
                            returnByValue=True)["result"].get("value", "")
        for name, expression in (evaluate or {}).items():
            page.values[name] = ws.call("Runtime.evaluate", expression=expression,
                                        returnByValue=True)["result"].get("value")
        if screenshot is not None:
            shot = ws.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        return page
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)
