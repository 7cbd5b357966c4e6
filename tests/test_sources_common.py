"""check_transcript: the validation every transcript format shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.models import Segment, Transcript
from rag.sources.common import check_transcript, clock, split_speaker_label
from tests.conftest import source_error


def _transcript(*segments: Segment) -> Transcript:
    return Transcript(path=Path("t.vtt"), format="vtt", segments=list(segments))


def test_overlapping_cues_are_accepted():
    t = _transcript(Segment(0, 5, None, "a", 3), Segment(4, 8, None, "b", 7))
    assert check_transcript(t) is t


def test_empty_transcript():
    assert source_error(check_transcript, _transcript()) == "t.vtt: empty transcript: no timed segments"


def test_time_going_backwards_names_the_line():
    t = _transcript(Segment(10, 12, None, "a", 3), Segment(5.5, 6, None, "b", 7))
    assert source_error(check_transcript, t) == "t.vtt:7: time goes backwards: 0:00:05.500 after 0:00:10"


def test_backwards_turn_is_not_reported_as_an_early_end():
    # Formats whose end is the next start make the earlier segment end before it starts too.
    t = _transcript(Segment(10, 5, None, "a", 3), Segment(5, None, None, "b", 7))
    with pytest.raises(SourceError, match=r"t.vtt:7: time goes backwards"):
        check_transcript(t)


def test_end_before_start_and_negative_times():
    with pytest.raises(SourceError, match=r"t.vtt:3: segment ends before it starts: 0:00:01 < 0:00:02"):
        check_transcript(_transcript(Segment(2, 1, None, "a", 3)))
    with pytest.raises(SourceError, match=r"t.vtt:4: negative time -1"):
        check_transcript(_transcript(Segment(-1, 1, None, "a", 4)))


def test_items_name_the_index_where_there_are_no_lines():
    t = _transcript(Segment(3, None, None, "a"), Segment(1, None, None, "b"))
    with pytest.raises(SourceError, match=r"segments\[1\]: time goes backwards"):
        check_transcript(t, items="segments")


@pytest.mark.parametrize(
    ("text", "brackets", "expected"),
    [
        ("Lex Fridman: Hello there", False, ("Lex Fridman", "Hello there")),
        ("So here's the thing: it works", False, (None, "So here's the thing: it works")),
        ("[Dylan Patel] Hi", True, ("Dylan Patel", "Hi")),
        ("[Dylan Patel] Hi", False, (None, "[Dylan Patel] Hi")),
        ("<v Nathan Lambert>Yo</v>", True, ("Nathan Lambert", "Yo</v>")),
    ],
)
def test_split_speaker_label(text, brackets, expected):
    assert split_speaker_label(text, brackets=brackets) == expected


def test_clock():
    assert (clock(18366), clock(5.5), clock(1.9996)) == ("5:06:06", "0:00:05.500", "0:00:02")
