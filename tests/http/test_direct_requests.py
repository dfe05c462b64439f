"""Requests sent to the pooled transport without an httpx Request (reads, and writes with their JSON
bodies) go on the wire byte for byte as httpx would write them; whatever httpx would rewrite or refuse
still goes through httpx."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.http.client import ApiClient, BearerKey
from reconciler.http.pool import PooledTransport, origin_of

HEADERS = {"Authorization": "Bearer k", "X-Extra": "v"}
BASES = st.sampled_from(
    [
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/onelogin/tenant",
        "https://api.example.com/",
        "https://API.Example.com:443/v2",
        "https://api.example.com/a/./b",
        "https://user:pw@api.example.com/v1",
        "https://api.example.com/v1?x=1",
        "https://api.example.com/a b",
        "https://api.example.com/%7Euser",
    ]
)
PATHS = st.text(alphabet="/abcXYZ09-._~!$&'()*+,;=:@%?# é\t{}`\"", max_size=24).map(lambda text: "/" + text)
PARAMS = st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=8) | st.integers(), min_size=1, max_size=3)
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(alphabet=st.characters(), max_size=8)
BODIES = st.none() | st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
)


def wire(
    client: ApiClient, path: str, params: dict[str, object] | None, method: str = "GET", body: object = None
) -> tuple[object, ...] | None:
    query = urlencode(params) if params else None
    return client._direct_request(method, path, query, body, HEADERS)


def as_httpx_writes(
    client: ApiClient, path: str, params: dict[str, object] | None, method: str = "GET", body: object = None
) -> tuple[object, ...]:
    url = client.base_url + path + (f"?{urlencode(params)}" if params else "")
    request = httpx.Request(method, url, headers=HEADERS, json=body)
    return origin_of(request.url), request.url.raw_path, request.headers.raw, request.content


@settings(max_examples=600, deadline=None)
@given(BASES, PATHS, PARAMS, METHODS, BODIES)
@example("http://127.0.0.1:8080/t", "/api/2/apps/700001/rules", {"enabled": "true"}, "GET", None)
@example("http://127.0.0.1:8080/t", "/api/2/apps/7/rules/8", None, "PUT", {"name": "é", "position": None})
@example("http://127.0.0.1:8080/t", "/api/2/apps/7/rules/sort", None, "PUT", [3, 1, 2])
@example("https://api.example.com", "/rules", None, "POST", None)
@example("https://api.example.com", "/rules", None, "POST", {"x": float("nan")})
@example("https://api.example.com", "/rules/a%2Fb", None, "DELETE", None)
@example("https://api.example.com", "/x/../rules", None, "GET", None)
def test_a_direct_request_is_written_as_httpx_writes_it(
    base: str, path: str, params: dict[str, object] | None, method: str, body: object
) -> None:
    client = ApiClient(base, BearerKey("k"), transport=PooledTransport(1))
    try:
        expected = as_httpx_writes(client, path, params, method, body)
    except httpx.InvalidURL:
        assert wire(client, path, params, method, body) is None  # httpx refuses it: it still goes through httpx
        return
    except ValueError as refused:  # a body JSON cannot carry (NaN): refused alike, before anything is sent
        try:
            sent = wire(client, path, params, method, body)
        except ValueError as same:
            assert type(same) is type(refused)
        else:
            assert sent is None  # it goes through httpx, which refuses it as before
        return
    direct = wire(client, path, params, method, body)
    if direct is not None:
        assert client._direct is not None
        target, headers, content = direct
        assert (client._direct[1], target, headers, content) == expected


def test_plain_requests_are_direct_and_the_rest_go_through_httpx() -> None:
    client = ApiClient("http://127.0.0.1:8080/t", BearerKey("k"), transport=PooledTransport(1))
    assert wire(client, "/api/2/apps/7/rules", {"enabled": "true"}) is not None
    assert wire(client, "/rules", None, "POST", {"key": "k"}) is not None
    assert wire(client, "/rules/a b", None) is None  # httpx escapes the space
    assert wire(client, "/a/../rules", None) is None  # and drops dot segments
    assert client._direct_request("GET", "/rules", None, None, {"Host": "elsewhere"}) is None
    assert client._direct_request("POST", "/rules", None, {}, {"Content-Type": "text/plain"}) is None
    assert wire(client, "/" + "a" * 70000, None) is None  # too long for httpx: refused there, as before
    mocked = ApiClient("http://127.0.0.1:8080/t", BearerKey("k"), transport=httpx.MockTransport(lambda r: None))
    assert wire(mocked, "/rules", None) is None  # another transport gets httpx's Request


def test_a_direct_request_and_one_through_httpx_send_the_same_bytes() -> None:
    sent: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            length = next((int(line[15:]) for line in head.split(b"\r\n") if line.startswith(b"Content-Length:")), 0)
            sent.append(head + await reader.readexactly(length))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n[]")

    async def scenario() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = ApiClient(f"http://127.0.0.1:{port}/t", BearerKey("k"))
        try:
            for direct in (client._direct, None):  # the same requests, then built by httpx
                client._direct = direct
                assert await client.get_json("/rules", params={"a": "b c"}) == []
                await client.request("PUT", "/rules/7", json={"name": "é ü", "conditions": [], "position": None})
                await client.request("POST", "/rules/sort")
        finally:
            await client.aclose()
            server.close()

    asyncio.run(scenario())
    assert len(sent) == 6 and sent[:3] == sent[3:]
    assert sent[0].startswith(b"GET /t/rules?a=b+c HTTP/1.1\r\nHost: 127.0.0.1:")
    body = '{"name":"é ü","conditions":[],"position":null}'.encode()
    assert sent[1].endswith(b"Content-Type: application/json\r\n\r\n" + body)
    assert b"Content-Length: 0\r\n" in sent[2]
