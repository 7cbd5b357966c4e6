"""The "Check a claim" and "Verify summary" tabs of the web app.

`build(assistant)` adds both tabs inside the current `gr.Blocks` (ui/app.py calls it within its tab set). The
verdict and the report are rendered by ui/render.py; this module runs the checks and writes the export files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.errors import PodragError
from rag.scratch import run_folder
from rag.summary_check import SummaryReport
from ui.render import error_html, summary_report_html, verdict_html

ALL_EPISODES = "All episodes"

EXPLAIN_VERDICTS = (
    "Supported: said, by the person the claim names (if any). Misattributed: said, but by someone else. "
    "Contradicted: the conversation says otherwise (another number, the opposite). Not found: the evidence is too "
    "weak to say. Offline, these are heuristics (similarity, names, numbers, negation, speaker): read the evidence."
)


def export_files(report: SummaryReport, folder: Path | None = None) -> tuple[str, str]:
    """Write the report as JSON and CSV files (for the download buttons); returns their paths."""
    folder = folder or run_folder("verify")
    stem = f"verify-{report.episode_id}"
    json_path = folder / f"{stem}.json"
    csv_path = folder / f"{stem}.csv"
    json_path.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    csv_path.write_text(report.to_csv(), encoding="utf-8")
    return str(json_path), str(csv_path)


def check_claim(assistant, claim: str, episode: str | None) -> str:
    """The tab's action: the verdict as HTML, or a one-line error."""
    try:
        result = assistant.check_claim(claim or "", None if episode in (None, "", ALL_EPISODES) else episode)
    except PodragError as exc:
        return error_html(str(exc))
    return verdict_html(result)


def verify(assistant, episode: str | None, statements: bool) -> tuple[str, str | None, str | None]:
    """The tab's action: (report HTML, JSON file, CSV file), or an error with no files."""
    if not episode:
        return error_html("choose an episode with a summary"), None, None
    try:
        report = assistant.verify_summary(episode, statements=statements)
    except PodragError as exc:
        return error_html(str(exc)), None, None
    json_path, csv_path = export_files(report)
    return summary_report_html(report), json_path, csv_path


def episode_choices(assistant) -> tuple[list[str], list[str]]:
    """Episode ids for the claim filter (all) and for the summary check (those with a summary and a transcript)."""
    try:
        records = assistant.episodes()
    except PodragError:
        records = []
    return [r.id for r in records], [r.id for r in records if r.has_summary and r.transcript_format]


@dataclass
class ClaimTabs:
    """What the page refreshes when it loads and when the library changes: both tabs' episode choices."""

    assistant: object
    inputs: list  # the episode chosen for the summary check, kept when it is still there
    outputs: list

    def refresh(self, chosen: str | None):
        import gradio as gr

        episodes, with_summary = episode_choices(self.assistant)
        keep = chosen if chosen in with_summary else (with_summary[0] if with_summary else None)
        return gr.Dropdown(choices=[ALL_EPISODES, *episodes]), gr.Dropdown(choices=with_summary, value=keep)


def build(assistant) -> ClaimTabs:
    """Add the "Check a claim" and "Verify summary" tabs to the current gr.Blocks. Their episode choices come
    from the index when the page loads (`ClaimTabs.refresh`), never from the page as built."""
    import gradio as gr

    with gr.Tab("Check a claim"):
        gr.Markdown(EXPLAIN_VERDICTS)
        with gr.Row():
            claim = gr.Textbox(label="Claim", placeholder="Dylan Patel says DeepSeek has about 50,000 GPUs",
                               lines=2, max_lines=6, scale=4, elem_id="claim-box")
            episode = gr.Dropdown([ALL_EPISODES], value=ALL_EPISODES, label="Episode", scale=1,
                                  elem_id="claim-episode")
        button = gr.Button("Check", variant="primary", elem_id="claim-check")
        result = gr.HTML(elem_id="claim-result")
        button.click(lambda c, e: check_claim(assistant, c, e), [claim, episode], result)
        claim.submit(lambda c, e: check_claim(assistant, c, e), [claim, episode], result)

    with gr.Tab("Verify summary"):
        gr.Markdown("Where each quote of an episode's summary really is (time, speaker, chapter), whether it is "
                    "verbatim, and how far the summary's clock is from the transcript's.")
        with gr.Row():
            chosen = gr.Dropdown([], value=None, label="Episode", scale=3, elem_id="verify-episode")
            statements = gr.Checkbox(value=False, label="Also check the plain statements (slower)", scale=2)
            run = gr.Button("Verify", variant="primary", scale=1, elem_id="verify-run")
        report = gr.HTML(elem_id="verify-report")
        with gr.Row():
            json_file = gr.DownloadButton("Download JSON", value=None)
            csv_file = gr.DownloadButton("Download CSV", value=None)
        run.click(lambda e, s: verify(assistant, e, s), [chosen, statements], [report, json_file, csv_file])
    return ClaimTabs(assistant, [chosen], [episode, chosen])
