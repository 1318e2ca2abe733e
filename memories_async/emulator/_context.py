"""What every handler gets: the route, the request, its record, the caller's key, and helpers.

Parsing helpers enforce the content type and record body fields (never file bytes) as they
parse, so the request log shows exactly what arrived.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._params import ApiError
from ._records import FileInfo, RequestRecord
from ._state import Scope

if TYPE_CHECKING:
    from ._app import Emulator

__all__ = ["Ctx", "Handler", "Host", "RouteSpec", "envelope", "exchange_of"]

Host = Literal["api", "caption", "legacy", "personal", "vlm"]
Handler = Callable[["Ctx"], Awaitable[Response]]


@dataclass(frozen=True)
class RouteSpec:
    """One endpoint: name (for faults and records), path, method, host, static rate bucket."""

    name: str
    path: str
    method: str
    host: Host
    handler: Handler
    bucket: str | None = None
    streaming: bool = False
    download: bool = False


@dataclass
class Exchange:
    """Per-request scratch shared by the recording middleware and the endpoint."""

    record: RequestRecord
    cut_after: int | None = None
    client_left: bool = False  # a stream noticed the client hang up before its end


def exchange_of(request: Request) -> Exchange | None:
    """The exchange the middleware attached to this request, if any."""
    found = request.scope.get("memories_emulator.exchange")
    return found if isinstance(found, Exchange) else None


def envelope(data: Any = None, **extra: Any) -> dict[str, Any]:
    """The success envelope of api.memories.ai."""
    body = {"code": "0000", "msg": "success", "data": data, "success": True, "failed": False}
    return body | extra


class Ctx:
    """A request being handled."""

    def __init__(self, emu: Emulator, request: Request, spec: RouteSpec, record: RequestRecord):
        self.emu = emu
        self.request = request
        self.spec = spec
        self.record = record
        self.api_key = ""

    @property
    def query(self) -> Mapping[str, str]:
        """The query parameters (last value wins)."""
        return self.request.query_params

    def _require_type(self, *accepted: str) -> str:
        raw = self.request.headers.get("content-type", "")
        media = raw.split(";", 1)[0].strip().lower()
        if media not in accepted:
            shown = media or "none"
            raise ApiError("param", f"Content-Type must be {' or '.join(accepted)}, got {shown}")
        return media

    async def json_body(self) -> Any:
        """The JSON body; the content type must be application/json."""
        self._require_type("application/json")
        raw = await self.request.body()
        try:
            value = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            self.record.json = raw[:200].decode("utf-8", "replace")
            raise ApiError("param", "request body is not valid JSON") from None
        self.record.json = value
        if value is None:
            raise ApiError("param", "request body is required")
        return value

    async def json_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object."""
        value = await self.json_body()
        if not isinstance(value, dict):
            raise ApiError("param", "request body must be a JSON object")
        return value

    @asynccontextmanager
    async def form(self, *, multipart_only: bool = True) -> AsyncIterator[FormData]:
        """The parsed form (files closed on exit); multipart/form-data unless told otherwise."""
        if multipart_only:
            self._require_type("multipart/form-data")
        else:
            self._require_type("multipart/form-data", "application/x-www-form-urlencoded")
        try:
            parsed = await self.request.form(max_files=1000, max_fields=1000)
        except HTTPException as exc:
            raise ApiError("param", f"malformed form body: {exc.detail}") from None
        try:
            for key, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    self.record.files.append(
                        FileInfo(key, value.filename or "", value.size or 0, value.content_type)
                    )
                else:
                    self.record.form[key] = value
                    self.record.form_lists.setdefault(key, []).append(value)
            yield parsed
        finally:
            await parsed.close()

    def limit(self, bucket: str) -> None:
        """Count this request in `bucket`; raise the 0429 answer when over the limit."""
        if not self.emu.rate_limits.hit(self.api_key, bucket):
            raise ApiError(
                "rate",
                "Request has exceeded the limit.",
                status=self.emu.config.rate_limit_status,
            )

    def scope(self, unique_id: str) -> Scope:
        """The caller's scope for a namespace."""
        return self.emu.state.scope(self.api_key, unique_id)

    def now(self) -> float:
        """The emulator's monotonic clock."""
        return self.emu.state.now()

    def ok(self, data: Any = None, **extra: Any) -> JSONResponse:
        """The success envelope."""
        self.record.code = "0000"
        return JSONResponse(envelope(data, **extra))

    def bare(self, payload: Any) -> JSONResponse:
        """A JSON answer without an envelope (the `results`/`total` endpoints)."""
        return JSONResponse(payload)

    def base_url(self) -> str:
        """The scheme and host the client used, for URLs that point back at the emulator."""
        return str(self.request.base_url).rstrip("/")
