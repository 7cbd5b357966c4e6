"""Which addresses a download may reach.

The web app fetches URLs that anyone with access to the page types in. Without a guard such a URL could reach
what sits behind the machine's firewall: a database on 127.0.0.1, a router at 192.168.0.1, a cloud metadata
service at 169.254.169.254. So, for the app, a host is resolved once here, every address it resolves to must be
a public (global) one, and the connection is then made to that checked address (`Pinned`), never through a
second DNS lookup that could answer differently (DNS rebinding). Redirects go through the same check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from rag.fetch.errors import FetchError

Resolver = Callable[[str, int], Sequence[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for `host` (IPv4 and IPv6), in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True)
class Pinned:
    """Where to connect for a URL: the checked address, and the host name for the Host header and TLS."""

    host: str
    port: int
    address: str
    literal: bool = False  # the URL names the address itself: nothing to pin


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; FetchError for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(url, f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise FetchError(url, f"unsupported address scheme {scheme + ':' if scheme else '(none)'}: "
                              "expected an http:// or https:// URL")
    if not parts.hostname:
        raise FetchError(url, "no host name in the URL")
    if parts.username or parts.password:
        raise FetchError(url, "URLs with a user name or password are not fetched")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local (metadata services),
    shared (CGNAT), multicast, reserved or unspecified. IPv4 inside IPv6 (::ffff:127.0.0.1) counts as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
    return address.is_global and not address.is_multicast


class AddressGuard:
    """Resolves and checks hosts. `allow_private` turns the check off (the CLI, or a test's 127.0.0.1 server);
    `allowed` lists networks let through even so (e.g. one test server's address)."""

    def __init__(self, allow_private: bool = False, resolver: Resolver | None = None,
                 allowed: Sequence[str] = ()):
        self.allow_private = allow_private
        self.resolver = resolver or system_resolver
        self.allowed = [ipaddress.ip_network(n, strict=False) for n in allowed]

    def pin(self, url: str) -> Pinned | None:
        """The address to connect to for `url`, checked; None when no check applies (the connection then
        resolves the host itself)."""
        _, host, port = split_url(url)
        if self.allow_private:
            return None
        literal = True
        try:
            answers = [ipaddress.ip_address(host)]
        except ValueError:
            literal = False
            try:
                answers = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolver(host, port)]
            except (OSError, UnicodeError) as exc:
                raise FetchError(url, f"cannot resolve host {host}: {getattr(exc, 'strerror', None) or exc}",
                                 network=True) from exc
            if not answers:
                raise FetchError(url, f"cannot resolve host {host}: no address", network=True) from None
        for address in answers:
            if not (is_public(address) or any(address in net for net in self.allowed)):
                where = host if literal else f"{host} resolves to {address}, which"
                raise FetchError(
                    url, f"{where} is on this machine's own or private network: not fetched "
                         "(PODRAG_FETCH_ALLOW_PRIVATE=true allows it)")
        return Pinned(host, port, str(answers[0]), literal)
