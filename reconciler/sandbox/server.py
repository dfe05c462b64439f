"""The sandbox server: one port, `/{provider}/{tenant}/...`, uvicorn in a background thread.

Every vendor route is wrapped with the same pipeline: count, add latency, inject faults, apply
OneLogin's rate limit, authenticate, handle, persist.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from reconciler.sandbox import onelogin, primo, vizivault
from reconciler.sandbox.common import FaultConfig, RequestStats, SandboxError
from reconciler.sandbox.endpoints import Endpoint
from reconciler.sandbox.state import SandboxState

EMULATORS: dict[str, ModuleType] = {"primo": primo, "vizivault": vizivault, "onelogin": onelogin}


class DroppedResponse(Response):
    """Headers promising a body, then the connection is cut: the client sees a transport error."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise ConnectionAbortedError("sandbox fault injection: connection dropped")


class SandboxServer:
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
        if state is None:
            state = SandboxState.load(state_file) if state_file and state_file.exists() else SandboxState()
        self.state = state
        self.faults = faults or FaultConfig()
        self.stats = RequestStats()
        self.state_file = state_file if save_state else None
        self.host = host
        self.port = port
        self.app = self._build_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle --------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, provider: str, tenant: str) -> str:
        return f"{self.base_url}/{provider}/{tenant}"

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="critical", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

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
        return Starlette(routes=routes)

    def _wrap(self, provider: str, module: ModuleType, endpoint: Endpoint) -> Any:
        template = endpoint.template.replace(":int}", "}")
        route_name = f"{endpoint.method} {provider} {template}"
        rate_limited = provider == "onelogin" and template.startswith("/api/2")

        async def handle(request: Request) -> Response:
            self.stats.count(route_name, endpoint.is_write)
            if self.faults.latency_ms > 0:
                await asyncio.sleep(self.faults.latency_ms / 1000)
            tenant = self.state.find(provider, request.path_params["tenant"])
            if tenant is None:
                return module.error_response(SandboxError(404, "Not Found"))
            fault = self.faults.pick(endpoint.is_write)
            if fault:
                self.stats.count_fault()
            headers: dict[str, str] = {}
            try:
                if rate_limited:
                    headers, over = onelogin.rate_limit_headers(
                        tenant, self.faults.rate_limit, self.faults.rate_limit_window_s
                    )
                    if over:
                        headers["Retry-After"] = headers["X-RateLimit-Reset"]
                        raise SandboxError(429, "Too Many Requests")
                if fault == "500":
                    raise SandboxError(500, "Internal Server Error")
                if fault == "429":
                    headers["Retry-After"] = f"{self.faults.retry_after_s:g}"
                    raise SandboxError(429, "Too Many Requests")
                if endpoint.needs_auth:
                    module.authenticate(request, tenant)
                response = await endpoint.handler(request, tenant)
            except SandboxError as error:
                return module.error_response(error, headers)
            if endpoint.is_write and response.status_code < 300 and self.state_file is not None:
                self.state.save(self.state_file)
            if fault == "502_after_write":
                return module.error_response(SandboxError(502, "Bad Gateway"), headers)
            if fault == "drop":
                return DroppedResponse()
            response.headers.update(headers)
            return response

        return handle

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
        except (ValueError, TypeError) as exc:
            return JSONResponse({"message": str(exc)}, 400)
        return JSONResponse(self.faults.to_json())
