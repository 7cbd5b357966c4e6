"""The "Check a claim" and "Verify summary" tabs of the web app.

`build(assistant)` adds both tabs inside the current `gr.Blocks` (ui/app.py calls it within its tab set). The
rendering functions are pure (record in, HTML out) so they can be tested without a browser; every piece of user
or transcript text goes through `html.escape`, and links are only ever http(s).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from rag.claims import ClaimCheck
from rag.errors import PodragError
from rag.models import Citation
from rag.scratch import run_folder
from rag.summary_check import QuoteCheck, SummaryReport
from rag.timecodes import format_clock

ALL_EPISODES = "All episodes"

_BADGE = {
    "supported": ("Supported", "#1a7f37"),
    "contradicted": ("Contradicted", "#cf222e"),
    "misattributed": ("Misattributed", "#9a6700"),
    "not_found": ("Not found", "#57606a"),
}

EXPLAIN_VERDICTS = (
    "Supported: said, by the person the claim names (if any). Misattributed: said, but by someone else. "
    "Contradicted: the conversation says otherwise (another number, the opposite). Not found: the evidence is too "
    "weak to say. Offline, these are heuristics (similarity, names, numbers, negation, speaker): read the evidence."
)


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _link(url: str | None, label: str) -> str:
    if not url or not url.startswith(("https://", "http://")):
        return _e(label)
    return f'<a href="{_e(url)}" target="_blank" rel="noopener noreferrer">{_e(label)}</a>'


def error_html(message: str) -> str:
    return f'<div class="podrag-error" role="alert">⚠ {_e(message)}</div>'


def evidence_chip(c: Citation, label: str | None = None) -> str:
    """One piece of evidence: [n] time · speaker · chapter, the sentence, and a link that opens the video there."""
    chunk = c.passage.chunk
    head = f"[{c.n}] {format_clock(c.start)} · {c.speaker or 'unknown speaker'} · {chunk.chapter or chunk.episode_id}"
    tag = f' <span class="podrag-label">{_e(label)}</span>' if label else ""
    return (f'<div class="podrag-chip"><div><b>{_link(c.url, head)}</b>{tag}</div>'
            f"<div>“{_e(c.quote)}”</div></div>")


def verdict_html(check: ClaimCheck) -> str:
    """The verdict badge, what decided it, the explanation and the evidence chips (or the closest passages)."""
    name, colour = _BADGE[check.verdict]
    claim = check.claim if len(check.claim) <= 300 else check.claim[:300] + "…"
    parts = [
        f'<p class="podrag-claim">Claim: “{_e(claim)}”</p>',
        f'<div class="podrag-verdict"><span class="podrag-badge" style="background:{colour};color:#fff;'
        f'padding:2px 10px;border-radius:12px;font-weight:600">{_e(name)}</span> '
        f'<span class="podrag-decided">decided by: {_e(check.decided_by)} · {_e(check.mode)}</span></div>',
        f'<p class="podrag-explanation">{_e(check.explanation)}</p>',
    ]
    if check.notice:
        parts.append(f'<p class="podrag-notice">note: {_e(check.notice)}</p>')
    if check.evidence:
        parts.append("<div><b>Evidence</b></div>")
        parts += [evidence_chip(c, label) for c, label in zip(check.evidence, check.labels)]
    elif check.closest:
        parts.append("<div><b>Closest passages</b> (not enough to back the claim)</div>")
        parts += [evidence_chip(c) for c in check.closest]
    return "\n".join(parts)


def _quote_row(q: QuoteCheck) -> str:
    transcript = q.transcript_clock()
    who = q.speaker or "–"
    if q.speaker_match is False:
        who_cell = f'{_e(who)} <span class="podrag-mismatch">✗ summary: {_e(", ".join(q.named_speakers))}</span>'
    elif q.speaker_match:
        who_cell = f"{_e(who)} ✓"
    else:
        who_cell = _e(who)
    verdict = q.kind.replace("_", " ") + (" · outlier" if q.outlier else "")
    return (f"<tr><td>{_e(q.text)}</td><td>{_e('; '.join(q.labels))}</td>"
            f"<td>{_link(q.url, transcript) if q.url else _e(transcript)}</td>"
            f"<td>{who_cell}</td><td>{_e(verdict)}</td></tr>")


def summary_report_html(report: SummaryReport) -> str:
    """The clock offset, the counts, a table per section (quote, summary time, transcript time, speaker match,
    verdict), cited times, and the statements the transcript does not back."""
    counts = report.counts()
    parts = [
        f"<p><b>Clock:</b> {_e(report.offset.describe())}</p>",
        f"<p><b>Quotes:</b> {counts['quotes']} — {counts['verbatim']} verbatim, {counts['paraphrase']} paraphrase, "
        f"{counts['not_found']} not found; said by the person the summary names: {counts['speaker_match']}, by "
        f"someone else: {counts['speaker_mismatch']}; cited time right: {counts['time_ok']}.</p>",
    ]
    for label in report.sections:
        quotes = [q for q in report.quotes if q.section == label]
        cited = [t for t in report.cited_times if t.section == label]
        if not quotes and not cited:
            continue
        parts.append(f"<h4>{_e(label)}</h4>")
        if quotes:
            parts.append('<table class="podrag-table"><thead><tr><th>quote</th><th>summary time</th>'
                         "<th>transcript time</th><th>speaker</th><th>verdict</th></tr></thead><tbody>")
            parts += [_quote_row(q) for q in quotes]
            parts.append("</tbody></table>")
        for t in cited:
            parts.append(f"<p>[{_e(t.label)}] → transcript {_link(t.url, t.transcript_clock())} · {_e(t.speaker)}: "
                         f"“{_e(t.sentence)}”</p>")
    if report.statements:
        unbacked = report.unbacked
        parts.append(f"<h4>Statements: {counts['statements_backed']} of {counts['statements']} backed by the "
                     f"transcript</h4>")
        if unbacked:
            parts.append('<table class="podrag-table"><thead><tr><th>statement</th><th>verdict</th>'
                         "<th>why</th></tr></thead><tbody>")
            parts += [f"<tr><td>{_e(s.text)}</td><td>{_e(_BADGE[s.check.verdict][0])}</td>"
                      f"<td>{_e(s.check.explanation)}</td></tr>" for s in unbacked]
            parts.append("</tbody></table>")
    return "\n".join(parts)


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
    """What the page refreshes when the library changes: both tabs' episode choices."""

    assistant: object
    outputs: list

    def refresh(self):
        import gradio as gr

        episodes, with_summary = episode_choices(self.assistant)
        return gr.Dropdown(choices=[ALL_EPISODES, *episodes]), gr.Dropdown(choices=with_summary)


