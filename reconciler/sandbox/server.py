"""The sandbox server: one port, `/{provider}/{tenant}/...`, uvicorn in a background thread.

Every vendor route is wrapped with the same pipeline: count, add latency, find the tenant, pick a
fault, apply OneLogin's rate limit, authenticate, handle (writes persist through the state's hook),
then deliver, drop or replace the answer as the fault says.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from reconciler.sandbox import onelogin, primo, vizivault
from reconciler.sandbox.common import FaultConfig, RequestStats, SandboxError
from reconciler.sandbox.endpoints import Endpoint
from reconciler.sandbox.state import SandboxState

EMULATORS: dict[str, ModuleType] = {"primo": primo, "vizivault": vizivault, "onelogin": onelogin}
_CONVERTER = re.compile(r":\w+}")  # `{app_id:int}` -> `{app_id}` in route names


class DroppedResponse(Response):
    """Headers promising a body, part of it, then the connection is cut: the client sees a transport error."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})
        # Raising after the response started makes uvicorn close the socket mid-body.
        raise ConnectionAbortedError("sandbox fault injection: connection dropped")


class SandboxServer:
    """The emulators on one loopback port; `state`, `faults` and `stats` are live while it runs."""

    def __init__(
        self,
        state: SandboxState | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | None = None,
        state_file: Path | None = None,
        save_state: bool = True,
    ) -> None:
        state_file = Path(state_file) if state_file is not None else None
        if state is None:
            state = SandboxState.load(state_file) if state_file and state_file.exists() else SandboxState()
        self.state = state
        self.faults = faults or FaultConfig()
        self.stats = RequestStats()
        self.state_file = state_file if save_state else None
        if self.state_file is not None:
            self.state.on_write = self.save
        self.host = host
        self.port = port
        self.app = self._build_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # ---- lifecycle --------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, provider: str, tenant: str) -> str:
        return f"{self.base_url}/{provider}/{tenant}"

    def save(self) -> None:
        """Write --state now (atomically); runs after every write when a state file is set."""
        if self.state_file is not None:
            self.state.save(self.state_file)

    def start(self) -> None:
        """Serve in a daemon thread; returns once listening. The socket is bound here so port=0 works."""
        if self._server is not None:
            return
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
        # without it Nagle holds each response body for the client's delayed ACK (~40 ms per request).
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        self.save()  # tenants created before start are on disk even if no write ever comes
        config = uvicorn.Config(self.app, log_level="critical", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"sandbox-{self.port}"
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                self.stop()
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted (the `reconciler sandbox` command)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # ---- routing ----------------------------------------------------------------------------------
    def _build_app(self) -> Starlette:
        routes = [
            Route("/_sandbox/stats", self._get_stats, methods=["GET"]),
            Route("/_sandbox/stats/reset", self._reset_stats, methods=["POST"]),
            Route("/_sandbox/faults", self._get_faults, methods=["GET"]),
            Route("/_sandbox/faults", self._set_faults, methods=["POST"]),
        ]
        for provider, module in EMULATORS.items():
            for endpoint in module.ENDPOINTS:
                routes.append(
                    Route(
                        f"/{provider}/{{tenant}}{endpoint.template}",
                        self._wrap(provider, module, endpoint),
                        methods=[endpoint.method],
                    )
                )
        handlers: Any = {404: self._unrouted, 405: self._unrouted}
        return Starlette(routes=routes, exception_handlers=handlers)

    def _wrap(self, provider: str, module: ModuleType, endpoint: Endpoint) -> Any:
        template = _CONVERTER.sub("}", endpoint.template)
        route_name = f"{endpoint.method} {provider} {template}"
        rate_limited = provider == "onelogin" and template.startswith("/api/2")
        render = endpoint.errors or module.error_response

        async def handle(request: Request) -> Response:
            self.stats.count(route_name, endpoint.is_write)
            if self.faults.latency_ms > 0:
                await asyncio.sleep(self.faults.latency_ms / 1000)
            tenant = self.state.find(provider, request.path_params["tenant"])
            if tenant is None:
                return render(SandboxError(404, "Not Found"))
            fault = self.faults.pick(endpoint.is_write)
            if fault:
                self.stats.count_fault()
            headers: dict[str, str] = {}
            try:
                if rate_limited and isinstance(tenant, onelogin.OneLoginTenant):
                    headers, over = tenant.count_request(self.faults.rate_limit, self.faults.rate_limit_window_s)
                    if over:
                        raise SandboxError(
                            429, "Too Many Requests", headers={"Retry-After": headers["X-RateLimit-Reset"]}
                        )
                if fault == "500":
                    raise SandboxError(500, "Internal Server Error")
                if fault == "429":
                    raise SandboxError(
                        429, "Too Many Requests", headers={"Retry-After": f"{self.faults.retry_after_s:g}"}
                    )
                if endpoint.needs_auth:
                    module.authenticate(request, tenant)
                if fault == "lost_write":
                    response = await self._lost_write(endpoint, request, tenant)
                else:
                    response = await endpoint.handler(request, tenant)
            except SandboxError as error:
                response = render(error)
            else:
                if fault == "502_after_write":  # the write happened; the client is told it failed
                    response = render(SandboxError(502, "Bad Gateway"))
            if fault == "drop":  # handled (a write happened if it was valid), then the answer is lost
                return DroppedResponse()
            response.headers.update(headers)
            return response

        return handle

    async def _lost_write(self, endpoint: Endpoint, request: Request, tenant: Any) -> Response:
        """Handle the write and answer as usual, then forget it: the tenant is put back as it was."""
        await request.body()  # read first, so nothing else runs between the snapshot and the restore
        with self.state.lock:
            before = tenant.to_json()
            try:
                return await endpoint.handler(request, tenant)
            finally:
                tenant.load_json(before)

    async def _unrouted(self, request: Request, exc: Exception) -> Response:
        """Unknown paths and methods answer in the provider's error shape, like the vendor would."""
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        message = "Not Found" if status == 404 else "Method Not Allowed"
        module = EMULATORS.get(request.url.path.strip("/").split("/", 1)[0])
        if module is None:
            return JSONResponse({"message": message}, status)
        return module.error_response(SandboxError(status, message))

    # ---- admin routes (never faulted, never counted) ----------------------------------------------
    async def _get_stats(self, request: Request) -> Response:
        return JSONResponse(self.stats.snapshot())

    async def _reset_stats(self, request: Request) -> Response:
        self.stats.reset()
        return JSONResponse(self.stats.snapshot())

    async def _get_faults(self, request: Request) -> Response:
        return JSONResponse(self.faults.to_json())

    async def _set_faults(self, request: Request) -> Response:
        try:
            self.faults.update(json.loads(await request.body() or b"{}"))
        except ValueError as exc:
            return JSONResponse({"message": str(exc)}, 400)
        return JSONResponse(self.faults.to_json())
