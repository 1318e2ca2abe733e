"""Real sockets: uvicorn in a background thread on a free loopback port, shut down cleanly.

`serve()` and `serve_async()` bind the socket themselves (port 0 picks a free one), so the URL
is known before the server starts and nothing races for the port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from functools import partial
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from ._app import Emulator
from ._faults import EmulatedDisconnect

__all__ = ["ServerThread", "SocketApp", "serve", "serve_async"]

_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 15.0


class SocketApp:
    """Wrap the app for a socket server: an emulated disconnect ends the ASGI call without
    completing the response, so uvicorn closes the connection (no 500, no traceback)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except EmulatedDisconnect:
            return


class _Server(uvicorn.Server):
    """uvicorn.Server whose idle loop wakes as soon as it is told to stop (not every 0.1 s)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._guard = threading.Lock()

    async def main_loop(self) -> None:
        with self._guard:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864_000  # on_tick refreshes the Date header every 10
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)

    def stop(self) -> None:
        """Ask the server to shut down (thread-safe)."""
        self.should_exit = True
        with self._guard:
            loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (0 picks a free port) and already listening, so a
    client that connects before the server accepts waits in the kernel's queue instead of being
    refused.

    It is made with IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on accepted sockets
    whose proto says TCP, and without it each keep-alive request waits ~40 ms for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class ServerThread:
    """One uvicorn server in one daemon thread with its own event loop."""

    def __init__(
        self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *, log_level: str | None = None
    ) -> None:
        self.host = host
        self._socket = listening_socket(host, port)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            SocketApp(app),
            log_config=None,
            log_level=log_level,
            access_log=False,
            lifespan="on",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=5,
        )
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._run, name="memories-emulator", daemon=True)
        self._error: BaseException | None = None
        self._ended = threading.Event()
        self._on_end: list[Callable[[], object]] = []
        self._end_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """http://host:port (IPv6 hosts bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # reported by start()/stop()
            self._error = exc
        finally:
            self._socket.close()
            with self._end_lock:
                self._ended.set()
                waiters, self._on_end = self._on_end, []
            for notify in waiters:
                notify()

    def _check_started(self) -> bool:
        if self._server.started:
            return True
        if not self._thread.is_alive():
            self._socket.close()
            raise RuntimeError("the emulator server failed to start") from self._error
        return False

    def begin(self) -> None:
        """Start the thread without waiting."""
        self._thread.start()

    def start(self) -> str:
        """Start and wait until the server accepts connections; returns the base URL."""
        self.begin()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._check_started():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator server did not start in time")
            time.sleep(0.001)
        return self.base_url

    async def astart(self) -> str:
        """`start()` without blocking the event loop."""
        self.begin()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._check_started():
            if time.monotonic() > deadline:
                await self.astop()
                raise RuntimeError("the emulator server did not start in time")
            await asyncio.sleep(0.001)
        return self.base_url

    def request_stop(self) -> None:
        """Tell the server to stop, without waiting."""
        self._server.stop()

    def _finish(self) -> None:
        self._socket.close()
        if self._thread.is_alive():
            raise RuntimeError("the emulator server did not stop in time")

    def stop(self) -> None:
        """Stop the server and join its thread."""
        self.request_stop()
        if self._thread.ident is not None:
            self._thread.join(_STOP_TIMEOUT)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(_STOP_TIMEOUT)
        self._finish()

    async def astop(self) -> None:
        """`stop()` without blocking the event loop."""
        self.request_stop()
        if self._thread.ident is not None:
            loop = asyncio.get_running_loop()
            ended = asyncio.Event()
            with self._end_lock:
                if self._ended.is_set():
                    ended.set()
                else:
                    self._on_end.append(partial(loop.call_soon_threadsafe, ended.set))
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(ended.wait(), _STOP_TIMEOUT)
            self._thread.join(_STOP_TIMEOUT if self._ended.is_set() else 0)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(_STOP_TIMEOUT)
        self._finish()


def _emulator(emulator: Emulator | None, options: dict[str, Any]) -> tuple[Emulator, bool]:
    if emulator is not None and options:
        raise TypeError("pass either an Emulator or emulator options, not both")
    return (emulator, False) if emulator is not None else (Emulator(**options), True)


@contextmanager
def serve(
    emulator: Emulator | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str | None = None,
    **options: Any,
) -> Iterator[str]:
    """Serve `emulator` (or a new one made from `options`) on a real socket; yields its URL.

    ```python
    with serve(emu) as base_url:
        httpx.get(f"{base_url}/_emulator/health")
    ```
    An emulator created here is closed on exit; one passed in is left open.
    """
    emu, owned = _emulator(emulator, options)
    try:
        server = ServerThread(emu.app, host, port, log_level=log_level)
        try:
            yield server.start()
        finally:
            server.stop()
    finally:
        if owned:
            emu.close()


@asynccontextmanager
async def serve_async(
    emulator: Emulator | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str | None = None,
    **options: Any,
) -> AsyncIterator[str]:
    """`serve()` for async code: starting and stopping never block the event loop."""
    emu, owned = _emulator(emulator, options)
    try:
        server = ServerThread(emu.app, host, port, log_level=log_level)
        try:
            yield await server.astart()
        finally:
            await server.astop()
    finally:
        if owned:
            emu.close()
