"""The SSRF guard: which webhook URLs are refused, and that the refusal holds at connect time."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from core.netguard import GuardedTransport, WebhookUrlError, check_webhook_url
from tests.worker.webhook_receiver import WebhookReceiver

Resolved = list[tuple[Any, Any, Any, Any, tuple[Any, ...]]]


def resolver_of(table: dict[str, Sequence[str]]) -> Callable[[str, int], Resolved]:
    """A getaddrinfo stand-in answering from ``table``; unknown names fail like real DNS."""

    def resolve(host: str, port: int) -> Resolved:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    return resolve


PUBLIC = resolver_of(
    {"hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]}
)


def refusal(url: str, allow_hosts: Sequence[str] = (), resolver: Any = PUBLIC) -> WebhookUrlError:
    with pytest.raises(WebhookUrlError) as caught:
        check_webhook_url(url, allow_hosts=allow_hosts, resolver=resolver)
    return caught.value


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number; the real resolver decodes it
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::]/hook",
        "http://[fc00::1]/hook",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[ff02::1]/hook",
        "http://[fec0::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
        "http://[2002:a00:1::]/hook",  # 6to4 wrapping 10.0.0.1
        "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 wrapping 169.254.169.254
    ],
)
def test_non_public_addresses_are_forbidden(url: str) -> None:
    error = refusal(url, resolver=socket.getaddrinfo)
    assert error.code == "webhook_url_forbidden"
    assert "DREAMCHAT_WEBHOOK_ALLOW_HOSTS" in str(error)


def test_metadata_address_is_named_as_such() -> None:
    assert "cloud metadata" in str(refusal("http://169.254.169.254/"))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://hooks.example.com/hook",
        "gopher://hooks.example.com/",
        "javascript:alert(1)",
        "hooks.example.com/hook",
        "",
        "http:///hook",
        "http://user:pass@hooks.example.com/hook",
        "https://token@hooks.example.com/hook",
    ],
)
def test_malformed_urls_are_invalid(url: str) -> None:
    assert refusal(url).code == "webhook_url_invalid"


def test_credentials_error_says_what_to_do() -> None:
    assert "signature" in str(refusal("http://user:pass@hooks.example.com/"))


def test_public_host_passes() -> None:
    check_webhook_url("https://hooks.example.com/dreamchat?x=1", allow_hosts=(), resolver=PUBLIC)
    check_webhook_url("http://93.184.215.14:8080/hook", allow_hosts=(), resolver=PUBLIC)


def test_hostname_resolving_to_a_private_address_is_forbidden() -> None:
    resolver = resolver_of({"internal.example.com": ["10.0.0.7"]})
    error = refusal("https://internal.example.com/hook", resolver=resolver)
    assert error.code == "webhook_url_forbidden"
    assert "internal.example.com resolves to 10.0.0.7" in str(error)


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    resolver = resolver_of({"mixed.example.com": ["93.184.215.14", "192.168.0.5"]})
    assert refusal("https://mixed.example.com/", resolver=resolver).code == "webhook_url_forbidden"


def test_unresolvable_host_has_its_own_code() -> None:
    assert refusal("https://nowhere.example.com/").code == "webhook_url_unresolvable"


@pytest.mark.parametrize(
    ("url", "allow_hosts"),
    [
        ("http://127.0.0.1:8000/hook", ["127.0.0.1"]),
        ("http://localhost:8000/hook", ["localhost"]),
        ("http://LOCALHOST./hook", ["localhost"]),
        ("http://localhost:8000/hook", ["127.0.0.1", "::1"]),  # by the addresses it resolves to
        ("http://[::1]:8000/hook", ["[::1]"]),
        ("http://10.2.3.4/hook", ["10.0.0.0/8"]),
        ("http://[::ffff:127.0.0.1]/hook", ["127.0.0.1"]),
    ],
)
def test_allow_hosts_lets_named_targets_through(url: str, allow_hosts: list[str]) -> None:
    resolver = resolver_of({"localhost": ["127.0.0.1", "::1"], "localhost.": ["127.0.0.1"]})
    check_webhook_url(url, allow_hosts=allow_hosts, resolver=resolver)


def test_allowing_one_host_does_not_allow_another() -> None:
    assert refusal("http://10.0.0.1/", allow_hosts=["127.0.0.1", "localhost"]).code == (
        "webhook_url_forbidden"
    )


def test_error_is_a_value_error() -> None:
    assert isinstance(refusal("ftp://x/"), ValueError)


class FlippingResolver:
    """DNS rebinding: a public answer for the check, then loopback for the connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls = 0

    def __call__(self, host: str, port: int) -> Resolved:
        self.calls += 1
        address = "93.184.215.14" if self.calls == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def test_dns_rebinding_is_refused_at_connect_time() -> None:
    with WebhookReceiver([200]) as receiver:
        port = int(receiver.base_url.rsplit(":", 1)[1])
        url = f"http://rebind.example.com:{port}/hook"
        resolver = FlippingResolver(port)
        check_webhook_url(url, allow_hosts=(), resolver=resolver)  # the public answer passes

        transport = GuardedTransport(allow_hosts=(), resolver=resolver)
        with httpx.Client(transport=transport) as client, pytest.raises(WebhookUrlError) as caught:
            client.post(url, content=b"{}")

        assert caught.value.code == "webhook_url_forbidden"
        assert resolver.calls == 2
        assert receiver.requests == []


def test_guarded_transport_refuses_loopback_without_a_precheck() -> None:
    with WebhookReceiver([200]) as receiver:
        with httpx.Client(transport=GuardedTransport()) as client:
            with pytest.raises(WebhookUrlError):
                client.get(receiver.url)
        assert receiver.requests == []


def test_guarded_transport_connects_to_allowed_hosts() -> None:
    with WebhookReceiver([204]) as receiver:
        transport = GuardedTransport(allow_hosts=["127.0.0.1"])
        with httpx.Client(transport=transport) as client:
            assert client.post(receiver.url, content=b"{}").status_code == 204
        assert [r.body for r in receiver.requests] == [b"{}"]


def test_guarded_transport_dials_the_vetted_address_and_keeps_the_host_header() -> None:
    with WebhookReceiver([200]) as receiver:
        port = int(receiver.base_url.rsplit(":", 1)[1])
        resolver = resolver_of({"dev.test": ["127.0.0.1"]})
        transport = GuardedTransport(allow_hosts=["127.0.0.1"], resolver=resolver)
        with httpx.Client(transport=transport) as client:
            assert client.get(f"http://dev.test:{port}/hook").status_code == 200
        assert receiver.requests[0].headers["host"] == f"dev.test:{port}"
