"""A small HTTP server on 127.0.0.1 that answers whatever a test tells it to: answers of the wrong shape,
error pages that echo the request's headers, and answers trickled byte by byte."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    trickle_s: float = 0.0  # pause before each byte of the body
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Answer]


@dataclass
class CannedServer:
    url: str
    requests: list[Request]


@contextmanager
def canned_server(handler: Handler) -> Iterator[CannedServer]:
    """Serve `handler`'s answers on a free loopback port until the block ends."""
    seen: list[Request] = []

    class Handle(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            seen.append(request)
            answer = handler(request)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                if not answer.trickle_s:
                    self.wfile.write(answer.body)
                    return
                for byte in answer.body:
                    time.sleep(answer.trickle_s)
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on a slow answer, as it should

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield CannedServer(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()
