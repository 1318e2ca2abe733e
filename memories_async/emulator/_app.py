"""`Emulator`: the Starlette application, its state, and the one road every request travels:
record -> request faults -> auth -> rate limit -> handler -> errors as envelopes -> body faults.
"""

from __future__ import annotations

import asyncio
import http
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import fields, replace
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _caption, _chat, _live, _personal, _scrapers, _search, _v2, _videos
from ._callbacks import post_callback
from ._config import EmulatorConfig
from ._context import Ctx, Exchange, RouteSpec, exchange_of
from ._control import control_routes
from ._faults import REQUEST_KINDS, EmulatedDisconnect, Fault, FaultRegistry, fault_payload
from ._params import ApiError
from ._ratelimit import RateLimiter
from ._records import CallbackLog, CallbackRecord, RequestLog, RequestRecord, redact_headers
from ._state import State
from ._storage import BlobStore

__all__ = ["API_PREFIX", "ROUTES", "Emulator"]

logger = logging.getLogger("memories_async.emulator")

API_PREFIX = "/serve/api/v1/"
ROUTES: tuple[RouteSpec, ...] = (
    *_videos.ROUTES,
    *_scrapers.ROUTES,
    *_search.ROUTES,
    *_chat.ROUTES,
    *_caption.ROUTES,
    *_personal.ROUTES,
    *_live.ROUTES,
    *_v2.ROUTES,
)
_EXCHANGE_KEY = "memories_emulator.exchange"
_API_CODES = {"param": "0003", "auth": "0401", "not_found": "0001", "rate": "0429"}
_PERSONAL_STATUS = {"param": 400, "auth": 401, "not_found": 404}


def full_path(spec: RouteSpec) -> str:
    """The request path of a route."""
    return spec.path if spec.path.startswith("/") else API_PREFIX + spec.path


