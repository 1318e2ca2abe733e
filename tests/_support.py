"""Helpers for tests: fixture payloads, a look inside httpx's connection pool, and a test run
under both of anyio's backends."""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx

FIXTURES = Path(__file__).parent / "fixtures"

# A body read only in part leaves httpx's and httpcore's own nested body generators unexhausted
# (BoundAsyncStream, AsyncResponseStream, PoolByteStream: the SDK closes `aiter_raw`, which does
# not close what it iterates); trio warns when it finalizes them. That is httpx's to fix
# (encode/httpx#3686); the connection itself is released, as the tests that use this check.
HTTPX_INNER_GENERATORS = "ignore:Async generator 'http(x|core)\\._:ResourceWarning"
HTTPX_INNER_GENERATOR_WARNING = ("Async generator 'httpx._", "Async generator 'httpcore._")


def load_fixture(name: str) -> Any:
    """A JSON payload copied from the vendor documents into tests/fixtures/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def checked_out_connections(http: httpx.AsyncClient) -> int:
    """Requests holding or waiting for a connection of the pool (0 when nothing leaked).

    It reads httpx's private `_transport._pool` (httpcore's pool, whose `connections` are
    public), or, under `DefaultAioHttpClient`, aiohttp's connector's private `_acquired`:
    neither library offers a public view of its pool, and what the server sees cannot tell a
    connection handed back for keep-alive from one a leaked stream still holds. Where the
    server can tell (a stream the client hung up on), the tests also read the emulator's
    records."""
    transport = http._transport  # type: ignore[attr-defined]
    pool = getattr(transport, "_pool", None)
    if pool is None:  # aiohttp's: its session exists once a request was made
        session = getattr(transport, "client", None)
        connector = getattr(session, "connector", None)
        return 0 if connector is None else len(connector._acquired)
    busy = [c for c in pool.connections if not (c.is_idle() or c.is_closed())]
    return max(len(busy), len(pool._requests))


def http_client_for(runtime: str) -> httpx.AsyncClient | None:
    """The `http_client` a test's client takes under `runtime`: aiohttp's, or none (the SDK's
    own httpx pools)."""
    if runtime != "aiohttp":
        return None
    from memories_async import DefaultAioHttpClient

    return DefaultAioHttpClient()


def backend_of(runtime: str) -> str:
    """The anyio backend a `runtime` runs on: aiohttp's transport runs on asyncio."""
    return "trio" if runtime == "trio" else "asyncio"


def on_both_backends(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test under asyncio and under trio (the `anyio_backend` fixture's params).

    pytest-asyncio's auto mode claims every coroutine test for asyncio, so the test becomes a
    plain function that runs the coroutine with `anyio.run`. Its fixtures must be sync ones;
    an `AsyncMemories` among them (unopened: it binds to no loop until used) is checked for
    connections still checked out, then closed, inside the same run, on its pool's loop.
    """
    return _run_under("anyio_backend", test)


def on_every_transport(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """`on_both_backends`, plus asyncio over aiohttp's transport (the `runtime` fixture): the
    test's client fixtures take `http_client_for(runtime)`."""
    return _run_under("runtime", test)


def _run_under(parameter: str, test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    signature = inspect.signature(test)
    takes_it = parameter in signature.parameters

    def run(**fixtures: Any) -> None:
        where = fixtures[parameter] if takes_it else fixtures.pop(parameter)
        backend = backend_of(where)

        async def main() -> None:
            try:
                await test(**fixtures)
            finally:
                from memories_async import AsyncMemories

                for value in fixtures.values():
                    if isinstance(value, AsyncMemories) and not value.is_closed:
                        held = checked_out_connections(value.http_client)
                        await value.aclose()
                        assert held == 0, f"{held} connection(s) still checked out"

        anyio.run(main, backend=backend)

    functools.update_wrapper(run, test)
    del run.__wrapped__  # type: ignore[attr-defined]  # pytest would read the coroutine's signature
    parameters = list(signature.parameters.values())
    if not takes_it:
        parameters.insert(0, inspect.Parameter(parameter, inspect.Parameter.POSITIONAL_OR_KEYWORD))
    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return run


@contextlib.contextmanager
def collector_held() -> Iterator[None]:
    """Hold Python's garbage collector off inside the block, for tests that time arrivals at a
    server against a rate window. In a process running the whole suite, each of 36 full
    collections took 10-260 ms; one landing between the rate ledger and the socket delays that
    request past the ledger's guard (20 ms), and the window would measure the pause, not the
    pacing."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
