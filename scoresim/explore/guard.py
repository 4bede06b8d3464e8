"""What every answer of the explorer passes through: the Host check and security headers.

The explorer has no login: what keeps other sites' pages from reading it is the browser's
same-origin rule. A page on ``evil.example`` whose name is made to resolve to 127.0.0.1
(DNS rebinding) is same-origin with it by name, so the server answers only requests whose
``Host`` is the address it listens on. The headers keep its pages from being framed,
sniffed into another type, or running script from anywhere but the explorer itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "SECURITY_HEADERS",
    "Guard",
    "allowed_hosts",
    "is_loopback",
    "is_wildcard",
]

#: Script, style, data and fonts from the explorer only. Plotly draws with inline ``style``
#: attributes and style rules, which 'self' alone blocks (charts lose their layout). No
#: inline script and no eval.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
#: Sent with every answer (also errors and refusals).
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", CSP),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
#: Names of this machine's loopback interface a browser may use.
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (localhost, 127.0.0.0/8, ::1)."""
    ip = _address(host)
    return host.lower() == "localhost" if ip is None else ip.is_loopback


def is_wildcard(host: str) -> bool:
    """Whether ``host`` means every address of this machine (0.0.0.0, ::, or empty)."""
    ip = _address(host)
    return host == "" or (ip is not None and ip.is_unspecified)


def _named(host: str) -> str:
    """``host`` as it appears in a Host header (an IPv6 address in brackets)."""
    ip = _address(host)
    return f"[{ip.compressed}]" if isinstance(ip, ipaddress.IPv6Address) else host.lower()


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host header values a server listening on ``host``:``port`` answers.

    Loopback: ``localhost``, ``127.0.0.1`` and ``[::1]`` (and ``host`` itself) with the
    port. Another address or name: that, with the port. Every address (0.0.0.0, ::): None,
    any Host, since the names it is reached by are not known (the command warns).
    Without the port too where it is 80, as browsers leave it out there.
    """
    if is_wildcard(host):
        return None
    names = {_named(host)}
    if is_loopback(host):
        names.update(_LOOPBACK_NAMES)
    out = {f"{n}:{port}" for n in names}
    if port == 80:
        out |= names
    return frozenset(out)


class Guard:
    """ASGI middleware: refuse requests for another Host; add the security headers.

    Args:
        app: The app it guards.
        hosts: The Host values answered (lower case, with the port); None: any.
    """

    def __init__(self, app: ASGIApp, hosts: Collection[str] | None = None) -> None:
        self.app = app
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400 for another Host, else pass the request on and add the headers."""
        if scope["type"] != "http":  # lifespan; the explorer serves no websockets
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if self.hosts is not None and host not in self.hosts:
            await self._refuse(send, 400, b"invalid Host header\n")
            return
        if scope["method"] not in _SAFE_METHODS and _cross_site(headers, host):
            # A page elsewhere can send a form or a text/plain POST without asking first
            # (no CORS preflight): what changes anything must come from the explorer's pages.
            await self._refuse(send, 403, b"cross-site request refused\n")
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_guarded)

    @staticmethod
    async def _refuse(send: Send, status: int, body: bytes) -> None:
        """A short plain refusal that says nothing about the server."""
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


#: Methods that change nothing, which any page may send.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _cross_site(headers: dict[bytes, bytes], host: str) -> bool:
    """Whether a request comes from a page of another site (what browsers say of it).

    ``Sec-Fetch-Site`` where the browser sends it, else ``Origin``, which must name the
    Host it is sent to. A request with neither is not from a browser's page (curl, tests).
    """
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1").lower()
    if site:
        return site not in ("same-origin", "none")
    origin = headers.get(b"origin", b"").decode("latin-1").lower()
    if not origin:
        return False
    return urlsplit(origin).netloc != host
