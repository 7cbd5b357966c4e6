"""The Chat tab: filters, a streaming chat whose answers carry source chips, and the source panel.

Answers come from `Assistant.ask_stream`; the passage around a citation from `rag.context`; ratings go to
`rag.feedback`. This module only wires those to Gradio components and turns them into HTML via ui/render.py.

Chips are links to "#cite-<turn>-<k>" inside the chat's (sanitized) HTML. Gradio's sanitizer drops data-*
attributes and inline handlers, so a hidden gr.HTML "bridge" listens for clicks on such links anywhere on the page
and forwards the reference to Python as an event.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import gradio as gr

from rag.assistant import Assistant
from rag.context import passage_context
from rag.errors import EmptyLibraryError, PodragError
from rag.examples import example_questions
from rag.feedback import FeedbackStore
from rag.models import Answer, Filters, Turn
from rag.presentation.answers import Source, sources_of
from rag.presentation.labels import episode_label, episode_title
from ui import render

ALL_EPISODES = ""
ANYONE = ""
SOURCE_KINDS = ["transcript", "summary"]
EPISODE_CHOICE_CHARS = 70
STREAM_INTERVAL = 0.12  # seconds between chat updates while streaming: each update re-sends the whole chat

# Runs once per page: a click on any "#cite-..." link becomes a "click" event of the bridge carrying the reference.
BRIDGE_JS = """
window.__podragTrigger = trigger;
if (!window.__podragBridge) {
  window.__podragBridge = true;
  document.addEventListener('click', (ev) => {
    const link = ev.target.closest && ev.target.closest('a[href^="#cite-"]');
    if (!link) return;
    ev.preventDefault();
    window.__podragTrigger('click', {cite: link.getAttribute('href').slice(6)});
    const panel = document.getElementById('source-panel');
    if (panel && window.innerWidth < 900) panel.scrollIntoView({behavior: 'smooth', block: 'start'});
  });
}
"""


@dataclass
class ChatTurn:
    question: str
    answer: Answer | None  # None when asking failed
    filters: Filters | None
    html: str
    sources: list[Source] = field(default_factory=list)


@dataclass
class ChatTab:
    """The components other tabs refresh when the library changes."""

    assistant: Assistant
    episode: gr.Dropdown
    speaker: gr.Dropdown
    examples: gr.Dataset

    inputs = None

    @property
    def outputs(self) -> list:
        return [self.episode, self.speaker, self.examples]

    def refresh(self):
        """Choices for the episode and speaker filters and example questions, from the index as it is now."""
        episodes, speakers, examples = _choices(self.assistant)
        return gr.Dropdown(choices=episodes), gr.Dropdown(choices=speakers), gr.Dataset(samples=examples)


def _choices(assistant: Assistant) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[list[str]]]:
    records = assistant.episodes()
    episodes = [("All episodes", ALL_EPISODES)] + [(episode_title(r, EPISODE_CHOICE_CHARS), r.id) for r in records]
    speakers = [("Anyone", ANYONE)] + [(s, s) for s in assistant.lexical.sync().speakers()]
    examples = [[q] for q in example_questions(records, k=3)]
    return episodes, speakers, examples


def _filters(episode: str | None, speaker: str | None, kinds: list[str] | None) -> Filters | None:
    kinds = [k for k in (kinds or []) if k in SOURCE_KINDS]
    source = kinds[0] if len(kinds) == 1 else None
    if not (episode or speaker or source):
        return None
    return Filters(episode_ids=(episode,) if episode else (), speaker=speaker or None, source_type=source)


def _messages(turns: list[ChatTurn], pending: tuple[str, str] | None = None) -> list[dict]:
    pairs = [(t.question, t.html) for t in turns] + ([pending] if pending else [])
    return [m for q, a in pairs for m in ({"role": "user", "content": render.user_html(q)},
                                          {"role": "assistant", "content": a})]


def stream_turn(assistant: Assistant, question: str, filters: Filters | None,
                turns: list[ChatTurn]) -> Iterator[tuple[list[dict], ChatTurn | None]]:
    """The chat's messages while the answer streams (turn None), then with the finished turn.

    Updates are spaced by STREAM_INTERVAL and cut at a word boundary, whatever size the answerer's pieces are.
    """
    yield _messages(turns, (question, render.streaming_html(""))), None
    history = [Turn(t.question, t.answer.answer) for t in turns if t.answer]
    text, last = "", time.monotonic()
    answer: Answer | None = None
    try:
        for event in assistant.ask_stream(question, filters, history):
            if isinstance(event, Answer):
                answer = event
                break
            text += event
            cut = max(text.rfind(" "), text.rfind("\n"))
            if cut > 0 and time.monotonic() - last >= STREAM_INTERVAL:
                last = time.monotonic()
                yield _messages(turns, (question, render.streaming_html(text[:cut]))), None
    except EmptyLibraryError as exc:  # not a failure: what to do first
        turn = ChatTurn(question, None, filters, render.error_html(str(exc)))
    except PodragError as exc:
        turn = ChatTurn(question, None, filters, render.error_html(f"Something went wrong: {exc}"))
    else:
        if answer is None:
            turn = ChatTurn(question, None, filters,
                            render.error_html("Something went wrong: the answerer ended without an answer"))
        else:
            records = assistant.index.records(refresh=False)
            labels = {eid: episode_label(r, eid) for eid, r in records.items()}
            turn = ChatTurn(question, answer, filters, render.answer_html(answer, len(turns), labels),
                            sources_of(answer))
    yield _messages(turns + [turn]), turn


def build(assistant: Assistant) -> ChatTab:
    """Lay out the Chat tab (call inside a gr.Tab) and wire its events. The filters' choices and the examples
    come from the index when the page loads (`ChatTab.refresh`), never from the page as built."""
    feedback = FeedbackStore(assistant.settings.feedback_path())

    with gr.Row(equal_height=False, elem_id="chat-row"):
        with gr.Column(scale=3, min_width=340):
            with gr.Row(elem_id="chat-filters"):
                episode = gr.Dropdown([("All episodes", ALL_EPISODES)], value=ALL_EPISODES, label="Episode",
                                      elem_id="filter-episode", scale=3, min_width=180)
                speaker = gr.Dropdown([("Anyone", ANYONE)], value=ANYONE, label="Speaker", elem_id="filter-speaker",
                                      scale=2, min_width=120)
                kinds = gr.CheckboxGroup(SOURCE_KINDS, value=SOURCE_KINDS, label="Sources", elem_id="filter-kinds",
                                         scale=3, min_width=220)
            chatbot = gr.Chatbot(
                elem_id="chat",
                show_label=False,
                height="calc(100vh - 390px)",
                min_height=300,
                # Messages are HTML that ui/render.py escaped; no Markdown, so transcript text like [x](y) or
                # ![](z) stays text. No LaTeX either ($$ in a transcript is money, not maths).
                render_markdown=False,
                latex_delimiters=[],
                sanitize_html=True,
                buttons=[],
                feedback_options=("Like", "Dislike"),
                placeholder="Ask about the episodes. Every answer cites the moments it comes from.",
            )
            example_set = gr.Dataset(components=[gr.Textbox(visible=False)], samples=[], label="Try",
                                     show_label=False, elem_id="examples", samples_per_page=3)
            with gr.Row(elem_id="ask-row"):
                question = gr.Textbox(placeholder="Ask about the episodes…", show_label=False, scale=8,
                                      elem_id="question", max_lines=4, autofocus=True, container=False)
                send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask")
        with gr.Column(scale=2, min_width=300):
            panel = gr.HTML(render.empty_panel_html(), elem_id="source-panel", js_on_load=None)
    bridge = gr.HTML("", js_on_load=BRIDGE_JS, visible="hidden", elem_id="cite-bridge")
    turns = gr.State([])

    def respond(text: str, turns_: list[ChatTurn], episode_: str, speaker_: str, kinds_: list[str]):
        q = (text or "").strip()
        if not q:
            yield gr.skip(), gr.skip(), gr.skip()
            return
        if not kinds_:
            gr.Warning("Tick transcript, summary or both under Sources.")
            yield gr.skip(), gr.skip(), gr.skip()
            return
        cleared = False
        for messages, turn in stream_turn(assistant, q, _filters(episode_, speaker_, kinds_), turns_):
            if turn is not None:
                yield messages, gr.skip(), turns_ + [turn]
            else:
                yield messages, (gr.skip() if cleared else ""), gr.skip()
                cleared = True

    def show_source(turns_: list[ChatTurn], evt: gr.EventData):
        data = evt._data if isinstance(evt._data, dict) else {}  # what the bridge sent: {"cite": "<turn>-<k>"}
        ref = render.parse_cite(data.get("cite"))
        if ref is None or ref[0] >= len(turns_) or ref[1] >= len(turns_[ref[0]].sources):
            return render.empty_panel_html()
        source = turns_[ref[0]].sources[ref[1]]
        context = passage_context(assistant.index, source.chunk, source.start, source.quote, end=source.end)
        return render.source_panel_html(context, source)

    def rate(turns_: list[ChatTurn], data: gr.LikeData):
        index = data.index if isinstance(data.index, int) else data.index[0]
        t = index // 2  # messages come in (question, answer) pairs
        if not (0 <= t < len(turns_)) or turns_[t].answer is None or data.liked in (None, ""):
            return
        rating = {True: "up", False: "down"}.get(data.liked, str(data.liked))  # type: ignore[arg-type]
        feedback.add(rating, turns_[t].question, turns_[t].answer, turns_[t].filters)
        gr.Info("Thanks: your rating was saved.")

    ask = dict(fn=respond, inputs=[question, turns, episode, speaker, kinds], outputs=[chatbot, question, turns],
               show_progress="minimal", show_progress_on=[chatbot])  # a queued user sees "queue: 2/5"
    question.submit(**ask)
    send.click(**ask)
    example_set.click(lambda sample: sample[0], example_set, question, show_progress="hidden").then(**ask)
    bridge.click(show_source, turns, panel, show_progress="hidden")
    chatbot.like(rate, turns, None)
    chatbot.clear(lambda: ([], render.empty_panel_html()), None, [turns, panel])
    return ChatTab(assistant, episode, speaker, example_set)
