"""A tiny threaded HTTP server on 127.0.0.1 for the fakes: routing, a request log, injected faults.

Faults are queued per path fragment and consumed in order, so a test can say "the next two
requests for /comments/abc fail with 503" and then assert exactly what the client did.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload, status: int = 200) -> "Response":
        return cls(status, json.dumps(payload).encode("utf-8"), {"Content-Type": "application/json; charset=UTF-8"})


FAULTS = ("429", "429-retry-after", "503", "truncated", "slow", "reset")


class FakeServer:
    """Subclasses implement ``handle(request) -> Response``; start with ``with FakeServer() as s``."""

    slow_seconds = 1.6

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self._faults: list[list] = []  # [path fragment, kind, remaining]
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control -------------------------------------------------------------
    def fail(self, fragment: str, kind: str, times: int = 1) -> None:
        """The next ``times`` requests whose path contains ``fragment`` get fault ``kind``."""
        assert kind in FAULTS, kind
        with self._lock:
            self._faults.append([fragment, kind, times])

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def requests_to(self, fragment: str, method: str | None = None) -> int:
        return sum(1 for m, p in self.log if fragment in p and (method is None or m == method))

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- plumbing ------------------------------------------------------------
    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault[0] in path and fault[2] > 0:
                    fault[2] -= 1
                    return fault[1]
        return None

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, parts.path, parse_qs(parts.query),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                with server._lock:
                    server.log.append((self.command, parts.path))
                fault = server._take_fault(parts.path)
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                if fault == "reset":
                    self.close_connection = True
                    return
                if fault in ("429", "429-retry-after"):
                    response = Response.json({"message": "Too Many Requests", "error": 429}, 429)
                    if fault == "429-retry-after":
                        response.headers["Retry-After"] = "0"
                elif fault == "503":
                    response = Response(503, b"<html><body>upstream unavailable</body></html>",
                                        {"Content-Type": "text/html"})
                else:
                    response = server.handle(request)
                    if fault == "truncated":
                        response = Response(response.status, response.body[: max(1, len(response.body) // 2)],
                                            response.headers)
                try:
                    self.send_response(response.status)
                    for key, value in response.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): that is the point of a slow fault

            do_GET = do_POST = do_HEAD = _serve

        return Handler

    def __enter__(self):
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()
