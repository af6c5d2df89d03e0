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
"""

from __future__ import annotations

import copy
import gc
import socket
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

APP = "callguide.asgi:app"


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with ``TCP_NODELAY`` set on each new connection."""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


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


def serve(host: str, port: int, workers: int = 1, access_log: bool = False) -> None:
    uvicorn.run(APP, host=host, port=port, workers=workers, http=NoDelayH11Protocol,
                access_log=access_log, log_config=log_config(), log_level="info")
