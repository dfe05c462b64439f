"""HTTP transport of one target: its connections split into small keep-alive pools.

httpcore's pool does work on every request that grows with the square of its connections (it checks
each one for expiry and counts the idle ones, several times per request): with 16 connections this
was the client's largest cost in the benchmark. Pools of a few connections each, every request sent
through the least busy one, keep the same number of connections and keep-alive at a fraction of it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable

import httpx

CONNECTIONS_PER_POOL = 2
# Building a TLS context reads the CA bundle (~20 ms of CPU): one per process serves every pool.
_tls_context = functools.cache(httpx.create_ssl_context)


class _ReleasedOnClose(httpx.AsyncByteStream):
    """A response body that frees its pool's slot once read or closed (the connection is busy till then)."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._release is not None:
                self._release()
                self._release = None


class PooledTransport(httpx.AsyncBaseTransport):
    """`connections` connections at most, in pools of `per_pool` connections."""

    def __init__(self, connections: int, per_pool: int = CONNECTIONS_PER_POOL) -> None:
        count = max(1, math.ceil(connections / per_pool))
        size = math.ceil(connections / count)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self._pools = [httpx.AsyncHTTPTransport(verify=_tls_context(), limits=limits) for _ in range(count)]
        self._busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self._busy.__getitem__)
        self._busy[index] += 1

        def release() -> None:
            self._busy[index] -= 1

        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_ReleasedOnClose(response.stream, release),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()
