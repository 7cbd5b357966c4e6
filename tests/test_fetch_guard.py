"""The app's address guard: a URL typed into the web app never reaches this machine's own network, not through an
IP literal, a host name, a DNS answer or a redirect; connections go to the address that was checked.

The refused addresses are checked before any connection is made, so these tests send no traffic to them; the only
servers contacted listen on 127.0.0.1 / 127.0.0.2 and are let through explicitly (`allowed`)."""

from __future__ import annotations

import ipaddress

import pytest

from rag.fetch.errors import FetchError
from rag.fetch.guard import AddressGuard, is_public
from rag.fetch.http import Downloader
from rag.settings import Settings
from tests.fetch_server import FetchServer, Route


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("127.8.9.10", False), ("10.1.2.3", False), ("172.16.0.1", False),
    ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("255.255.255.255", False), ("::1", False), ("fe80::1", False), ("fd00:ec2::254", False),
    ("::ffff:127.0.0.1", False), ("::ffff:93.184.216.34", True), ("2002:7f00:1::", False),
])
def test_which_addresses_are_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("url, shown", [
    ("http://127.0.0.1:8000/feed.xml", "127.0.0.1 is on this machine's own or private network"),
    ("http://[::1]/x", "::1 is on"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is on"),
    ("http://10.0.0.5/admin", "10.0.0.5 is on"),
    ("http://[::ffff:192.168.0.1]/", "::ffff:192.168.0.1 is on"),
    ("http://0.0.0.0:7860/", "0.0.0.0 is on"),
])
def test_private_addresses_are_refused_before_connecting(url, shown):
    guard = AddressGuard(resolver=lambda host, port: pytest.fail("IP literals are not resolved"))
    with pytest.raises(FetchError) as err:
        guard.pin(url)
    assert shown in str(err.value) and "PODRAG_FETCH_ALLOW_PRIVATE" in str(err.value)


def test_a_name_is_checked_by_every_address_it_resolves_to():
    answers = {"localhost": ["127.0.0.1"], "intranet.example": ["93.184.216.34", "192.168.0.10"],
               "2130706433": ["127.0.0.1"], "public.example": ["93.184.216.34", "2606:2800:220:1::1"]}
    guard = AddressGuard(resolver=lambda host, port: answers[host])
    with pytest.raises(FetchError, match="localhost resolves to 127.0.0.1, which is on this machine's own"):
        guard.pin("http://localhost:7860/")
    with pytest.raises(FetchError, match="intranet.example resolves to 192.168.0.10"):
        guard.pin("https://intranet.example/feed")
    with pytest.raises(FetchError, match="resolves to 127.0.0.1"):
        guard.pin("http://2130706433/")  # 127.0.0.1 written as one number
    pinned = guard.pin("https://public.example/feed.xml")
    assert (pinned.host, pinned.port, pinned.address) == ("public.example", 443, "93.184.216.34")


def test_allowing_private_addresses_turns_the_check_off():
    assert AddressGuard(allow_private=True).pin("http://127.0.0.1:8000/") is None


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(tmp_path):
    """'podcast.test' exists in no DNS: the request can only reach the server through the pinned address."""
    with FetchServer() as server:
        server.file("/feed.xml", "<rss/>")
        guard = AddressGuard(resolver=lambda host, port: ["127.0.0.1"], allowed=["127.0.0.1/32"])
        with Downloader(Settings(_env_file=None), guard) as d:
            got = d.get(f"http://podcast.test:{server.port}/feed.xml", tmp_path / "f")
    assert got.path.read_text() == "<rss/>"
    assert server.hits[0].headers["Host"] == f"podcast.test:{server.port}"


def test_a_redirect_to_a_private_address_is_refused(tmp_path):
    """The first server is allowed; it redirects to another on 127.0.0.2, which is not: no request reaches it."""
    with FetchServer() as public, FetchServer("127.0.0.2") as private:
        private.file("/secret", "root:x:0:0")
        public.route("/go", Route(status=302, headers={"Location": private.url("/secret")}))
        guard = AddressGuard(allowed=["127.0.0.1/32"])
        with Downloader(Settings(_env_file=None), guard) as d, pytest.raises(FetchError) as err:
            d.get(public.url("/go"), tmp_path / "x")
    assert "127.0.0.2 is on this machine's own or private network" in str(err.value)
    assert private.hits == [] and not (tmp_path / "x").exists()


def test_https_to_the_checked_address_still_verifies_the_name(tmp_path):
    """Pinning connects to the checked address but keeps the host name for SNI and certificate checks: a
    certificate for podcast.test is accepted for podcast.test, refused for another name at the same address."""
    import http.server
    import shutil
    import ssl
    import subprocess
    import threading

    import httpx

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=podcast.test", "-addext",
                    "subjectAltName=DNS:podcast.test"], check=True, capture_output=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = f"Host: {self.headers['Host']}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    port = httpd.server_address[1]
    try:
        guard = AddressGuard(resolver=lambda host, p: ["127.0.0.1"], allowed=["127.0.0.1/32"])
        with Downloader(Settings(_env_file=None), guard) as d:
            d.client = httpx.Client(verify=str(cert), trust_env=False)  # trust the test's own certificate
            got = d.get(f"https://podcast.test:{port}/feed.xml", tmp_path / "ok")
            assert got.path.read_text() == f"Host: podcast.test:{port}"
            with pytest.raises(FetchError, match="certificate verify failed"):
                d.get(f"https://other.test:{port}/feed.xml", tmp_path / "bad")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_allowed_ip_literal_is_fetched_as_it_is(tmp_path):
    with FetchServer() as server:
        server.file("/x", "<rss/>")
        with Downloader(Settings(_env_file=None), AddressGuard(allowed=["127.0.0.1/32"])) as d:
            assert d.get(server.url("/x"), tmp_path / "x").path.read_text() == "<rss/>"
    assert server.hits[0].headers["Host"] == f"127.0.0.1:{server.port}"
