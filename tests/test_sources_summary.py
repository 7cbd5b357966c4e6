"""parse_summary: sections, sub-headings, quotes and cited times."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.sources.summary import parse_summary
from tests.conftest import shared_episode, source_file

TEXT = """Some Podcast #7 Summary: Chips and Models
Host: Lex Fridman
Guests: Dylan Patel (Semianalysis)
Release Date: February 3, 2025
1. Introduction
Lex talks with Dylan about chips (the [open] kind) and models.
2. Models
Overview of Training
Dylan describes v3.
“It is an open weight model... like ChatGPT.” ([13:43])
Another quote, cited later. [1:02:03]
“Paren times count too.” (12:34)
“Two references.” ([75:20], [303:44])
3. Conclusion
Final Thought from Richard Feynman:
“For a successful technology, reality must take precedence.” ([Final Words])
This closing paragraph stays in the last section.
"""


def _write(tmp_path: Path, text: str, name: str = "summary.txt") -> Path:
    return source_file(tmp_path, name, text)


def test_sections_headings_quotes_and_times(tmp_path):
    s = parse_summary(_write(tmp_path, TEXT))
    assert s.title == "Some Podcast #7 Summary: Chips and Models"
    assert [(sec.title, sec.heading, sec.line) for sec in s.sections] == [
        ("1. Introduction", None, 5),
        ("2. Models", "Overview of Training", 8),
        ("3. Conclusion", "Final Thought from Richard Feynman", 15),
    ]
    intro, models, end = s.sections
    assert intro.paragraphs[0].text == "Lex talks with Dylan about chips (the [open] kind) and models."
    assert [(p.kind, p.text, p.times, p.labels, p.line) for p in models.paragraphs] == [
        ("text", "Dylan describes v3.", (), (), 9),
        ("quote", "“It is an open weight model... like ChatGPT.”", (823.0,), ("13:43",), 10),
        ("text", "Another quote, cited later.", (3723.0,), ("1:02:03",), 11),
        ("quote", "“Paren times count too.”", (754.0,), ("12:34",), 12),
        ("quote", "“Two references.”", (4520.0, 18224.0), ("75:20", "303:44"), 13),
    ]
    quote, closing = end.paragraphs
    assert (quote.kind, quote.times, quote.labels) == ("quote", (), ("Final Words",))
    assert closing.text == "This closing paragraph stays in the last section."
    assert end.label == "3. Conclusion › Final Thought from Richard Feynman"


def test_markdown_headings(tmp_path):
    md = """# Episode 7 summary

Some intro prose before any section.

## Chips
Text about chips.

### Export controls
**Why it matters**
- a bullet point.

## Models
Text about models.
"""
    s = parse_summary(_write(tmp_path, md, "summary.md"))
    assert s.title == "Episode 7 summary"
    assert [(sec.title, sec.heading, [p.text for p in sec.paragraphs]) for sec in s.sections] == [
        ("Episode 7 summary", None, ["Some intro prose before any section."]),
        ("Chips", None, ["Text about chips."]),
        ("Chips", "Why it matters", ["a bullet point."]),
        ("Models", None, ["Text about models."]),
    ]


def test_reference_on_its_own_line_joins_the_paragraph_above(tmp_path):
    s = parse_summary(_write(tmp_path, "1. Intro\nA sentence about chips.\n([13:43])\n"))
    (p,) = s.sections[0].paragraphs
    assert (p.text, p.times) == ("A sentence about chips.", (823.0,))


def test_summary_without_content(tmp_path):
    path = _write(tmp_path, "Some Podcast #7 Summary\nHost: Lex Fridman\n1. Introduction\n2. Models\n")
    with pytest.raises(SourceError) as err:
        parse_summary(path)
    assert str(err.value).startswith(f"{path}: no summary content: expected numbered sections ('1. Title')")


def test_empty_summary_file(tmp_path):
    with pytest.raises(SourceError, match="summary.txt: empty file"):
        parse_summary(_write(tmp_path, "\n\n"))


def test_shared_corpus_459_summary():
    path = shared_episode("lex-fridman-459") / "summary.txt"
    s = parse_summary(path)
    assert s.title.startswith("Lex Fridman Podcast #459 Summary: DeepSeek")
    titles = list(dict.fromkeys(sec.title for sec in s.sections))
    assert len(titles) == 10
    assert titles[1] == "2. DeepSeek Models: v3 and R1"
    headings = [sec.heading for sec in s.sections if sec.title == titles[1]]
    assert headings == ["Overview and Training Methodologies", "Comparison with Other Models"]

    quotes = [p for sec in s.sections if sec.title == titles[1] for p in sec.paragraphs if p.kind == "quote"]
    assert quotes[0].times == (823.0,) and quotes[0].labels == ("13:43",)
    assert "[13:43]" not in quotes[0].text

    times = {t for sec in s.sections for t in sec.times}
    assert {4520.0, 18224.0} <= times  # [75:20] and [303:44]: minutes may exceed 59
    last = s.sections[-1]
    assert (last.title, last.heading) == ("10. Conclusion", "Final Thought from Richard Feynman")
    assert last.paragraphs[0].labels == ("Final Words",) and last.paragraphs[0].times == ()
    assert last.paragraphs[-1].text.startswith("This episode provides a comprehensive examination")
