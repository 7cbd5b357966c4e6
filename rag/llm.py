"""The one client for the optional LLM (any OpenAI-compatible server: OpenAI, Ollama, vLLM, llama.cpp server,
LM Studio). The answerer, the claim judge and the condensing of follow-up questions all call it, so they share one
configuration, one deadline rule and one set of error messages.

`LLMClient` owns the `openai` client, finds the model name when none is configured (a base-URL-only setup such as
Ollama's), retries 429 and 5xx with bounded backoff, turns every failure into an `LLMError` with a message a user can
act on (classified by the exception's type and the HTTP status, never by words in a message), and never lets a call
take longer than its deadline (`PODRAG_LLM_TIMEOUT` by default): the request runs in a worker thread and the caller
stops waiting at the deadline whatever the socket does.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rag.errors import PodragError
from rag.lazy import lazy_module
from rag.settings import Settings

openai = lazy_module("openai")  # ~1.7 s to import: only when an LLM is really called

log = logging.getLogger(__name__)

_BACKOFF_FIRST = 0.5  # seconds before the first retry; doubled each time, capped by the deadline
_BACKOFF_MAX = 8.0


class LLMError(PodragError):
    """The LLM gave no usable answer. The message says why, in words a user can act on."""


class LLMNotConfigured(LLMError):
    """An LLM answer was asked for but no LLM is configured."""


def deadline_after(seconds: float) -> float:
    """A deadline on the `time.monotonic()` clock."""
    return time.monotonic() + seconds


@dataclass
class Generation:
    """What a streamed completion left behind once its text was read."""

    model: str | None = None
    finish_reason: str | None = None
    text: str = ""
    chunks: int = 0  # stream events that parsed as completion chunks


class LLMClient:
    """The OpenAI-compatible chat endpoint: one client, one model, bounded retries, one deadline per call."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.base_url = settings.llm_base_url or "https://api.openai.com/v1"
        key = settings.llm_key()
        if not key and not settings.llm_base_url:
            raise LLMNotConfigured("OpenAI needs an API key: set OPENAI_API_KEY (or PODRAG_LLM_API_KEY), or point "
                                   "PODRAG_LLM_BASE_URL at a local server")
        # Local servers (Ollama, llama.cpp, vLLM) accept any key; the client insists on one. Retries are ours, so
        # that their total time is bounded by the deadline.
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key or "unused",
                                     timeout=settings.llm_timeout, max_retries=0)
        self._model: str | None = settings.llm_model

    @property
    def model(self) -> str | None:
        """The model's name: configured, or found on the server by the first call."""
        return self._model

    def label(self) -> str:
        """The model for people to read, without asking the server."""
        return self._model or f"the default model at {self.settings.llm_place()}"

    # -- calls --------------------------------------------------------------------------------------------------

    def complete(self, messages: list[dict], deadline: float | None = None, **options) -> Generation:
        """A whole (non-streamed) completion. `options` go to the API as they are (e.g. response_format)."""
        deadline = deadline or deadline_after(self.settings.llm_timeout)
        out = Generation()

        def work(put: Callable[[object], None], stop: threading.Event) -> None:
            model = self._resolve_model(stop, deadline)
            reply = self._create(stop, deadline, model=model, messages=messages, stream=False,
                                 **self._defaults(options))
            choice = reply.choices[0]
            out.model, out.finish_reason = reply.model or model, choice.finish_reason
            out.text = choice.message.content or ""

        for _ in self._run(work, deadline):
            pass
        if not out.text.strip():
            raise LLMError(f"the LLM at {self.settings.llm_place()} returned an empty answer")
        return out

    def stream(self, messages: list[dict], deadline: float | None = None,
               generation: Generation | None = None, **options) -> Iterator[str]:
        """The completion's text as it arrives. `generation`, if given, gets the model name, the finish reason and
        the whole text once the stream ends."""
        deadline = deadline or deadline_after(self.settings.llm_timeout)
        out = generation if generation is not None else Generation()

        def work(put: Callable[[object], None], stop: threading.Event) -> None:
            model = self._resolve_model(stop, deadline)
            out.model = model
            with self._create(stop, deadline, model=model, messages=messages, stream=True,
                              **self._defaults(options)) as stream:
                for chunk in stream:
                    if stop.is_set():
                        return
                    out.chunks += 1
                    out.model = chunk.model or out.model
                    for choice in chunk.choices or []:
                        out.finish_reason = choice.finish_reason or out.finish_reason
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            put(piece)

        for piece in self._run(work, deadline):
            out.text += piece
            yield piece
        if not out.chunks:
            raise LLMError(f"the LLM server at {self.settings.llm_place()} sent a malformed reply (no completion "
                           "events in the stream)")
        if not out.text.strip():
            raise LLMError(f"the LLM at {self.settings.llm_place()} returned an empty answer")

    def _defaults(self, options: dict) -> dict:
        return {"temperature": self.settings.llm_temperature, "max_tokens": self.settings.llm_max_tokens, **options}

    def _run(self, work: Callable[[Callable[[object], None], threading.Event], None],
             deadline: float) -> Iterator[object]:
        """Run `work` in a worker thread and yield what it puts, until it ends or the deadline passes.

        The worker's socket reads have their own timeouts, but a server that trickles bytes can keep a read alive
        forever; waiting on a queue with the time left is what guarantees the caller is free at the deadline.
        """
        events: queue.SimpleQueue = queue.SimpleQueue()
        stop = threading.Event()
        end = object()

        def run() -> None:
            try:
                work(events.put, stop)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                events.put(exc)
            else:
                events.put(end)

        threading.Thread(target=run, name="llm-request", daemon=True).start()
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    item = events.get(timeout=remaining)
                except queue.Empty:
                    raise LLMError(self._timeout_message()) from None
                if item is end:
                    return
                if isinstance(item, BaseException):
                    raise self._error(item) from item
                yield item
        finally:
            stop.set()  # the worker stops at its next chance; a blocked read ends at its own timeout

    def _resolve_model(self, stop: threading.Event, deadline: float) -> str:
        """The configured model, or the first one the server lists (a llama.cpp server serves just one)."""
        if self._model:
            return self._model
        try:
            models = self._client.with_options(timeout=max(0.1, deadline - time.monotonic())).models.list()
            names = [m.id for m in models.data or [] if getattr(m, "id", None)]
        except openai.APIStatusError as exc:
            raise LLMError(f"PODRAG_LLM_MODEL is not set and the LLM server at {self.settings.llm_place()} does "
                           f"not list its models (HTTP {exc.status_code}): set PODRAG_LLM_MODEL") from exc
        if not names:
            raise LLMError(f"PODRAG_LLM_MODEL is not set and the LLM server at {self.settings.llm_place()} lists "
                           "no models: set PODRAG_LLM_MODEL")
        self._model = names[0]
        return self._model

    def _create(self, stop: threading.Event, deadline: float, **kwargs):
        """One chat completion request, retried after HTTP 429 and 5xx with exponential backoff (or the server's
        Retry-After), at most `llm_max_retries` times and never past the deadline."""
        retries = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LLMError(self._timeout_message())
            try:
                return self._client.chat.completions.create(timeout=remaining, **kwargs)
            except openai.APIStatusError as exc:
                if not _retryable(exc) or retries >= self.settings.llm_max_retries:
                    raise LLMError(self._status_message(exc, retries)) from exc
                delay = _retry_after(exc)
                delay = min(_BACKOFF_MAX, _BACKOFF_FIRST * 2**retries) if delay is None else delay
                if time.monotonic() + delay >= deadline:
                    raise LLMError(self._status_message(exc, retries)) from exc
                log.info("LLM server answered HTTP %s; retrying in %.1f s", exc.status_code, delay)
                if stop.wait(delay):
                    raise LLMError("cancelled") from exc
                retries += 1

    # -- messages -----------------------------------------------------------------------------------------------

    def _timeout_message(self) -> str:
        return (f"the LLM at {self.settings.llm_place()} did not answer within {self.settings.llm_timeout:g} s "
                "(PODRAG_LLM_TIMEOUT)")

    def _status_message(self, exc: openai.APIStatusError, retries: int) -> str:
        place, code = self.settings.llm_place(), exc.status_code
        detail = _server_message(exc)
        after = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
        if code == 401:
            return f"the LLM server at {place} refused the API key (HTTP 401): set PODRAG_LLM_API_KEY or OPENAI_API_KEY"
        if code == 403:
            return f"the LLM server at {place} denied access (HTTP 403){detail}"
        if code == 404:
            return (f"the LLM server at {place} has no model {self._model!r} or no chat endpoint at {self.base_url} "
                    f"(HTTP 404){detail}: check PODRAG_LLM_MODEL and PODRAG_LLM_BASE_URL")
        if code == 429:
            return f"the LLM server at {place} is rate limiting (HTTP 429){after}{detail}"
        if code >= 500:
            return f"the LLM server at {place} failed (HTTP {code}){after}{detail}"
        return f"the LLM server at {place} refused the request (HTTP {code}){detail}"

    def _error(self, exc: BaseException) -> LLMError:
        """Any failure of a call, as an LLMError a user can act on."""
        place = self.settings.llm_place()
        if isinstance(exc, LLMError):
            return exc
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(self._timeout_message())
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            why = f" ({cause})" if cause else ""
            return LLMError(f"cannot reach the LLM server at {self.base_url}{why}: is it running? "
                            "(PODRAG_LLM_BASE_URL)")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(self._status_message(exc, 0))
        if isinstance(exc, (ValueError, TypeError, AttributeError, IndexError, KeyError, openai.APIError)):
            # JSON that does not parse, or parses into something that is not a chat completion
            return LLMError(f"the LLM server at {place} sent a malformed reply (not an OpenAI chat completion: "
                            f"{type(exc).__name__})")
        return LLMError(f"the LLM call to {place} failed: {type(exc).__name__}: {exc}")


