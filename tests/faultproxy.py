"""A TCP proxy that injects database faults: forward, refuse or hang (issue 12's tests).

It sits between callguide and a real PostgreSQL on loopback:

- ``forward``: bytes pass both ways, as if the proxy were not there;
- ``refuse``: the listening socket is closed (new connections are refused) and every open
  connection is cut, as when the database stops;
- ``hang``: connections are accepted and bytes are read, but nothing is passed on in either
  direction until ``forward`` again, as when the database (or the network) stops answering.
"""

from __future__ import annotations

import socket
import threading
import time


class FaultProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)):
        self.upstream = upstream
        self.mode = "forward"
        self._stopped = False
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._listen()

    # -- modes ----------------------------------------------------------------------------------
    def forward(self) -> None:
        self.mode = "forward"
        if self._listener is None:
            self._listen()

    def hang(self) -> None:
        self.mode = "hang"
        if self._listener is None:
            self._listen()

    def refuse(self) -> None:
        self.mode = "refuse"
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        self._cut_all()

    def stop(self) -> None:
        self._stopped = True
        self.refuse()

    # -- plumbing -------------------------------------------------------------------------------
    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by refuse()
            self._track(client)
            threading.Thread(target=self._open, args=(client,), daemon=True).start()

    def _open(self, client: socket.socket) -> None:
        self._wait_while_hung()
        if self.mode == "refuse" or self._stopped:
            self._close(client)
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
            server.settimeout(None)
        except OSError:
            self._close(client)
            return
        self._track(server)
        threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self._wait_while_hung()
                if self.mode == "refuse":
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src)
            self._close(dst)

    def _wait_while_hung(self) -> None:
        while self.mode == "hang" and not self._stopped:
            time.sleep(0.02)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _cut_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)
