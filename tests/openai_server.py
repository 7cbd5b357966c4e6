"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat API with scripted replies, for tests.

No real model is reachable in tests, so the code under test talks (with the real `openai` client, over real HTTP)
to this server instead. Each request to `/v1/chat/completions` takes the next scripted `Reply` from a queue (or asks a
`responder` function), and every request is recorded so a test can check what was sent (the prompt, the model,
`stream`). A reply may be a normal completion, streamed as server-sent events when the request asks for it; an HTTP
error (429 with Retry-After, 500, 401); garbage; or slow (a delay before the headers or between streamed pieces).

    from tests.openai_server import OpenAIServer, Reply

    with OpenAIServer() as server:                       # or the `openai_server` fixture of tests/conftest.py
        server.reply(Reply("DeepSeek has about 50,000 GPUs [1]."), Reply.error(429), Reply("ok"))
        settings = Settings(llm_base_url=server.base_url, ...)
        ...
        assert server.chat_requests[0].json["messages"][0]["role"] == "system"

`GET /v1/models` lists one model (`server.model`). A request when the queue is empty gets HTTP 500 with a message
saying so, which makes a missing script line visible in the failing test rather than hanging it.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_MODEL = "scripted-model"


@dataclass
class Reply:
    """One scripted response to a chat completion request."""

    content: str = ""  # the assistant's message
    status: int = 200
    stream: bool | None = None  # None: stream when the request asks for it
    pieces: list[str] | None = None  # the streamed deltas; default: `content` cut into words
    delay: float = 0.0  # seconds before the response starts
    piece_delay: float = 0.0  # seconds between streamed pieces
    body: bytes | None = None  # a raw body instead of a completion (garbage, an HTML error page)
    content_type: str | None = None  # with `body`
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"
    model: str | None = None  # the model the reply claims; default: the one requested

    @classmethod
    def error(cls, status: int, message: str = "scripted error", retry_after: float | None = None,
              **kwargs) -> Reply:
        """An OpenAI-style JSON error, e.g. `Reply.error(429, retry_after=0)`."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        body = json.dumps({"error": {"message": message, "type": "scripted", "code": status}}).encode()
        return cls(status=status, body=body, content_type="application/json", headers=headers, **kwargs)

    @classmethod
    def garbage(cls, stream: bool = False) -> Reply:
        """A 200 response that is not a chat completion: broken JSON, or broken server-sent events."""
        if stream:
            return cls(body=b"data: {not json at all\n\ndata: [DONE]\n\n", content_type="text/event-stream")
        return cls(body=b"<html>definitely not JSON", content_type="application/json")

    def deltas(self) -> list[str]:
        if self.pieces is not None:
            return self.pieces
        words = self.content.split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)] if self.content else []


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    json: dict | None  # the parsed body, when it was JSON
    at: float  # time.monotonic() when it arrived

    @property
    def messages(self) -> list[dict]:
        return (self.json or {}).get("messages", [])

    def text(self) -> str:
        """All message contents joined, for assertions about the prompt."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class OpenAIServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) that answers `/v1/chat/completions` from a script."""

    def __init__(self, model: str = DEFAULT_MODEL, api_key: str | None = None,
                 responder: Callable[[Request], Reply] | None = None):
        self.model = model
        self.api_key = api_key  # when set, requests without `Authorization: Bearer <key>` get 401
        self.responder = responder  # when set, it answers every chat request (the queue is ignored)
        self.requests: list[Request] = []
        self._replies: queue.Queue[Reply] = queue.Queue()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> OpenAIServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="openai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes handlers sleeping in a scripted delay
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as base_url."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script -------------------------------------------------------------------------------------------------

    def reply(self, *replies: Reply | str) -> None:
        """Queue replies for the next chat requests, in order (a str is a plain completion)."""
        for r in replies:
            self._replies.put(Reply(r) if isinstance(r, str) else r)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        return self._replies.qsize()

    @property
    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next_reply(self, request: Request) -> Reply:
        if self.responder:
            return self.responder(request)
        try:
            return self._replies.get_nowait()
        except queue.Empty:
            return Reply.error(500, "openai_server: no scripted reply left for this request")


def _make_handler(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the body ends when the connection closes: simplest for streaming

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def _record(self) -> Request:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            req = Request(self.command, self.path, dict(self.headers), body, time.monotonic())
            server.requests.append(req)
            return req

        def _authorized(self) -> bool:
            if server.api_key is None or self.headers.get("Authorization") == f"Bearer {server.api_key}":
                return True
            self._send(Reply.error(401, "Incorrect API key provided"))
            return False

        def do_GET(self) -> None:
            self._record()
            if not self._authorized():
                return
            if self.path.rstrip("/").endswith("/models"):
                data = {"object": "list", "data": [{"id": server.model, "object": "model", "created": 0,
                                                    "owned_by": "openai_server"}]}
                self._send(Reply(body=json.dumps(data).encode(), content_type="application/json"))
            else:
                self._send(Reply.error(404, f"no route {self.path}"))

        def do_POST(self) -> None:
            req = self._record()
            if not self._authorized():
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(Reply.error(404, f"no route {self.path}"))
                return
            reply = server._next_reply(req)
            if reply.delay and server._closing.wait(reply.delay):
                return
            stream = reply.stream if reply.stream is not None else bool((req.json or {}).get("stream"))
            model = reply.model or (req.json or {}).get("model") or server.model
            try:
                if reply.body is not None or reply.status != 200:
                    self._send(reply)
                elif stream:
                    self._stream(reply, model)
                else:
                    self._send(reply, json.dumps(_completion(reply, model)).encode(), "application/json")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to do

        def _send(self, reply: Reply, body: bytes | None = None, content_type: str | None = None) -> None:
            body = reply.body if body is None else body
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type or reply.content_type or "application/json")
            self.send_header("Content-Length", str(len(body or b"")))
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body or b"")

        def _stream(self, reply: Reply, model: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            deltas = reply.deltas()
            for i, piece in enumerate(deltas):
                if i and reply.piece_delay and server._closing.wait(reply.piece_delay):
                    return
                delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
                self._event(_chunk(model, delta, None))
            self._event(_chunk(model, {}, reply.finish_reason))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _event(self, data: dict) -> None:
            self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
            self.wfile.flush()

    return Handler


def _completion(reply: Reply, model: str) -> dict:
    return {
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                     "finish_reason": reply.finish_reason}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(model: str, delta: dict, finish_reason: str | None) -> dict:
    return {
        "id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
