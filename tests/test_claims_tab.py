"""The claim and summary tabs' rendering: what a user sees, with all text inert."""

import json
from pathlib import Path

import pytest

from ui.claims_tab import ALL_EPISODES, check_claim, export_files, verify
from ui.render import error_html, summary_report_html, verdict_html


def test_verdict_html_shows_badge_explanation_and_evidence_chips(tiny_assistant):
    html = check_claim(tiny_assistant, "Nathan says DeepSeek has about 50,000 GPUs", ALL_EPISODES)
    assert "Misattributed" in html and "decided by: speaker" in html
    assert "[1] 0:00:15 · Dylan Patel" in html and "50,000 GPUs" in html
    assert 'href="https://www.youtube.com/watch?v=abc123&amp;t=15"' in html and 'rel="noopener noreferrer"' in html


def test_not_found_shows_the_closest_passages_and_errors_are_one_line(tiny_assistant):
    html = check_claim(tiny_assistant, "Dylan says the bakery in Lisbon sells croissants", "tiny-459")
    assert "Not found" in html and "Closest passages" in html
    assert check_claim(tiny_assistant, "", ALL_EPISODES).startswith('<div class="podrag-error"')
    assert "the claim is empty" in check_claim(tiny_assistant, "", ALL_EPISODES)


def test_transcript_and_claim_text_is_escaped(tiny_assistant):
    result = tiny_assistant.check_claim("Dylan says DeepSeek has about 50,000 GPUs")
    result.evidence[0].quote = "<script>alert('x')</script>"
    result.explanation = "<img src=x onerror=alert(1)>"
    result.claim = "<b onmouseover=alert(2)>Dylan</b> says so"
    html = verdict_html(result)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img" not in html and "<b onmouseover" not in html
    assert "Claim: “&lt;b onmouseover=alert(2)&gt;Dylan&lt;/b&gt; says so”" in html
    result.evidence[0].quote = 'He called it "a paperweight" and said “it ships in 2028”.'
    assert "“He called it ‘a paperweight’ and said ‘it ships in 2028’.”" in verdict_html(result)
    assert "<b>" not in error_html("<b>bold</b>")


def test_verify_tab_renders_tables_and_writes_json_and_csv(tiny_assistant, tmp_path):
    html, json_path, csv_path = verify(tiny_assistant, "tiny-459", True)
    assert "Statements: 1 of 1 backed" in html
    assert "[0:15] → transcript" in html and "0:00:15 (the summary&#39;s clock: offset unknown)" in html
    assert json.loads(Path(json_path).read_text())["episode_id"] == "tiny-459"
    assert Path(csv_path).read_text().startswith("kind,section,text,verdict")
    html, json_path, csv_path = verify(tiny_assistant, "tiny-500", False)
    assert "no summary" in html and json_path is None and csv_path is None


@pytest.mark.slow
def test_459_summary_table(corpus_assistant, tmp_path):
    report = corpus_assistant.verify_summary("lex-fridman-459", statements=False)
    html = summary_report_html(report)
    assert "runs 0:09:45 ahead" in html
    assert "<h4>2. DeepSeek Models: v3 and R1 › Overview and Training Methodologies</h4>" in html
    assert "Nathan Lambert <span class=\"podrag-mismatch\">✗ summary: Dylan Patel</span>" in html
    json_path, csv_path = export_files(report, tmp_path)
    rows = Path(csv_path).read_text().splitlines()
    assert len(rows) == 1 + 22 and "0:03:49" in rows[1]


def test_build_adds_both_tabs_inside_a_blocks(tiny_assistant):
    import gradio as gr

    from ui.claims_tab import build

    with gr.Blocks() as demo, gr.Tabs():
        tabs = build(tiny_assistant)
    labels = [b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    assert labels == ["Check a claim", "Verify summary"]
    claim_episodes, chosen = tabs.refresh(None)  # what the page loads
    assert [c[0] for c in claim_episodes.choices] == [ALL_EPISODES, "tiny-459", "tiny-500"]
    assert [c[0] for c in chosen.choices] == ["tiny-459"]  # only episodes with a summary and a transcript
    assert chosen.value == "tiny-459"
