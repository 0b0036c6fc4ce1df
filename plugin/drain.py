"""Draining: what an API process does between being told to stop and exiting.

On SIGTERM (an orchestrator) or SIGINT (Ctrl-C) the process starts draining at once:
``/readyz`` answers 503 with ``"draining": true``, every open ``GET /v1/events`` stream ends
cleanly (the browser's ``EventSource`` reconnects, to another replica once the load balancer has
dropped this one, with ``Last-Event-ID``, and misses nothing), and a stream opened now ends as soon
as it starts. Then uvicorn stops listening, lets the requests in flight finish
(``timeout_graceful_shutdown``, dreamchat/launcher.py) and the process exits.

How it hooks into uvicorn (0.54, ``uvicorn/server.py``): ``Server.serve`` installs its own
SIGINT/SIGTERM handler, ``handle_exit``, which only sets ``should_exit`` for its main loop to see
within 0.1 s; it does so *before* running the app's lifespan startup, and puts the previous
handlers back after the lifespan shutdown. So the lifespan (plugin/app.py) enters
``Drain.handling_signals``, which puts a handler in front of uvicorn's: it marks the process as
draining first, then hands the signal on to uvicorn — at once, or, for the first SIGTERM, after
``DREAMCHAT_SHUTDOWN_DELAY_SECONDS`` of still serving while ``/readyz`` says 503 (for load
balancers that learn of a stop only from ``/readyz``; a second signal ends the wait). The draining
flag is therefore always set before uvicorn starts its own shutdown. Each ``--api-workers``
process runs its own ``Server.serve`` and lifespan and gets the signal from uvicorn's supervisor
(or from the terminal, for Ctrl-C), so the same holds there.

Why not wait for uvicorn to notice: its flag is only polled, and sse-starlette, which also
watches it, cancels the streams without ending their responses (the client sees a connection
cut mid-body, not the end of a stream).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import anyio

__all__ = ["Drain"]

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Drain:
    """One per app: whether the process is stopping, and the waits that stopping interrupts."""

    def __init__(self) -> None:
        self.draining = False
        self._waits: set[anyio.CancelScope] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def begin(self) -> None:
        """Start draining. Safe from any thread and from a signal handler: the waits are
        interrupted from the event loop that serves the app."""
        self.draining = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._interrupt_waits)

    def _interrupt_waits(self) -> None:
        for scope in list(self._waits):
            scope.cancel()

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Around a wait that draining ends early (an event stream's blocking read): the wait
        is cancelled, and the block exits normally, when draining starts or has started."""
        with anyio.CancelScope() as scope:
            self._waits.add(scope)
            try:
                if self.draining:
                    scope.cancel()
                yield
            finally:
                self._waits.discard(scope)

    @contextmanager
    def handling_signals(self, *, delay_seconds: float = 0.0) -> Iterator[None]:
        """For the app's lifespan, in the event loop: chain onto the stop signals' handlers
        that are installed now (uvicorn's) and put them back on the way out. Off the main
        thread (a test's server in a thread, ``TestClient``) there are no handlers to chain;
        ``begin()`` still works."""
        loop = self._loop = asyncio.get_running_loop()
        chained: dict[int, Callable[[int, FrameType | None], object]] = {}
        if threading.current_thread() is threading.main_thread():
            chained = {sig: h for sig in _STOP_SIGNALS if callable(h := signal.getsignal(sig))}
        pending: asyncio.TimerHandle | None = None
        first = True

        def hand_on(sig: int, frame: FrameType | None) -> None:
            nonlocal pending
            if pending is not None:
                pending.cancel()
                pending = None
            chained[sig](sig, frame)

        def dispatch(sig: int, frame: FrameType | None) -> None:  # in the event loop
            nonlocal pending, first
            if first and sig == signal.SIGTERM and delay_seconds > 0:
                pending = loop.call_later(delay_seconds, hand_on, sig, frame)
            else:  # a second signal, or Ctrl-C: a person at a terminal, no load balancer
                hand_on(sig, frame)
            first = False

        def on_signal(sig: int, frame: FrameType | None) -> None:
            # A signal handler runs between two bytecodes of the main thread, which is the
            # event loop's: touch no loop state here, only schedule.
            self.begin()
            loop.call_soon_threadsafe(dispatch, sig, frame)

        for sig in chained:
            signal.signal(sig, on_signal)
        try:
            yield
        finally:
            if pending is not None:
                pending.cancel()
            for sig, handler in chained.items():
                if signal.getsignal(sig) is on_signal:
                    signal.signal(sig, handler)
            self._loop = None