def build(assistant) -> ClaimTabs:
    """Add the "Check a claim" and "Verify summary" tabs to the current gr.Blocks."""
    import gradio as gr

    episodes, with_summary = episode_choices(assistant)

    with gr.Tab("Check a claim"):
        gr.Markdown(EXPLAIN_VERDICTS)
        with gr.Row():
            claim = gr.Textbox(label="Claim", placeholder="Dylan Patel says DeepSeek has about 50,000 GPUs",
                               lines=2, max_lines=6, scale=4, elem_id="claim-box")
            episode = gr.Dropdown([ALL_EPISODES, *episodes], value=ALL_EPISODES, label="Episode", scale=1,
                                  elem_id="claim-episode")
        button = gr.Button("Check", variant="primary", elem_id="claim-check")
        result = gr.HTML(elem_id="claim-result")
        button.click(lambda c, e: check_claim(assistant, c, e), [claim, episode], result)
        claim.submit(lambda c, e: check_claim(assistant, c, e), [claim, episode], result)

    with gr.Tab("Verify summary"):
        gr.Markdown("Where each quote of an episode's summary really is (time, speaker, chapter), whether it is "
                    "verbatim, and how far the summary's clock is from the transcript's.")
        with gr.Row():
            chosen = gr.Dropdown(with_summary, value=with_summary[0] if with_summary else None,
                                 label="Episode", scale=3)
            statements = gr.Checkbox(value=False, label="Also check the plain statements (slower)", scale=2)
            run = gr.Button("Verify", variant="primary", scale=1, elem_id="verify-run")
        report = gr.HTML(elem_id="verify-report")
        with gr.Row():
            json_file = gr.DownloadButton("Download JSON", value=None)
            csv_file = gr.DownloadButton("Download CSV", value=None)
        run.click(lambda e, s: verify(assistant, e, s), [chosen, statements], [report, json_file, csv_file])
    return ClaimTabs(assistant, [episode, chosen])