class _Recorder:
    """ASGI middleware: records each request and cuts response bodies when a fault says so."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        record = RequestRecord(
            method=scope["method"],
            path=scope["path"],
            query=dict(query),
            headers=redact_headers(list(scope.get("headers", []))),
            time=time.time(),
        )
        self.emulator.requests.append(record)
        exchange = Exchange(record)
        scope[_EXCHANGE_KEY] = exchange
        sent = 0

        async def recording_send(message: Message) -> None:
            nonlocal sent
            if message["type"] == "http.response.start":
                record.status = message["status"]
            elif message["type"] == "http.response.body" and exchange.cut_after is not None:
                body: bytes = message.get("body", b"")
                more: bool = message.get("more_body", False)
                room = exchange.cut_after - sent
                if len(body) > room:
                    part = body[: max(room, 0)]
                elif not more:
                    part = body[:-1]  # never let the body complete
                else:
                    sent += len(body)
                    await send(message)
                    return
                if part:
                    await send({"type": "http.response.body", "body": part, "more_body": True})
                raise EmulatedDisconnect(
                    f"peer closed connection after {sent + len(part)} body bytes (emulated fault)"
                )
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                record.complete = not exchange.client_left

        try:
            await self.app(scope, receive, recording_send)
        finally:
            record.ended = time.time()


class Emulator:
    """An in-process Memories.ai server: a Starlette app (`.app`) plus its state and controls.

    ```python
    emu = Emulator(parse_delay=0)
    async with emu.client(api_key="sk-test") as http:
        r = await http.post("/serve/api/v1/search", json={...})
    emu.faults.add("search", Fault.http_status(503), times=2)
    ```

    Keyword arguments override fields of `config`. Close it (`close()`, `aclose()` or a `with`
    block) to remove its temporary directory.
    """

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        known = {f.name for f in fields(EmulatorConfig)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown emulator options: {', '.join(sorted(unknown))}")
        self.config = replace(config or EmulatorConfig(), **overrides)
        cfg = self.config
        self.state = State(seed=cfg.seed)
        self.blobs = BlobStore(cfg.memory_limit, cfg.storage_dir)
        self.rate_limits = RateLimiter(
            enabled=cfg.rate_limits,
            scale=cfg.rate_limit_scale,
            window_scale=cfg.rate_limit_window_scale,
        )
        self.requests = RequestLog(cfg.max_records)
        self.callbacks = CallbackLog()
        self.internal_errors: list[str] = []
        self.routes: dict[str, RouteSpec] = {spec.name: spec for spec in ROUTES}
        self.faults = FaultRegistry(
            self.routes,
            stream_endpoints=[s.name for s in ROUTES if s.streaming],
            download_endpoints=[s.name for s in ROUTES if s.download],
            aliases={full_path(s): s.name for s in ROUTES},
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._tasks_lock = threading.Lock()
        self._closed = False
        self.app: Starlette = self._build_app()

    # ----------------------------------------------------------------- the application

    def _build_app(self) -> Starlette:
        routes: list[BaseRoute] = [
            Route(full_path(spec), self._endpoint(spec), methods=[spec.method]) for spec in ROUTES
        ]
        routes += control_routes(self)
        return Starlette(
            routes=routes,
            middleware=[Middleware(_Recorder, emulator=self)],
            exception_handlers={HTTPException: self._http_exception},
            lifespan=self._lifespan,
        )

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self._cancel_tasks()

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = f"0{exc.status_code}"
        if exc.status_code == 404:
            msg = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            msg = f"method {request.method} is not allowed on {request.url.path}"
        else:
            msg = str(exc.detail)
        exchange = exchange_of(request)
        if exchange is not None:
            exchange.record.code = code
        body = {"code": code, "msg": msg, "data": None, "success": False, "failed": True}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    def _endpoint(self, spec: RouteSpec) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            exchange = exchange_of(request)
            if exchange is None:  # mounted without the recording middleware
                exchange = Exchange(
                    RequestRecord(request.method, request.url.path, {}, {}, time.time())
                )
            record = exchange.record
            record.endpoint = spec.name
            ctx = Ctx(self, request, spec, record)
            try:
                response = await self._run(ctx)
            except ApiError as error:
                response = self._error_response(spec, error, record)
            except ClientDisconnect:  # nobody is left to read an answer
                response = self._error_response(spec, ApiError("param", "client went away"), record)
            except Exception as exc:  # never a 500: report it as an envelope
                logger.exception("emulator failure in %s", spec.name)
                self.internal_errors.append(f"{spec.name}: {type(exc).__name__}: {exc}")
                failure = ApiError("internal", f"internal emulator error ({type(exc).__name__})")
                response = self._error_response(spec, failure, record)
            cut = self.faults.take(spec.name, {"drop_mid_body"})
            if cut is not None:
                exchange.cut_after = cut.after_bytes
                record.fault = cut.kind
            return response

        return endpoint

    async def _run(self, ctx: Ctx) -> Response:
        spec = ctx.spec
        fault = self.faults.take(spec.name, REQUEST_KINDS)
        if fault is not None:
            ctx.record.fault = fault.kind
            if fault.kind == "delay":
                await anyio.sleep(fault.seconds)
            else:
                return self._fault_response(fault, ctx.record)
        ctx.api_key = self._authenticate(spec, ctx.request)
        self.state.materialize(self.config.parse_delay)
        if spec.bucket is not None:
            ctx.limit(spec.bucket)
        return await spec.handler(ctx)

    def _authenticate(self, spec: RouteSpec, request: Request) -> str:
        cfg = self.config
        if spec.host == "personal":
            header, key, allowed = (
                "x-api-key",
                request.headers.get("x-api-key", ""),
                cfg.personal_keys,
            )
        else:
            header, key = "Authorization", request.headers.get("authorization", "")
            allowed = {"api": cfg.api_keys, "vlm": cfg.api_keys, "caption": cfg.caption_keys}.get(
                spec.host, cfg.access_tokens
            )
            if key.lower().startswith("bearer "):
                # Only chat_personal's table shows a Bearer scheme; elsewhere it is a client bug.
                if spec.name not in ("chat_personal", "chat_personal_stream"):
                    raise ApiError("auth", "Authorization takes the raw key, without 'Bearer'")
                key = key[7:]
        key = key.strip()
        if not key:
            raise ApiError("auth", f"{header} header is required")
        if allowed is not None and key not in allowed:
            raise ApiError("auth", "invalid API key" if spec.host != "legacy" else "invalid token")
        return key

    def _error_response(self, spec: RouteSpec, error: ApiError, record: RequestRecord) -> Response:
        if spec.host == "vlm":
            return _v2.error_response(spec, error, record)
        if spec.host == "caption":
            record.code = -1
            status = error.status or 200
            return JSONResponse({"code": -1, "msg": error.msg, "data": None}, status_code=status)
        code = error.code or _API_CODES.get(error.kind, "0500")
        record.code = code
        status = error.status or 200
        if spec.host == "personal" and error.status is None:
            status = _PERSONAL_STATUS.get(error.kind, 200)
        body = {"code": code, "msg": error.msg, "data": None, "success": False, "failed": True}
        return JSONResponse(body, status_code=status)

    @staticmethod
    def _fault_response(fault: Fault, record: RequestRecord) -> Response:
        if fault.kind == "error":
            record.code = fault.code
            return Response(
                fault_payload(fault), status_code=fault.status, media_type="application/json"
            )
        body = fault.body if fault.body is not None else http.HTTPStatus(fault.status).phrase
        return Response(
            body,
            status_code=fault.status,
            headers=dict(fault.headers),
            media_type=fault.content_type,
        )

    # ----------------------------------------------------------------- background jobs

    def schedule_callback(
        self, kind: str, url: str, body: Callable[[], dict[str, Any]], delay: float
    ) -> None:
        """After `delay` seconds, build the body and POST it to `url` if it is on loopback."""

        async def job() -> None:
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                payload = body()
            except Exception as exc:
                self.internal_errors.append(f"callback {kind}: {type(exc).__name__}: {exc}")
                return
            record = CallbackRecord(kind, url, payload, time.time())
            status, error = await post_callback(url, payload, self.config.callback_timeout)
            record.status = status
            record.delivered = status is not None
            record.error = error or None
            self.callbacks.append(record)

        self._spawn(job())

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        with self._tasks_lock:
            self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with self._tasks_lock:
            self._tasks.discard(task)

    def _pending(self) -> list[asyncio.Task[None]]:
        with self._tasks_lock:
            return [t for t in self._tasks if not t.done()]

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every scheduled callback has been sent (or given up), on any loop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while pending := self._pending():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{len(pending)} emulator job(s) still running")
            mine = [t for t in pending if t.get_loop() is loop]
            if mine:
                await asyncio.wait(mine, timeout=min(remaining, 0.05))
            else:
                await asyncio.sleep(0.005)

    async def _cancel_tasks(self) -> None:
        loop = asyncio.get_running_loop()
        mine = [t for t in self._pending() if t.get_loop() is loop]
        for task in mine:
            task.cancel()
        if mine:
            await asyncio.gather(*mine, return_exceptions=True)

    # ----------------------------------------------------------------- conveniences

    def transport(self) -> httpx.ASGITransport:
        """An httpx transport that calls the app in-process (no socket)."""
        return httpx.ASGITransport(app=self.app)

    def client(
        self,
        api_key: str | None = "test-key",
        *,
        base_url: str = "http://127.0.0.1",
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` over the in-process app, sending `Authorization: api_key`."""
        sent = {"Authorization": api_key} if api_key else {}
        sent.update(headers or {})
        return httpx.AsyncClient(
            transport=self.transport(), base_url=base_url, headers=sent, **kwargs
        )

    def set_video_status(
        self, api_key: str, video_no: str, status: str | None, *, unique_id: str = "default"
    ) -> None:
        """Force a private video's status (e.g. "FAIL"); None returns it to the clock."""
        with self.state.lock:
            video = self.state.scope(api_key, unique_id).videos.get(video_no)
            if video is None:
                raise KeyError(video_no)
            video.status_override = status

    def reset(self) -> None:
        """Forget all state, records, faults, callbacks and rate-limit history."""
        with self.state.lock:
            for _, scope in self.state.scopes():
                for video in scope.videos.values():
                    self.blobs.discard(video.blob)
                for image in scope.images.values():
                    self.blobs.discard(image.blob)
            self.state.reset()
        self.requests.clear()
        self.callbacks.clear()
        self.faults.clear()
        self.rate_limits.reset()
        self.internal_errors.clear()

    def close(self) -> None:
        """Remove the temporary directory; pending callbacks on other loops are cancelled."""
        self._closed = True
        for task in self._pending():
            loop = task.get_loop()
            if not loop.is_closed():
                try:
                    running_here = asyncio.get_running_loop() is loop
                except RuntimeError:
                    running_here = False
                if running_here:
                    task.cancel()
                else:
                    loop.call_soon_threadsafe(task.cancel)
        self.blobs.close()

    async def aclose(self) -> None:
        """Cancel this loop's pending callbacks, then `close()`."""
        await self._cancel_tasks()
        self.close()

    @property
    def closed(self) -> bool:
        """True after `close()`."""
        return self._closed

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Emulator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
