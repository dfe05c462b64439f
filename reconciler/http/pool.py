"""HTTP/1.1 transport of one target: keep-alive connections on the event loop's own sockets, answers
parsed by httptools (llhttp, in C), behind httpx's transport interface.

httpx's default transport (httpcore over anyio, h11 parsing in Python, a pool that checks every
connection on every request) was most of the client's CPU per request in the benchmark. This one
does the least a request needs: write it, feed the answer to the parser, hand back the whole body.
Requests and responses stay httpx's, so the client and the tests see no difference. It speaks
plain HTTP/1.1, which is what the vendors' REST APIs speak, over TLS or not.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections import deque
from typing import Any

import httptools
import httpx

# Building a TLS context reads the CA bundle (~20 ms of CPU): one per process serves every target.
_tls_context = functools.cache(httpx.create_ssl_context)
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
_LARGE_BODY = 65536  # bodies this large are written apart from the head rather than copied into it
Origin = tuple[bytes, bytes, int]

# Name resolution that says the host does not exist (a typo in a url), unlike a temporary failure
# (EAI_AGAIN), which is retried like any failed connection.
_NO_SUCH_HOST = frozenset(
    code for name in ("EAI_NONAME", "EAI_NODATA") if (code := getattr(socket, name, None)) is not None
)


def origin_of(url: httpx.URL) -> Origin:
    """Where a URL's requests go: scheme, host and port (the scheme's own when the URL gives none)."""
    return (url.raw_scheme, url.raw_host, url.port or _DEFAULT_PORTS.get(url.raw_scheme, 80))


class UnknownHost(httpx.ConnectError):
    """The host's name does not resolve: retrying cannot help."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time; each answer is read whole."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._socket: Any = None  # the loop's transport (uvloop's is not an asyncio.Transport subclass)
        self.closed = False
        self._answer: asyncio.Future[None] | None = None
        self._parser: Any = None
        self._status = 0
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._keep_alive = False
        self._ends_with_connection = False  # an answer with neither a length nor chunks
        self._last_read = 0.0

    # the event loop's callbacks
    def connection_made(self, transport: Any) -> None:
        self._socket = transport

    def data_received(self, data: bytes) -> None:
        self._last_read = self._loop.time()
        if self._parser is None:  # bytes that answer no request: the connection is out of step
            self._fail(httpx.RemoteProtocolError("the server sent data no request asked for"))
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP answer ({exc})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._answer is None or self._answer.done():
            return
        if self._ends_with_connection and exc is None:
            self._answer.set_result(None)
        elif self._status == 0:
            error: httpx.TransportError = httpx.RemoteProtocolError("server disconnected without sending an answer")
        else:
            error = httpx.ReadError(f"connection closed before the answer ended{f' ({exc})' if exc else ''}")
        self._answer.set_exception(error)

    # httptools' callbacks
    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        # llhttp answers these only until the message completes.
        self._status = self._parser.get_status_code()
        self._keep_alive = self._parser.should_keep_alive()
        names = {name.lower() for name, _ in self._headers}
        self._ends_with_connection = not self._keep_alive and not names & {b"content-length", b"transfer-encoding"}

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(None)

    def _fail(self, error: httpx.TransportError) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self._socket is not None:
            self._socket.abort()

    async def exchange(self, head: bytes, body: bytes, read_timeout: float | None) -> httpx.Response:
        """Send one request and read its whole answer."""
        self._answer = answer = self._loop.create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._status, self._reason, self._headers, self._body = 0, b"", [], []
        self._ends_with_connection = False
        self._last_read = self._loop.time()
        if len(body) < _LARGE_BODY:
            self._socket.write(head + body)
        else:
            self._socket.writelines([head, body])
        watchdog = None if read_timeout is None else self._loop.call_later(read_timeout, self._watch, read_timeout)
        try:
            await answer
        finally:
            if watchdog is not None:
                watchdog.cancel()
            self._parser = None
            if not answer.done():  # cancelled mid-answer: the rest would arrive as the next request's
                self.close()
        if not self._keep_alive:
            self.close()
        return httpx.Response(
            self._status,
            headers=self._headers,
            stream=httpx.ByteStream(b"".join(self._body)),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": self._reason},
        )

    def _watch(self, read_timeout: float) -> None:
        """A ReadTimeout once no byte has arrived for `read_timeout` seconds (httpcore's meaning of read)."""
        if self._answer is None or self._answer.done():
            return
        idle = self._loop.time() - self._last_read
        if idle >= read_timeout:
            self._fail(httpx.ReadTimeout("timed out waiting for the answer"))
        else:
            self._loop.call_later(read_timeout - idle, self._watch, read_timeout)


class PooledTransport(httpx.AsyncBaseTransport):
    """At most `connections` connections open at once, kept alive and reused; requests wait for one."""

    def __init__(self, connections: int, verify: ssl.SSLContext | bool = True) -> None:
        self.limit = max(1, connections)
        self._verify = verify
        self._idle: dict[Origin, list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._connecting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def connections(self) -> int:
        """Connections open or being opened."""
        return len(self._open) + self._connecting

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        url = request.url
        body = request.content if isinstance(request.stream, httpx.ByteStream) else await request.aread()
        return await self.send(request.method, origin_of(url), url.raw_path, request.headers.raw, body, timeouts)

    async def send(
        self,
        method: str,
        origin: Origin,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        """One request from its parts as they go on the wire (`target`: the path and query)."""
        lines = [b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), target)]
        lines += [b"%s: %s\r\n" % header for header in headers]
        lines.append(b"\r\n")
        connection = await self._acquire(origin, timeouts)
        try:
            return await connection.exchange(b"".join(lines), body, timeouts.get("read"))
        except BaseException:
            connection.close()
            raise
        finally:
            self._release(origin, connection)

    async def _acquire(self, origin: Origin, timeouts: dict[str, float | None]) -> _Connection:
        while True:
            idle = self._idle.get(origin)
            while idle:
                connection = idle.pop()  # the most recently used: the least likely to have been closed
                if not connection.closed:
                    return connection
                self._open.discard(connection)
            if self.connections < self.limit:
                return await self._connect(origin, timeouts.get("connect"))
            if not self._evict_idle():
                await self._wait_for_release(timeouts.get("pool"))

    def _evict_idle(self) -> bool:
        """Close an idle connection to another origin to make room; False when none is idle."""
        for idle in self._idle.values():
            if idle:
                connection = idle.pop(0)
                connection.close()
                self._open.discard(connection)
                return True
        return False

    async def _wait_for_release(self, timeout: float | None) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except TimeoutError as exc:
            raise httpx.PoolTimeout("no connection came free in time") from exc
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, raw_host, port = origin
        host = raw_host.decode("ascii")
        loop = asyncio.get_running_loop()
        tls = None
        if scheme == b"https":
            tls = self._verify if isinstance(self._verify, ssl.SSLContext) else _tls_context(verify=self._verify)
        self._connecting += 1
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop), host, port, ssl=tls, server_hostname=host if tls else None
                )
        except BaseException as exc:
            self._connecting -= 1
            self._wake()  # the slot this connection would have taken is free again
            if isinstance(exc, TimeoutError):
                raise httpx.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
            if isinstance(exc, socket.gaierror) and exc.errno in _NO_SUCH_HOST:
                raise UnknownHost(f"the name {host} does not resolve; check the target's url") from exc
            if isinstance(exc, OSError):
                raise httpx.ConnectError(f"cannot connect to {host}:{port} ({exc.strerror or exc})") from exc
            raise
        self._connecting -= 1
        self._open.add(connection)
        return connection

    def _release(self, origin: Origin, connection: _Connection) -> None:
        if connection.closed:
            self._open.discard(connection)
        else:
            self._idle.setdefault(origin, []).append(connection)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        for connection in self._open:
            connection.close()
        self._open.clear()
        self._idle.clear()
