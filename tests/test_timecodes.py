import pytest

from rag.timecodes import audio_link, format_clock, parse_clock, video_link


@pytest.mark.parametrize("text, seconds", [
    ("1:02:03", 3723.0), ("75:20", 4520.0), ("303:44", 18224.0), ("00:00:04.500", 4.5), ("00:57,250", 57.25),
    ("0:00", 0.0),
])
def test_parse_clock(text, seconds):
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["", "Final Words", "1:61:00", "12:75", "abc:de"])
def test_parse_clock_rejects_non_clocks(text):
    assert parse_clock(text) is None


def test_format_clock():
    assert format_clock(3456.9) == "0:57:36"
    assert format_clock(18366) == "5:06:06"
    assert format_clock(None) == "?"


def test_video_link_sets_t_and_keeps_other_parameters():
    assert video_link("https://www.youtube.com/watch?v=_1f-o0nqpEI", 3456.7) == \
        "https://www.youtube.com/watch?v=_1f-o0nqpEI&t=3456"
    assert video_link("https://youtube.com/watch?v=x&t=10", 20) == "https://youtube.com/watch?v=x&t=20"
    assert video_link(None, 5) is None


def test_audio_link_uses_a_media_fragment():
    assert audio_link("https://a.example/ep.mp3", 61.2) == "https://a.example/ep.mp3#t=61"
    assert audio_link("https://a.example/ep.mp3#t=5", None) == "https://a.example/ep.mp3"
