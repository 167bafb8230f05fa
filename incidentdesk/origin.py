"""WebSocket origin check: the page must come from this site, scheme, host AND port.

Browsers send cookies with a WebSocket handshake whatever page opens it, so a page served by
another local port (another app on the supervisor's machine) could otherwise open the board
with the supervisor's session. Channels' AllowedHostsOriginValidator compares host names
only; this compares the full origin, like Django's CSRF check does for HTTP: the site's own
origin as the request sees it (scheme, Host header), or one of CSRF_TRUSTED_ORIGINS.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in; None if malformed."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return scheme, parts.hostname, port


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _own_origin(scope) -> tuple[str, str, int] | None:
    """The origin the browser addressed: the Host header (if it is an allowed host) and
    the scheme, https when the proxy says so (SECURE_PROXY_SSL_HEADER), as for HTTP."""
    host = _header(scope, b"host")
    if host is None and scope.get("server"):
        host = "{}:{}".format(*scope["server"])
    if host is None or not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        name = header.removeprefix("HTTP_").lower().replace("_", "-").encode()
        forwarded = _header(scope, name)
        if forwarded is not None:
            scheme = "https" if forwarded.split(",")[0].strip() == secure_value else "http"
    return _origin(scheme, host)


def _trusted(origin: tuple[str, str, int]) -> bool:
    """CSRF_TRUSTED_ORIGINS, with the same meaning as for Django's CSRF check (a leading
    "*." in the host matches subdomains)."""
    scheme, host, port = origin
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        parts = urlsplit(entry)
        wildcard = parts.netloc.startswith("*.")
        trusted = _origin(parts.scheme, parts.netloc.removeprefix("*."))
        if trusted is None or trusted[0] != scheme or trusted[2] != port:
            continue
        if trusted[1] == host or (wildcard and is_same_domain(host, "." + trusted[1])):
            return True
    return False


def origin_allowed(scope) -> bool:
    header = _header(scope, b"origin")
    if not header:
        return False
    parts = urlsplit(header)
    origin = _origin(parts.scheme, parts.netloc)
    if origin is None:
        return False
    return origin == _own_origin(scope) or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware: a WebSocket whose Origin is not this site's is refused at the
    handshake (403; a foreign page needs no close code)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
