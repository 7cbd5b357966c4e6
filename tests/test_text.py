"""rag/text.py: shortening for display, quotations, and server folders kept out of messages."""

from rag.text import clip, file_names_only, one_line, quote


def test_clip_keeps_short_text_and_marks_a_cut():
    assert clip("short", 10) == "short"
    assert clip("x" * 50, 10) == "x" * 9 + "…" and len(clip("a b c d e f g h", 6)) <= 6
    assert clip("word   " + "x" * 20, 8) == "word…"  # no spaces before the ellipsis
    assert clip(None, 5) == ""


def test_clip_at_a_word_ends_with_a_spaced_ellipsis():
    assert clip("the quick brown fox jumps", 14, at_word=True) == "the quick …"
    assert len(clip("the quick brown fox jumps", 14, at_word=True)) <= 14


def test_one_line_folds_white_space():
    assert one_line(" a\n\tb  c ") == "a b c" and one_line(None) == ""


def test_file_names_only_removes_server_folders_but_not_urls():
    message = ("/srv/podrag/uploads/ep-1/transcript.vtt:8: time goes backwards; see "
               "https://www.youtube.com/watch?v=a/b (already from /home/lex/corpus/ep-1/episode.json)")
    assert file_names_only(message) == ("transcript.vtt:8: time goes backwards; see "
                                        "https://www.youtube.com/watch?v=a/b (already from episode.json)")
    assert file_names_only("data/uploads/ep-1/summary.txt: empty", ["data/uploads/ep-1"]) == "summary.txt: empty"
    assert file_names_only("ep-1/transcript.vtt:4: backwards") == "transcript.vtt:4: backwards"
    assert file_names_only("episode id '../../etc/passwd' is not allowed") == (
        "episode id '../../etc/passwd' is not allowed")


def test_quote_nests_the_quotations_a_text_holds():
    said = 'Dylan contrasts R1 with o3-mini. “As we discuss … o3-mini is not [open].”'
    assert quote(said) == "“Dylan contrasts R1 with o3-mini. ‘As we discuss … o3-mini is not [open].’”"
    assert quote('He called it "a paperweight" twice.') == "“He called it ‘a paperweight’ twice.”"
    # a quotation left open opens, and the next one still opens and closes where it does
    assert quote('the blog "Interconnects. The talk on the "DeepSeek moment," so') == \
        "“the blog ‘Interconnects. The talk on the ‘DeepSeek moment,’ so’”"


def test_quote_closes_a_quotation_cut_off_at_either_end():
    # the quote opens inside a quotation the sentence before began: no lone ’ that reads as an apostrophe
    assert quote("Let me build it.” And he did.") == "“‘Let me build it.’ And he did.”"
    assert quote('Why don’t I do it?" Right?') == "“‘Why don’t I do it?’ Right?”"
    # the quote ends before the quotation does
    assert quote("And it was like, “Oh crap, there’s a backdoor here.") == \
        "“And it was like, ‘Oh crap, there’s a backdoor here.’”"
    # an opening mark with nothing after it was meant to close
    assert quote("They say, “This doesn’t-“ and stop.") == "“They say, ‘This doesn’t-’ and stop.”"
    assert quote("Apostrophes don’t count: it’s fine.") == "“Apostrophes don’t count: it’s fine.”"


def test_quote_gives_a_text_that_is_one_quotation_one_pair_of_marks():
    assert quote("“Deep Seek is a hedge fund.”") == "“Deep Seek is a hedge fund.”"
    assert quote('"Deep Seek is a hedge fund."') == "“Deep Seek is a hedge fund.”"
    assert quote("It's plain, isn't it?") == "“It's plain, isn't it?”"
    # two quotations side by side are not one: each keeps its marks, made single
    assert quote("“Yes,” he said, “no.”") == "“‘Yes,’ he said, ‘no.’”"
