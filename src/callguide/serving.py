"""Running the service with uvicorn.

With ``--workers N`` uvicorn binds the listening socket itself as ``socket.socket(family)``, whose
``proto`` is 0, and asyncio only sets ``TCP_NODELAY`` on accepted sockets whose ``proto`` is
``IPPROTO_TCP``. Without it, Nagle's algorithm holds the second write of each keep-alive response
until the client's delayed ACK: about 40 ms per request (seen here: 43 ms with 2 workers against
1.3 ms with one). The protocol below sets ``TCP_NODELAY`` on every connection, however the socket
was made.

Two more settings come from measuring (bench/http_bench.py, 16 connections on 2 cores):
- Python's full garbage collections walk every object, including the decision caches, and
  stalled requests by tens of milliseconds: :func:`tune_gc` freezes what start-up built out of the
  collector's reach and collects the young generation less often (decisions p99 45 -> 12 ms).
- uvicorn's access log, one line per request, cost about 40% of throughput; it is off unless asked
  for (``--access-log``). The service's own log line per decision (recommendation and rule ids,
  no facts) stays.

Slow clients (issue 16). uvicorn bounds only the idle time between keep-alive requests; nothing
bounds how long a client may take over a request's head or body, and every open connection holds
a file descriptor. 130 connections that sent half a request head took a 128-descriptor server
down for as long as they were held. :class:`GuardedH11Protocol` therefore
- closes a connection whose request head has not arrived ``header_timeout`` seconds after it
  opened (or after its previous response), and one whose body has not arrived ``body_timeout``
  seconds after its head, with a 408;
- keeps at most ``max_connections`` connections per worker, by default well below the descriptor
  limit (which ``serve`` first raises to the hard limit), with a listen backlog small enough that
  a burst of accepts cannot exhaust it either: a new connection over the cap closes the connection that has waited longest for a
  request head (idle keep-alive or half-sent), so a flood of half-open connections cannot keep
  ``/healthz`` or a care worker out;
- answers 503 to requests over ``concurrency`` in flight per worker. uvicorn's own
  ``limit_concurrency`` counts idle connections too, so half-open connections would turn every
  request into a 503: it is not used.
"""

from __future__ import annotations

import copy
import functools
import gc
import logging
import os
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import h11
import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from .problems import CLOSE, send_problem

APP = "callguide.asgi:app"
ALLOWED_HOSTS_ENV = "CALLGUIDE_ALLOWED_HOSTS"  # read by callguide.asgi in every worker
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
FD_RESERVE = 64  # descriptors kept for the database, log files, the listening socket and imports
FD_TARGET = 65536  # the soft descriptor limit serve asks for, when the hard limit allows
AUTO_CONNECTIONS_MAX = 4096
MIN_CONNECTIONS = 8
MIN_BACKLOG, MAX_BACKLOG = 16, 2048  # uvicorn's default backlog is 2048

log = logging.getLogger("callguide.serving")


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with ``TCP_NODELAY`` set on each new connection."""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


# -- slow clients --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """How long a client may take over a request, and how many connections and requests a worker holds."""

    header_timeout: float = 10.0  # seconds for the request line and headers
    body_timeout: float = 30.0  # seconds for the body, from the end of the head (bodies are at most 64 KiB)
    max_connections: int = 0  # per worker; 0: from the descriptor limit (see connection_cap)
    concurrency: int = 100  # requests in flight per worker before 503


def raise_descriptor_limit() -> None:
    """Lift the soft file-descriptor limit to the hard one (at most 65,536): each connection holds one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = FD_TARGET if hard == resource.RLIM_INFINITY else min(hard, FD_TARGET)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _descriptor_room() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return FD_TARGET if soft == resource.RLIM_INFINITY else max(0, soft - FD_RESERVE)


