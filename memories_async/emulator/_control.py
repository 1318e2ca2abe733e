"""The control API under /_emulator/, for tests that run the emulator in another process.

Unauthenticated (it only ever listens on loopback) and never recorded in the request log.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._faults import Fault

if TYPE_CHECKING:
    from ._app import Emulator

__all__ = ["control_routes"]


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        raise ValueError("body must be JSON") from None
    if not isinstance(value, dict):
        raise ValueError("body must be a JSON object")
    return value


def control_routes(emu: Emulator) -> list[BaseRoute]:
    """Routes that expose the emulator's records, faults and limits over HTTP."""

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            emu.requests.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse([r.to_dict() for r in emu.requests])

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            emu.faults.clear(request.query_params.get("endpoint"))
            return JSONResponse({"cleared": True})
        if request.method == "POST":
            try:
                body = await _json(request)
                fault = Fault.from_dict(body.get("fault") or {})
                rule = emu.faults.add(
                    str(body.get("endpoint", "")),
                    fault,
                    times=body.get("times", 1),
                    skip=int(body.get("skip", 0)),
                )
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse(rule.to_dict())
        return JSONResponse([r.to_dict() for r in emu.faults.rules])

    async def rate_limits(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await _json(request)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            if "enabled" in body:
                emu.rate_limits.enabled = bool(body["enabled"])
            if body.get("reset"):
                emu.rate_limits.reset()
        return JSONResponse(
            {
                "enabled": emu.rate_limits.enabled,
                "accepted": emu.rate_limits.accepted,
                "rejected": emu.rate_limits.rejected,
            }
        )

    async def callbacks(request: Request) -> Response:
        return JSONResponse([c.to_dict() for c in emu.callbacks])

    async def reset(request: Request) -> Response:
        emu.reset()
        return JSONResponse({"reset": True})

    async def image(request: Request) -> Response:
        wanted = request.path_params["image_id"]
        for _, scope in emu.state.scopes():
            found = scope.images.get(wanted)
            if found is not None:
                chunks = [c async for c in emu.blobs.iter_chunks(found.blob)]
                return Response(b"".join(chunks), media_type="application/octet-stream")
        return JSONResponse({"error": "image not found"}, status_code=404)

    return [
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/requests", requests, methods=["GET", "DELETE"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/rate_limits", rate_limits, methods=["GET", "POST"]),
        Route("/_emulator/callbacks", callbacks, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/images/{image_id}", image, methods=["GET"]),
    ]
