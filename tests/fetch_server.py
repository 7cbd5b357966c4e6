"""A real HTTP server on 127.0.0.1 for the fetching tests: files with ETag / Last-Modified (and 304s), redirects,
errors, slow, hung and lying responses. It logs every request so tests can assert what was (not) downloaded."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/octet-stream"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag and Last-Modified, answer 304 to matching conditional requests
    # Misbehaviour: "hang" (headers, then nothing), "hang-headers" (nothing at all), "drip" (one byte per
    # `delay` seconds), "endless" (bytes until the client stops), "short" (announce more than is sent).
    mode: str = ""
    delay: float = 0.0
    length: int | None = None  # the Content-Length to announce, if not the body's


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int


class FetchServer:
    """`server.route("/feed.xml", Route(...))`; `server.url("/feed.xml")`; `server.hits` lists requests."""

    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Route | Callable[[], Route]] = {}
        self.hits: list[Hit] = []
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                route = server.routes.get(self.path.split("?")[0])
                if callable(route):
                    route = route()
                if route is None:
                    route = Route(b"not found", "text/plain", 404)
                status = route.status
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:12] + '"'
                modified = "Wed, 21 Oct 2026 07:28:00 GMT"
                # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110, 13.2.2).
                if_none = self.headers.get("If-None-Match")
                unchanged = (if_none == etag if if_none is not None
                             else self.headers.get("If-Modified-Since") == modified)
                if route.validators and status == 200 and unchanged:
                    status = 304
                server.hits.append(Hit(self.path, dict(self.headers), status))
                if route.mode == "hang-headers":
                    server.stop.wait(60)
                    return
                self.send_response(status)
                self.send_header("Content-Type", route.content_type)
                if route.validators and route.status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", modified)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                if status == 304:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.mode == "endless":
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = route.body or b"\0" * 65536
                    try:
                        while not server.stop.is_set():
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    return
                self.send_header("Content-Length", str(route.length if route.length is not None else len(route.body)))
                self.end_headers()
                try:
                    if route.mode == "hang":
                        self.wfile.write(route.body[:10])
                        self.wfile.flush()
                        server.stop.wait(60)
                    elif route.mode == "drip":
                        for i in range(len(route.body)):
                            if server.stop.is_set():
                                return
                            self.wfile.write(route.body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(route.delay)
                    else:
                        self.wfile.write(route.body)
                    if route.mode == "short":
                        self.close_connection = True
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = host, self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def route(self, path: str, route: Route | Callable[[], Route]) -> str:
        self.routes[path] = route
        return self.url(path)

    def file(self, path: str, body: bytes | str, content_type: str = "text/plain", **kw) -> str:
        return self.route(path, Route(body.encode() if isinstance(body, str) else body, content_type, **kw))

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def downloads(self, path: str) -> int:
        """How many requests for `path` got a body (status 200)."""
        return sum(1 for h in self.hits if h.path == path and h.status == 200)

    def __enter__(self) -> FetchServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
