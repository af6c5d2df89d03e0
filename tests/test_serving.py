"""The service's connections send each response at once (TCP_NODELAY), with any number of workers."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from uvicorn.server import ServerState

from callguide.serving import NoDelayH11Protocol


class _Transport(asyncio.Transport):
    def __init__(self, sock: socket.socket):
        super().__init__()
        self.sock = sock

    def get_extra_info(self, name, default=None):
        extra = {"socket": self.sock, "peername": self.sock.getpeername(), "sockname": self.sock.getsockname()}
        return extra.get(name, default)


def test_connections_get_tcp_nodelay_even_on_a_socket_bound_like_workers_bind_it():
    listener = socket.socket(socket.AF_INET)  # proto 0: how uvicorn binds for --workers
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        config = uvicorn.Config(app=lambda *a: None, http=NoDelayH11Protocol)
        config.load()
        loop = asyncio.new_event_loop()
        try:
            protocol = NoDelayH11Protocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
            protocol.connection_made(_Transport(accepted))
        finally:
            loop.close()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        for sock in (client, accepted, listener):
            sock.close()
