"""Serving the explorer: the listening socket, and bounded waits for slow or idle clients.

uvicorn drops a keep-alive connection idle after a response (``timeout_keep_alive``), but
it sets no time limit on a request's arrival: a client that connects and sends nothing, or
sends its head a byte at a time, holds its connection for as long as it likes (800 such
clients held the explorer for a minute and more). :class:`GuardedH11Protocol` gives every
request :data:`REQUEST_TIMEOUT` seconds to arrive whole, head and body, counted from the
connection (or the previous answer); a connection still waiting for one then is closed.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from scoresim.explore.guard import is_loopback, is_wildcard

__all__ = [
    "KEEP_ALIVE",
    "MAX_CONNECTIONS",
    "MAX_HEAD",
    "REQUEST_TIMEOUT",
    "GuardedH11Protocol",
    "ListenError",
    "config",
    "exposure_warning",
    "listen",
    "serve",
    "server",
    "url",
]

#: Seconds a client has to send a whole request, from connecting or the previous answer.
REQUEST_TIMEOUT = 5.0
#: Seconds an idle connection is kept after an answer (uvicorn's ``timeout_keep_alive``).
KEEP_ALIVE = 5
#: Connections and requests at once; further requests get 503 until some end. A browser
#: opens about six; this bounds a flood's tasks below the usual limit of 1024 open files,
#: and a flood of slow connections ends within REQUEST_TIMEOUT anyway.
MAX_CONNECTIONS = 500
#: The largest request head (request line and headers) read, in bytes; more is a 400.
MAX_HEAD = 16 * 1024


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request to arrive whole.

    The deadline runs from the connection, and again from each answer, to the end of the
    next request's body. A request that has arrived is not hurried: the app may take as
    long as it needs to answer it.
    """

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the clock for the first request."""
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def on_response_complete(self) -> None:
        """Start the clock for the next request on this connection."""
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(REQUEST_TIMEOUT, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        """Close the connection if a request is still arriving (or none has begun)."""
        self._deadline = None
        # IDLE: no request head complete yet; SEND_BODY: its body not all here. DONE: the
        # app is answering, which is not the client's delay.
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()


class ListenError(Exception):
    """The explorer cannot listen where asked (one line, for the command to print)."""


def url(host: str, port: int) -> str:
    """The address to open in a browser (an IPv6 address in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening (port 0: any free one).

    Bound before the address is printed, so that what is printed is what is served, and a
    port in use is said at once.

    Raises:
        ListenError: If the host is no address of this machine, the port is in use or
            needs privileges, or the system cannot listen there.
    """
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, socket.gaierror) else "not a valid host name"
        raise ListenError(f"--host {host}: no such address ({why})") from None
    # A name with both kinds of address: IPv4 first, what browsers try for "localhost".
    family, kind, proto, _, address = sorted(found, key=lambda a: a[0] != socket.AF_INET)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ListenError(
                f"port {port} is in use on {host} (another program listens there): "
                "choose another with --port, or --port 0 for any free one"
            ) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise ListenError(f"port {port} needs privileges: choose one above 1023") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ListenError(f"--host {host}: not an address of this machine") from None
        raise ListenError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    return sock


def exposure_warning(host: str) -> str | None:
    """A warning if ``host`` is reachable from other machines (None for loopback)."""
    if is_loopback(host):
        return None
    where = "every address of this machine" if is_wildcard(host) else host
    return (
        f"the explorer listens on {where} and has no authentication: anyone who can reach "
        "this machine over the network can read these results"
    )


def config(app: Any, host: str, port: int) -> uvicorn.Config:
    """The uvicorn settings of the explorer: bounded waits, connections and heads."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=GuardedH11Protocol,
        ws="none",
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE,
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=MAX_HEAD,
        timeout_graceful_shutdown=3,  # Ctrl-C does not wait for idle browsers' connections
    )


def server(app: Any, sock: socket.socket) -> uvicorn.Server:
    """A uvicorn server for ``app`` on the listening ``sock`` (``run(sockets=[sock])``)."""
    host, port = sock.getsockname()[:2]
    return uvicorn.Server(config(app, str(host), int(port)))


def serve(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on the listening ``sock`` until interrupted."""
    server(app, sock).run(sockets=[sock])
