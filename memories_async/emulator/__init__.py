"""A local Memories.ai server for tests: every endpoint of the wire contract, in-process or on a
loopback socket, with state, a demo library, strict validation, rate limits and faults on demand.

Install with ``pip install "memories-async[emulator]"``. It is an independent reading of the
vendor's documents (it imports nothing from the SDK), so it can serve as an oracle for it.

```python
from memories_async.emulator import Emulator, Fault, serve

emu = Emulator(parse_delay=0)
async with emu.client(api_key="sk-test") as http:          # in-process, no socket
    await http.post("/serve/api/v1/list_videos", json={})
emu.faults.add("search", Fault.http_status(503), times=2)
with serve(emu) as base_url:                                # real socket on 127.0.0.1
    ...
```
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import API_PREFIX, Emulator
    from ._config import EmulatorConfig
    from ._faults import EmulatedDisconnect, Fault, FaultRegistry, FaultRule
    from ._ratelimit import RATE_LIMITS, Limit, RateLimiter
    from ._records import REDACTED, CallbackRecord, FileInfo, RequestLog, RequestRecord
    from ._server import ServerThread, serve, serve_async

__all__ = [
    "API_PREFIX",
    "RATE_LIMITS",
    "REDACTED",
    "CallbackRecord",
    "EmulatedDisconnect",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultRegistry",
    "FaultRule",
    "FileInfo",
    "Limit",
    "RateLimiter",
    "RequestLog",
    "RequestRecord",
    "ServerThread",
    "serve",
    "serve_async",
]

# Loaded on first use, so that `memories_async.emulator._options` (the command line's flags) can be
# imported by `memories --help` without the emulator's extra (Starlette, uvicorn) installed.
_LAZY: dict[str, str] = {
    "API_PREFIX": "._app",
    "Emulator": "._app",
    "EmulatorConfig": "._config",
    "EmulatedDisconnect": "._faults",
    "Fault": "._faults",
    "FaultRegistry": "._faults",
    "FaultRule": "._faults",
    "RATE_LIMITS": "._ratelimit",
    "Limit": "._ratelimit",
    "RateLimiter": "._ratelimit",
    "REDACTED": "._records",
    "CallbackRecord": "._records",
    "FileInfo": "._records",
    "RequestLog": "._records",
    "RequestRecord": "._records",
    "ServerThread": "._server",
    "serve": "._server",
    "serve_async": "._server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