def _retryable(exc: openai.APIStatusError) -> bool:
    return exc.status_code == 429 or exc.status_code >= 500


def _retry_after(exc: openai.APIStatusError) -> float | None:
    try:
        value = float(exc.response.headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    return value if 0 <= value <= 60 else None


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, str) and message.strip():
        message = " ".join(message.split())
        return f": {message[:200]}"
    return ""


_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"


def without_reasoning(pieces: Iterable[str]) -> Iterator[str]:
    """The streamed text without a leading `<think>...</think>` block: reasoning models served as plain chat
    (some Ollama and vLLM setups) write their reasoning into the answer, where every sentence would fail the
    citation check."""
    held, state = "", "start"  # start: not yet known; think: inside the block; answer: passing through
    for piece in pieces:
        if state == "answer":
            yield piece
            continue
        held += piece
        if state == "start":
            head = held.lstrip()
            if head.startswith(_THINK_OPEN):
                state = "think"
            elif _THINK_OPEN.startswith(head):
                continue  # may still become "<think>"
            else:
                state = "answer"
                yield held
                continue
        end = held.find(_THINK_CLOSE)
        if end >= 0:
            state, rest = "answer", held[end + len(_THINK_CLOSE) :].lstrip()
            if rest:
                yield rest
    if state == "start" and held:
        yield held
