"""Who is on the other end of a request or a websocket: the client's address.

The socket's peer address is the client, unless that peer is a proxy named in
``settings.TRUSTED_PROXIES`` (addresses or networks, e.g. ``10.0.0.0/8``). Then
``X-Forwarded-For`` is read from the right, skipping trusted proxies: the first
address that is not one is the client (a client can put anything on the left
of that header; only what our proxies appended is true). Without trusted
proxies ``X-Forwarded-For`` is ignored: a new value is never a new client.

One rule for the login throttle (HTTP) and the socket caps (ASGI scope).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "1.2.3.4:5678"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(peer: str | None) -> bool:
    address = _address(peer)
    networks = trusted_networks()
    return address is not None and any(address in network for network in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str] = ()) -> str:
    """The client's address as text, from the socket ``peer`` and the values of
    ``X-Forwarded-For`` headers (in order received)."""
    address = _address(peer)
    if address is None:
        return UNKNOWN
    networks = trusted_networks()
    if not networks or not any(address in network for network in networks):
        return str(address)
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        hop_address = _address(hop)
        if hop_address is None:
            break  # garbage from the client side: the last good hop stands
        address = hop_address
        if not any(hop_address in network for network in networks):
            break
    return str(address)


def request_client(meta: Mapping[str, Any]) -> str:
    """The client of a Django request (``request.META``)."""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    return client_address(meta.get("REMOTE_ADDR"), [forwarded] if forwarded else [])


def scope_header(scope: Mapping[str, Any], name: bytes) -> list[str]:
    return [
        value.decode("latin-1") for key, value in scope.get("headers", ()) if key.lower() == name
    ]


def scope_client(scope: Mapping[str, Any]) -> str:
    """The client of an ASGI connection (a websocket's scope)."""
    peer = scope.get("client")
    host = peer[0] if peer else None
    return client_address(host, scope_header(scope, b"x-forwarded-for"))


def scope_scheme(scope: Mapping[str, Any]) -> str:
    """``https`` or ``http``: what the browser used, as far as we can trust it
    (``X-Forwarded-Proto`` counts only from a trusted proxy)."""
    scheme = str(scope.get("scheme") or "ws")
    secure = scheme in ("wss", "https")
    peer = scope.get("client")
    if peer and is_trusted_proxy(peer[0]):
        proto = scope_header(scope, b"x-forwarded-proto")
        if proto:
            secure = proto[-1].split(",")[-1].strip().lower() in ("https", "wss")
    return "https" if secure else "http"
