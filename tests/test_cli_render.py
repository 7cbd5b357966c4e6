"""rag/cli/render.py: what the terminal shows. Transcript, metadata and error text is printed as the characters it
is (rich markup and :emoji: codes included), and progress reaches a log when stderr is not a terminal."""

from __future__ import annotations

import pytest

from rag.claims import ClaimCheck
from rag.cli import render
from rag.models import Answer, Citation, Passage, Unsupported
from tests.test_ui_render import chunk, cited_answer, record

MARKUP = "Hot take :fire: [bold]really[/bold] [link=https://evil.example]x[/link] [red]"


@pytest.fixture
def wide(monkeypatch):
    """A wide terminal, so that lines are not wrapped."""
    monkeypatch.setenv("COLUMNS", "400")
    for console in (render.out, render.err):
        monkeypatch.setattr(console, "_width", 400)


def test_an_answer_and_its_sources_print_transcript_markup_as_text(capsys, wide):
    c = chunk(text=MARKUP, chapter=":rocket: [i]Compute[/i]")
    answer = cited_answer(text=f"Dylan Patel: “{MARKUP}” [1]", c=c)
    answer.unsupported = [Unsupported(MARKUP, "no citation [blink]")]
    answer.sentences = 2
    render.print_answer(answer)
    shown = capsys.readouterr().out
    assert f"Dylan Patel: “{MARKUP}” [1]" in shown
    assert "[1] ep-1 · 0:57:36 · Dylan Patel · :rocket: [i]Compute[/i]" in shown
    assert f"  – “{MARKUP}” (no citation [blink])" in shown
    assert "🔥" not in shown and "🚀" not in shown


def test_a_passage_prints_its_text_and_episode_id_as_text(capsys, wide):
    render.print_passage(Passage(chunk(text=MARKUP, episode="[b]ep:fire:"), 0.5, 1, None))
    shown = capsys.readouterr().out
    assert "1. [b]ep:fire: · 0:57:36 · Dylan Patel · DeepSeek compute cluster" in shown and MARKUP in shown


def test_an_abstention_without_passages_says_nothing_matched(capsys, wide):
    render.print_answer(Answer("The episodes don't seem to cover this.", True, "extractive", []))
    assert "no indexed passage matches the filters" in capsys.readouterr().err


def test_a_claim_check_prints_its_evidence_as_text(capsys, wide):
    c = chunk(text=MARKUP)
    cite = Citation(1, Passage(c, 0.9, 1, None), 3456.0, 3470.0, "Dylan :fire: Patel", MARKUP, None)
    check = ClaimCheck(MARKUP, "supported", f"Supported: {MARKUP}", "similarity", [cite], ["supported"])
    render.print_claim_check(check)
    shown = capsys.readouterr().out
    assert shown.startswith("SUPPORTED  decided by: similarity · offline")
    assert f"Supported: {MARKUP}" in shown and f"    “{MARKUP}”" in shown
    assert "[1] supported · ep-1 · 0:57:36 · Dylan :fire: Patel · DeepSeek compute cluster" in shown


def test_the_episode_table_prints_titles_as_text(capsys, wide):
    render.print_episodes([record(title=MARKUP)])
    shown = capsys.readouterr().out
    assert MARKUP in shown and "🔥" not in shown


def test_errors_and_notes_print_as_text(capsys):
    render.print_error("remove 'markup-[/x]': :fire:")
    render.print_note("[bold]loud[/bold]")
    shown = capsys.readouterr().err
    assert "error: remove 'markup-[/x]': :fire:" in shown and "note: [bold]loud[/bold]" in shown


def test_progress_is_logged_every_ten_percent_when_stderr_is_not_a_terminal(capsys):
    assert not render.err.is_terminal  # pytest captures stderr, as a log file or a service manager would
    with render.progress_bar("embedding chunks", "embedding ", False, remaining=True) as progress:
        for done in range(0, 201, 5):
            progress(done, 200, "[b]lex-fridman-459")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "embedding chunks: 0% (0 of 200) [b]lex-fridman-459"
    assert [line.split(":")[1].split("%")[0].strip() for line in lines] == [str(p) for p in range(0, 101, 10)]
    assert lines[-1] == "embedding chunks: 100% (200 of 200) [b]lex-fridman-459"


def test_quiet_progress_prints_nothing(capsys):
    with render.progress_bar("embedding chunks", "embedding ", True, remaining=True) as progress:
        progress(10, 10, "x")
    assert capsys.readouterr().err == ""


def test_an_unsure_answer_says_so_before_its_text(capsys, wide):
    from tests.test_ui_render import unsure_answer

    render.print_answer(unsure_answer())
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == "Not sure which moment answers this: [1] and [2] match about equally well."
    assert shown[1].startswith("At 0:13:00 Nathan Lambert says:")
