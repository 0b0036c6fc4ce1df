"""SSRF guard for requests the server makes to URLs that tenants choose (webhook endpoints).

A webhook delivery is a request the server sends on a tenant's behalf. Unguarded, a tenant could
aim one at ``http://169.254.169.254/`` (cloud credentials), at Redis on localhost or at anything
else on the private network, and read the answers in the delivery log. One rule applies: every
address the host resolves to must be public, unless ``allow_hosts`` names the host, the address
or a network around it (``DREAMCHAT_WEBHOOK_ALLOW_HOSTS``, e.g. ``127.0.0.1,localhost`` for local
development).

The rule is enforced twice:

- :func:`check_webhook_url` when an endpoint is registered and before each delivery, so bad URLs
  fail early with a clear :class:`WebhookUrlError`.
- :class:`GuardedTransport` when a TCP connection is opened. It resolves the host, vets every
  address and then dials one of exactly those addresses, so DNS rebinding (a host that answers
  with a public address at check time and ``127.0.0.1`` a moment later) cannot slip through: the
  address that counts is the one the socket connects to, with no second lookup after the check.

Why a connect-time guard rather than rewriting the URL to a pinned IP: the URL, the Host header,
TLS SNI and certificate verification stay exactly what they are for the hostname, and pooled
connections stay keyed by hostname, so HTTPS needs no special handling. It is the httpx
counterpart of the dialer hook (Go's ``net.Dialer.Control``) that mature SSRF guards use.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from .errors import InvalidInput

__all__ = [
    "GuardedTransport",
    "Resolver",
    "WebhookUrlError",
    "check_webhook_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: ``socket.getaddrinfo`` or a stand-in with its shape, called as ``resolver(host, port)``.
Resolver = Callable[[str, int], Sequence[tuple[Any, Any, Any, Any, tuple[Any, ...]]]]

_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_DEFAULT_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=10)


class WebhookUrlError(InvalidInput, ValueError):
    """A URL the server will not send requests to; ``code`` is stable for API clients.

    An :class:`~core.errors.InvalidInput`, so the API answers it like any other bad
    request; also a ValueError, for callers that use the guard as a plain validator.

    - ``webhook_url_invalid``: not an http(s) URL with a host and without credentials.
    - ``webhook_url_forbidden``: the host is or resolves to a non-public address.
    - ``webhook_url_unresolvable``: the host has no address right now. Refuse it at registration;
      at delivery time treat it as temporary (DNS outages end).
    """

    INVALID = "webhook_url_invalid"
    FORBIDDEN = "webhook_url_forbidden"
    UNRESOLVABLE = "webhook_url_unresolvable"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class _AllowList:
    names: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> _AllowList:
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(_normalize_name(entry))
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return _normalize_name(host) in self.names

    def allows_address(self, address: IPAddress) -> bool:
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(a in net for a in candidates for net in self.networks)


def _normalize_name(host: str) -> str:
    return host.rstrip(".").lower()


def _parse_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _non_public_reason(address: IPAddress) -> str | None:
    """Why an address is off limits, or None when it is public."""
    if address in _METADATA:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        # IPv4 addresses wrapped in IPv6 reach the IPv4 host, so judge that host.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            reason = _non_public_reason(embedded)
            if reason is not None or address.ipv4_mapped is not None:
                return reason
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address in _CGNAT, "a carrier-grade NAT address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (site_local, "a site-local address"),
        (not address.is_global, "a non-global address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    literal = _parse_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise WebhookUrlError(
            WebhookUrlError.UNRESOLVABLE, f"webhook host {host!r} does not resolve: {exc}"
        ) from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise WebhookUrlError(WebhookUrlError.UNRESOLVABLE, f"webhook host {host!r} has no address")
    return addresses


def _vet(host: str, port: int, allow: _AllowList, resolver: Resolver) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses once every one of them is allowed.

    One non-public address is enough to refuse the host: a resolver may hand out any of them.
    """
    addresses = _resolve(host, port, resolver)
    if allow.allows_name(host):
        return addresses
    literal = _parse_address(host) is not None
    for address in addresses:
        reason = _non_public_reason(address)
        if reason is None or allow.allows_address(address):
            continue
        where = f"{host} is" if literal else f"{host} resolves to {address},"
        raise WebhookUrlError(
            WebhookUrlError.FORBIDDEN,
            f"webhook host {where} {reason}; use a public URL, or add the host to "
            "DREAMCHAT_WEBHOOK_ALLOW_HOSTS for local development",
        )
    return addresses


def check_webhook_url(
    url: str, *, allow_hosts: Iterable[str], resolver: Resolver = socket.getaddrinfo
) -> None:
    """Refuse ``url`` with a :class:`WebhookUrlError` unless it is safe to send requests to.

    The URL is parsed by httpx, the same parser that will send the request, so no parser
    disagreement can make this check look at one host while the request goes to another.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise WebhookUrlError(WebhookUrlError.INVALID, f"webhook URL is malformed: {exc}") from None
    if parsed.scheme not in _DEFAULT_PORTS:
        raise WebhookUrlError(
            WebhookUrlError.INVALID, "webhook URL must start with https:// or http://"
        )
    if parsed.userinfo:
        raise WebhookUrlError(
            WebhookUrlError.INVALID,
            "webhook URL must not contain credentials; receivers verify the signature instead",
        )
    if not parsed.raw_host:
        raise WebhookUrlError(WebhookUrlError.INVALID, "webhook URL has no host")
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    _vet(parsed.raw_host.decode("ascii"), port, _AllowList.parse(allow_hosts), resolver)


class _GuardedBackend(httpcore.NetworkBackend):
    """Dials only addresses that :func:`_vet` approved in the same call."""

    def __init__(self, allow: _AllowList, resolver: Resolver) -> None:
        self._allow = allow
        self._resolver = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        options = list(socket_options or ())
        error: httpcore.ConnectError | None = None
        for address in _vet(host, port, self._allow, self._resolver):
            try:
                return self._inner.connect_tcp(str(address), port, timeout, local_address, options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None  # _vet returns at least one address
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("guarded connections never use unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose every new connection obeys the SSRF rule at connect time.

    Environment proxies are ignored (a proxy would make the guard vet the proxy, not the target).
    """

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        resolver: Resolver = socket.getaddrinfo,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = _DEFAULT_LIMITS,
    ) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        # httpx offers no public hook for httpcore's network backend, so replace the pool it just
        # built with an equivalent one that dials through the guard. httpx is pinned; the
        # rebinding test in tests/core/test_netguard.py fails if this stops taking effect.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(_AllowList.parse(allow_hosts), resolver),
        )
