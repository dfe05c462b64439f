"""The pooled transport against a raw loopback server that answers exactly the bytes a test scripts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from reconciler.http.pool import PooledTransport

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


def serve(answer: Answer, transport: PooledTransport, *requests: httpx.Request) -> list[httpx.Response]:
    """Start a server whose connections run `answer`, send `requests` one after another, return the answers."""

    async def scenario() -> list[httpx.Response]:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            responses = []
            for request in requests:
                request.url = request.url.copy_with(port=port)
                response = await transport.handle_async_request(request)
                await response.aread()
                responses.append(response)
            return responses
        finally:
            await transport.aclose()
            server.close()
            await asyncio.sleep(0.05)  # the server's handlers see the connections close and end

    return asyncio.run(scenario())


def get(path: str = "/", timeout: float = 5.0) -> httpx.Request:
    return httpx.Request("GET", f"http://127.0.0.1:1{path}", extensions={"timeout": httpx.Timeout(timeout).as_dict()})


def test_keep_alive_answers_reuse_one_connection_and_bodies_arrive_whole() -> None:
    connections = 0
    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while not reader.at_eof():
            try:
                seen.append(await _read_request(reader))
            except asyncio.IncompleteReadError:
                break
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: application/json\r\n\r\n")
            writer.write(b'{"a": ')  # the body in two writes: read whole all the same
            await writer.drain()
            writer.write(b"[1, 2]}")
            await writer.drain()

    post = httpx.Request("POST", "http://127.0.0.1:1/rules", json={"name": "x"}, extensions={"timeout": {}})
    responses = serve(answer, PooledTransport(4), get("/a?b=c"), post)
    assert [r.json() for r in responses] == [{"a": [1, 2]}] * 2
    assert connections == 1
    assert seen[0].startswith(b"GET /a?b=c HTTP/1.1\r\n")
    assert seen[1].startswith(b"POST /rules HTTP/1.1\r\n") and seen[1].endswith(b'{"name":"x"}')


def test_chunked_and_close_delimited_bodies() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await _read_request(reader)
            if not request.startswith(b"GET /chunked"):
                break
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        writer.write(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\nno such rule")
        await writer.drain()
        writer.close()

    chunked, until_close = serve(answer, PooledTransport(1), get("/chunked"), get("/close"))
    assert (chunked.status_code, chunked.content) == (200, b"abcde")
    assert (until_close.status_code, until_close.reason_phrase) == (404, "Not Found")
    assert until_close.content == b"no such rule"


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (b"", httpx.RemoteProtocolError),  # closed without a word
        (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\ntoo short", httpx.ReadError),
        (b"NOT HTTP AT ALL\r\n\r\n", httpx.RemoteProtocolError),
    ],
)
def test_broken_answers_are_transport_errors(script: bytes, error: type[Exception]) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(script)
        await writer.drain()
        writer.close()

    with pytest.raises(error):
        serve(answer, PooledTransport(1), get())


def test_a_silent_server_times_out_and_a_closed_port_fails_to_connect() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")  # then nothing more
        await writer.drain()
        await asyncio.sleep(2)

    with pytest.raises(httpx.ReadTimeout):
        serve(answer, PooledTransport(1), get(timeout=0.2))

    async def refused() -> None:
        transport = PooledTransport(1)
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:9/"))

    with pytest.raises(httpx.ConnectError):
        asyncio.run(refused())


def test_requests_beyond_the_limit_wait_for_a_connection() -> None:
    open_now = most = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        try:
            while True:
                await _read_request(reader)
                await asyncio.sleep(0.01)
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            open_now -= 1

    async def scenario() -> list[int]:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport = PooledTransport(3)
        try:
            requests = [httpx.Request("GET", f"http://127.0.0.1:{port}/") for _ in range(20)]
            answers = await asyncio.gather(*(transport.handle_async_request(r) for r in requests))
            return [a.status_code for a in answers]
        finally:
            await transport.aclose()
            server.close()
            await asyncio.sleep(0.05)

    assert asyncio.run(scenario()) == [204] * 20
    assert most == 3
