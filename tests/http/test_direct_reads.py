"""Reads sent to the pooled transport without an httpx Request go on the wire byte for byte as httpx
would write them; whatever httpx would rewrite or refuse still goes through httpx."""

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


def wire(client: ApiClient, path: str, params: dict[str, object] | None) -> tuple[object, ...] | None:
    query = urlencode(params) if params else None
    return client._direct_target("GET", path, query, None, HEADERS)


def as_httpx_writes(client: ApiClient, path: str, params: dict[str, object] | None) -> tuple[object, ...]:
    url = client.base_url + path + (f"?{urlencode(params)}" if params else "")
    request = httpx.Request("GET", url, headers=HEADERS)
    return origin_of(request.url), request.url.raw_path, request.headers.raw


@settings(max_examples=400, deadline=None)
@given(BASES, PATHS, PARAMS)
@example("http://127.0.0.1:8080/t", "/api/2/apps/700001/rules", {"enabled": "true"})
@example("https://api.example.com", "/rules/a%2Fb", None)
@example("https://api.example.com", "/x/../rules", None)
def test_a_direct_read_is_written_as_httpx_writes_it(base: str, path: str, params: dict[str, object] | None) -> None:
    client = ApiClient(base, BearerKey("k"), transport=PooledTransport(1))
    direct = wire(client, path, params)
    try:
        expected = as_httpx_writes(client, path, params)
    except httpx.InvalidURL:
        assert direct is None  # httpx refuses it: it still goes through httpx, to fail as it did
        return
    if direct is not None:
        assert client._direct is not None
        target, headers = direct
        assert (client._direct[1], target, headers) == expected


def test_plain_reads_are_direct_and_the_rest_go_through_httpx() -> None:
    client = ApiClient("http://127.0.0.1:8080/t", BearerKey("k"), transport=PooledTransport(1))
    assert wire(client, "/api/2/apps/7/rules", {"enabled": "true"}) is not None
    assert wire(client, "/rules/a b", None) is None  # httpx escapes the space
    assert wire(client, "/a/../rules", None) is None  # and drops dot segments
    assert client._direct_target("POST", "/rules", None, None, HEADERS) is None
    assert client._direct_target("GET", "/rules", None, {"a": 1}, HEADERS) is None
    assert client._direct_target("GET", "/rules", None, None, {"Host": "elsewhere"}) is None
    assert wire(client, "/" + "a" * 70000, None) is None  # too long for httpx: refused there, as before
    mocked = ApiClient("http://127.0.0.1:8080/t", BearerKey("k"), transport=httpx.MockTransport(lambda r: None))
    assert wire(mocked, "/rules", None) is None  # another transport gets httpx's Request


def test_a_direct_read_and_one_through_httpx_send_the_same_bytes() -> None:
    heads: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                heads.append(await reader.readuntil(b"\r\n\r\n"))
            except asyncio.IncompleteReadError:
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n[]")

    async def scenario() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = ApiClient(f"http://127.0.0.1:{port}/t", BearerKey("k"))
        try:
            assert await client.get_json("/rules", params={"a": "b c"}) == []
            client._direct = None  # the same read, built by httpx
            assert await client.get_json("/rules", params={"a": "b c"}) == []
        finally:
            await client.aclose()
            server.close()

    asyncio.run(scenario())
    assert len(heads) == 2 and heads[0] == heads[1]
    assert heads[0].startswith(b"GET /t/rules?a=b+c HTTP/1.1\r\nHost: 127.0.0.1:")
