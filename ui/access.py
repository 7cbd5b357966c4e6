"""Who may reach the app: loopback by default; any other address only with a password, or an explicit opt-out.

The issue asked for a warning when the app is exposed without a password. A warning scrolls away while anyone
on the network can read the index, upload files and write feedback, so an unprotected non-loopback bind is
refused unless `--insecure` says it is meant (a lab behind its own proxy, say), and then it warns loudly.
"""

from __future__ import annotations

import ipaddress
import socket

from rag.errors import PodragError


class AccessError(PodragError):
    """The app was asked to start in a way that would expose it unprotected."""


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach: 127.0.0.0/8, ::1, 'localhost'."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def parse_auth(text: str | None) -> tuple[str, str] | None:
    """'user:password' -> ('user', 'password'); the password may contain ':'. None when not given."""
    if text is None or not text.strip():
        return None
    user, sep, password = text.partition(":")
    if not sep or not user.strip() or not password:
        raise AccessError("--auth / PODRAG_AUTH: expected user:password, e.g. --auth lex:correct-horse")
    return user.strip(), password


def exposure_warning(host: str, credentials: tuple[str, str] | None, insecure: bool) -> str | None:
    """The warning to print for this bind (None on loopback); raises `AccessError` when it is refused."""
    if is_loopback(host):
        return None
    if credentials is None and not insecure:
        raise AccessError(
            f"refusing to serve on {host} without a password: anyone who can reach this machine could read the "
            "index and upload files. Add --auth user:password (or set PODRAG_AUTH), bind 127.0.0.1, or pass "
            "--insecure if the network is already protected"
        )
    if credentials is None:
        return (f"WARNING: serving on {host} WITHOUT a password (--insecure): anyone who can reach this machine "
                "can read the index, upload episodes and write feedback.")
    return (f"note: serving on {host} with a password over plain HTTP; put a TLS proxy in front of it if the "
            "network is not trusted.")


def check_port_free(host: str, port: int) -> None:
    """Raise `AccessError` (one line) when `host:port` cannot be bound, e.g. another server is on it; checked
    before the model loads, so a busy port fails at once."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no conflict
            s.bind((host.strip("[]"), port))
    except OSError as exc:
        raise AccessError(f"cannot serve on {host}:{port}: {exc.strerror or exc} (another server is probably "
                          "using it; choose another with --port or PODRAG_PORT)") from exc