def accept_backlog() -> int:
    """The listen backlog, which is also how many connections asyncio accepts in one go before any
    of them is seen (and the cap applied): small enough that a burst cannot run out of descriptors."""
    return max(MIN_BACKLOG, min(MAX_BACKLOG, _descriptor_room() // 8))


@functools.cache  # per process: the descriptor limit is set before the workers start
def connection_cap(requested: int = 0) -> int:
    """Connections one worker may hold: ``requested`` (0: as many as is safe), never so many that
    a burst of accepts (three batches arrive before the first is seen) runs out of descriptors: when
    accept() fails for that, asyncio stops accepting for a second and logs an error per attempt."""
    safe = max(MIN_CONNECTIONS, _descriptor_room() - 3 * accept_backlog())
    return min(requested, safe) if requested > 0 else min(AUTO_CONNECTIONS_MAX, safe)


# uvicorn kills a worker that does not answer its parent's ping within this many seconds (its
# default, 5, counts from the spawn): a new worker answers only once Python has started and imported
# uvicorn and this module, which on a busy 2-core machine took longer, so workers were killed while
# starting, again and again, and the service never came up. A hung worker is still replaced.
WORKER_HEALTHCHECK_S = 30


class ServeConfig(uvicorn.Config):
    """uvicorn's config plus :class:`Limits` (pickled to each worker process with the config)."""

    def __init__(self, *args: Any, limits: Limits = Limits(), **kwargs: Any):
        kwargs.setdefault("timeout_worker_healthcheck", WORKER_HEALTHCHECK_S)
        super().__init__(*args, **kwargs)
        self.limits = limits


_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class _Tally:
    """Counts what the guards did and logs it at most every ``every`` seconds: a flood of slow
    clients must not become a flood of log lines (no addresses are logged)."""

    def __init__(self, every: float = 10.0):
        self.every, self.counts, self.since = every, {}, float("-inf")  # the first is logged at once

    def note(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1
        now = time.monotonic()
        if now - self.since >= self.every:
            log.warning("slow or excess clients: %s", ", ".join(f"{n} {w}" for w, n in sorted(self.counts.items())))
            self.counts, self.since = {}, now


tally = _Tally()


def _request_limit(app: Callable[..., Awaitable[None]], tasks: set[Any], limit: int) -> Callable[..., Awaitable[None]]:
    """``app``, answering 503 while more than ``limit`` requests of this worker are in flight."""

    async def limited(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and len(tasks) > limit:  # this request's own task is counted
            tally.note("answered 503: too many requests in flight")
            await send_problem(send, 503, "(request)", "the service is busy; try again in a moment",
                               (b"retry-after", b"1"), CLOSE)
            return
        await app(scope, receive, send)

    return limited


class GuardedH11Protocol(NoDelayH11Protocol):
    """Bounds the time for a request's head and body, and the connections a worker holds (see above)."""

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any], _loop: Any = None):
        super().__init__(config, server_state, app_state, _loop)
        self.limits: Limits = getattr(config, "limits", Limits())
        self.max_connections = connection_cap(self.limits.max_connections)
        self.limit_concurrency = None  # uvicorn's check counts idle connections: ours counts requests
        self.app = _request_limit(self.app, self.tasks, self.limits.concurrency)
        self.phase = "head"  # head: waiting for a request head; body: reading its body; app: answering
        self.waiting_since: float | None = None  # when it began waiting for a head (eviction order)
        self.deadline: Any = None
        self.head_begun = False  # some bytes of the awaited request head have arrived

    # The request's phase, from h11's view of the client, after every batch of events.
    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
        self._make_room()

    def data_received(self, data: bytes) -> None:
        if self.phase == "head" and data:
            self.head_begun = True
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        state = self.conn.their_state
        if state is h11.SEND_BODY and self.phase == "head":
            self.phase, self.waiting_since = "body", None
            self._arm(self.limits.body_timeout)
        elif state is not h11.IDLE and state is not h11.SEND_BODY and self.phase != "app":
            self.phase, self.waiting_since = "app", None
            self._disarm()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._await_head()  # before uvicorn handles any pipelined request (which moves the phase on)
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.waiting_since = None
        super().connection_lost(exc)

    def _await_head(self) -> None:
        # A pipelined request may already be waiting in h11's buffer.
        self.phase, self.waiting_since = "head", self.loop.time()
        self.head_begun = bool(self.conn.trailing_data[0])
        self._arm(self.limits.header_timeout)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _expired(self) -> None:
        self.deadline = None
        if self.transport.is_closing() or self.phase == "app":
            return
        tally.note(f"closed: request {self.phase} too slow")
        self._close(self._timeout_reply())

    def _timeout_reply(self) -> bytes:
        """408 to a client that began a request and has no response yet. An idle connection is closed
        without one (as uvicorn's keep-alive timeout does): a client sending its next request just
        then would take a 408 for that request's answer."""
        if self.phase == "head":
            return _408 if self.head_begun else b""
        return _408 if self.cycle is None or not self.cycle.response_started else b""

    def _close(self, reply: bytes) -> None:
        """Close now, with ``reply`` written first; no longer counted against the cap."""
        self._disarm()
        self.waiting_since = None
        self.connections.discard(self)
        if reply:
            self.transport.write(reply)
        self.transport.close()

    def _make_room(self) -> None:
        """Over the cap, close the connection that has waited longest for a request head; if every
        connection is busy answering, refuse this one."""
        if len(self.connections) <= self.max_connections:
            return
        waiting = [c for c in self.connections
                   if c is not self and getattr(c, "waiting_since", None) is not None]
        if waiting:
            tally.note("closed: the connection waiting longest, to make room")
            oldest = min(waiting, key=lambda c: c.waiting_since)
            oldest._close(oldest._timeout_reply())
        else:
            tally.note("refused: every connection busy")
            self._close(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\n"
                        b"connection: close\r\n\r\n")


# -- start-up ------------------------------------------------------------------------------------
YOUNG_GENERATION_THRESHOLD = 50_000  # allocations between young collections (CPython's default: 700)


def tune_gc() -> None:
    """Call once the app is built: start-up objects leave the collector's view, young GCs are rarer."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


def log_config() -> dict[str, Any]:
    """uvicorn's own logging, plus callguide's loggers (which uvicorn's config would leave silent)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["callguide"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def default_allowed_hosts(host: str) -> list[str]:
    """The names a request may use for this service: the address it serves on and localhost. On a
    wildcard address (0.0.0.0, ::) that is this machine's name; say --allowed-hosts for the rest."""
    names = list(LOCAL_HOSTS)
    if host in ("0.0.0.0", "::", ""):
        names += [socket.gethostname(), socket.getfqdn()]
    else:
        names.append(host)
    return list(dict.fromkeys(name.strip("[]").lower() for name in names if name))


def serve(host: str, port: int, workers: int = 1, access_log: bool = False, *, limits: Limits = Limits(),
          timeout_keep_alive: int = 5, allowed_hosts: list[str] | None = None,
          forwarded_allow_ips: str | None = None) -> None:
    """Run the service. Forwarded headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed
    only from ``forwarded_allow_ips`` (a proxy's addresses); by default from nobody."""
    os.environ[ALLOWED_HOSTS_ENV] = ",".join(allowed_hosts or default_allowed_hosts(host))
    raise_descriptor_limit()  # inherited by the worker processes
    config = ServeConfig(APP, host=host, port=port, workers=workers, http=GuardedH11Protocol,
                         access_log=access_log, log_config=log_config(), log_level="info", limits=limits,
                         timeout_keep_alive=timeout_keep_alive, proxy_headers=bool(forwarded_allow_ips),
                         forwarded_allow_ips=forwarded_allow_ips or "", backlog=accept_backlog())
    server = uvicorn.Server(config=config)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server.run()
    if not server.started and config.workers == 1:
        raise SystemExit(3)  # uvicorn's STARTUP_FAILURE
