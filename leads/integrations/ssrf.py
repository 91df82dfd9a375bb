"""Where a webhook may point (SSRF guard): http(s) only, no credentials in the URL,
and, unless ``settings.WEBHOOK_ALLOW_PRIVATE``, no host that resolves to a
loopback, private, link-local, multicast, reserved or otherwise non-public
address. Checked when the webhook is made, and again at every delivery: the host
is resolved, every address checked, and the request sent to the checked address
(Host header and TLS name unchanged), so a DNS answer that changes later cannot
point a delivery inside. A refusal says what kind of address the host points to,
never the address itself (it would map the internal network for whoever asks).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings


class TargetRefused(Exception):
    """The webhook's URL may not be delivered to (the message says why)."""


class TargetUnresolved(TargetRefused):
    """The host does not resolve (now, from here)."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def target_check(url: str) -> httpx.URL:
    """The parsed URL, or ``TargetRefused``: http(s) with a host, no credentials.
    Parsed as the delivering client parses it, so both read the same host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise TargetRefused("The URL is not a valid URL.") from None
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise TargetRefused("The URL must be http:// or https://.")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise TargetRefused("The URL's port must be 1 to 65535.")
    if parsed.userinfo:
        raise TargetRefused(
            "The URL must not carry credentials (user:password@); "
            "the receiver checks the signature made with the webhook's secret."
        )
    return parsed


def target_refusal(url: str) -> str | None:
    """Why a webhook may not be made for ``url``, or ``None``. A host that does not
    resolve from here now is let through: every delivery checks it again."""
    try:
        parsed = target_check(url)
        if not settings.WEBHOOK_ALLOW_PRIVATE:
            public_addresses(parsed)
    except TargetUnresolved:
        return None
    except TargetRefused as refused:
        return str(refused)
    return None


def public_addresses(parsed: httpx.URL) -> list[IPAddress]:
    """The host's addresses (resolved now); ``TargetRefused`` when it does not
    resolve or when any of them is not public."""
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, OverflowError) as error:
        raise TargetUnresolved(f"{host} does not resolve: {error}") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    for address in addresses:
        kind = internal_kind(address)
        if kind is not None:
            # The kind, not the address: the answer would map the internal network.
            raise TargetRefused(
                f"{host} points to a {kind} address: webhooks may not target "
                "internal addresses (set WEBHOOK_ALLOW_PRIVATE to allow them)."
            )
    if not addresses:
        raise TargetUnresolved(f"{host} does not resolve.")
    return addresses


def internal_kind(address: IPAddress) -> str | None:
    """What makes the address internal (``None``: public)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return internal_kind(embedded)
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


@dataclass
class Target:
    """Where one delivery goes: the URL to POST to, and what keeps the host's name."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def delivery_target(url: str) -> Target:
    """The checked target of one delivery (``TargetRefused`` otherwise). With private
    targets refused, the request goes to the address just checked: the Host header
    and the TLS server name (SNI, certificate check) keep the URL's host, and the
    connection is not kept for another host that shares the address."""
    parsed = target_check(url)
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return Target(url=url)
    address = public_addresses(parsed)[0]
    host = parsed.raw_host.decode("ascii")
    target = Target(
        url=str(parsed.copy_with(host=str(address))),
        headers={"Host": parsed.netloc.decode("ascii"), "Connection": "close"},
    )
    if parsed.scheme == "https":
        target.extensions["sni_hostname"] = host
    return target
