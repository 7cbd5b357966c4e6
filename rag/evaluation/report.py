"""The evaluation report: Markdown (report.md), the same rendered as HTML (report.html), the plots
(rag/evaluation/plots.py), the summary table alone (summary.md, for the README) and every figure as JSON (summary.json).

Question and transcript text is escaped before it goes into Markdown, and the HTML renderer is run with raw HTML
off, so nothing from a dataset or a transcript can inject markup into the report.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.evaluation.claims import at_the_moment, moment_counts, report_rows
from rag.evaluation.metrics import threshold_sweep
from rag.evaluation.plots import plot_evidence, plot_hit_curves, plot_latency, plot_time_errors
from rag.evaluation.runner import APP_DEFAULT, EvalRun, QuestionResult
from rag.evaluation.scores import (
    COLUMNS,
    UNKNOWN_RULES,
    Scores,
    abstention,
    evidence_values,
    rule_grid,
    score,
    sweep,
)
from rag.presentation.labels import joined, place
from rag.text import clip, one_line
from rag.timecodes import format_clock

SUMMARY_COLUMNS = ["hit1", "hit5", "hit10", "mrr10", "ndcg10", "passage_60s", "citation_30s", "citation_60s",
                   "any_citation_60s", "mention", "abstained", "sure", "citation_60s_sure", "citation_60s_unsure"]
PRIMARY, BASELINE = "hybrid", "llamaindex"


@dataclass
class ReportFiles:
    folder: Path
    markdown: Path
    html: Path
    summary_markdown: Path
    summary_json: Path
    plots: list[Path]


def md_escape(text: str, limit: int | None = None) -> str:
    """Text safe inside a Markdown table cell: one line, markup characters escaped, optionally shortened."""
    text = one_line(text)
    if limit:
        text = clip(text, limit)
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]|#~])", r"\\\1", text)


def _fmt(value: float | int | None, share: bool) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not share:
        return str(value)
    return f"{value:.2f}" if share else f"{value:.0f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def answerable_datasets(run: EvalRun) -> list[str]:
    return [d.name for d in run.datasets if any(q.answerable for q in d.questions)]


def scores_table(run: EvalRun, dataset: str, columns: Sequence[str] | None = None) -> str:
    """One row per configuration; every metric (or the named ones) as columns."""
    cols = [c for c in COLUMNS if columns is None or c[0] in columns]
    rows = []
    for cfg in run.configs:
        s = score(run.select(cfg.name, dataset))
        rows.append([f"`{cfg.name}`"] + [_fmt(getattr(s, f), share) for f, _, share in cols])
    return _table(["configuration"] + [label for _, label, _ in cols], rows)


def summary_table(run: EvalRun) -> str:
    """The README's table: the key figures per dataset and configuration, and abstention over the whole run."""
    cols = [c for c in COLUMNS if c[0] in SUMMARY_COLUMNS]
    rows = []
    for name in answerable_datasets(run):
        for cfg in run.configs:
            s = score(run.select(cfg.name, name))
            a = abstention(run, cfg.name, blind=name.startswith("blind-"))
            rows.append([name, f"`{cfg.name}`", str(s.n)] + [_fmt(getattr(s, f), share) for f, _, share in cols]
                        + [_fmt(a.precision if a else None, True), _fmt(a.recall if a else None, True)])
    header = (["dataset", "configuration", "n"] + [label for _, label, _ in cols]
              + ["abstain P", "abstain R (dev or blind unanswerables)"])
    return _table(header, rows)


def style_table(run: EvalRun, styles: Sequence[str]) -> str:
    rows = []
    for cfg in run.configs:
        cells = []
        for style in styles:
            s = score([r for r in run.select(cfg.name) if r.question.answerable and r.question.style == style])
            t = s.citation_60s if s.citation_60s is not None else s.passage_60s
            cells.append(f"{_fmt(s.hit5, True)} / {_fmt(t, True)}")
        rows.append([f"`{cfg.name}`"] + cells)
    counts = {st: len({(r.dataset, r.question.id) for r in run.results
                       if r.question.answerable and r.question.style == st}) for st in styles}
    return _table(["configuration"] + [f"{st} ({counts[st]})" for st in styles], rows)


def verdict(run: EvalRun) -> str | None:
    """Whether hybrid beats the llama-index baseline on #459, on hit@5 and on time accuracy, in numbers."""
    names = {c.name for c in run.configs}
    dataset = next((d for d in answerable_datasets(run) if d.endswith("459")), None)
    if not (PRIMARY in names and BASELINE in names and dataset):
        return None
    h, b = score(run.select(PRIMARY, dataset)), score(run.select(BASELINE, dataset))
    h_time = h.citation_60s if h.citation_60s is not None else h.passage_60s
    parts = [
        f"hit@5 {h.hit5:.2f} vs {b.hit5:.2f} ({'better' if h.hit5 > b.hit5 else 'not better'})",
        f"time accuracy (≤60 s; hybrid's top citation, the baseline's top node) {h_time:.2f} vs {b.passage_60s:.2f} "
        f"({'better' if h_time > b.passage_60s else 'not better'})",
        f"≤30 s {h.citation_30s if h.citation_30s is not None else h.passage_30s:.2f} vs {b.passage_30s:.2f}",
    ]
    beats = h.hit5 > b.hit5 and h_time > b.passage_60s
    head = "`hybrid` beats" if beats else "`hybrid` does **not** beat"
    line = f"On {dataset}, {head} the llama-index baseline: " + "; ".join(parts) + "."
    if APP_DEFAULT in names:
        d = score(run.select(APP_DEFAULT, dataset))
        d_time = d.citation_60s if d.citation_60s is not None else d.passage_60s
        line += f" `{APP_DEFAULT}` (the app's default): hit@5 {d.hit5:.2f}, time accuracy ≤60 s {d_time:.2f}."
    return line


def _where(r) -> str:
    """'lex-fridman-459 · 0:57:36 · chapter', the label the CLI and the app show (rag.presentation)."""
    return md_escape(joined(r.episode_id, place(r.source_type, r.start, None, clip(r.chapter, 40),
                                                clip(r.chapter, 50))))


def is_failure(r: QuestionResult) -> bool:
    """Answerable and either not found in the top 5, or answered with a first citation over 60 s from the gold."""
    if not r.question.answerable:
        return bool(r.answer and not r.answer.abstained)  # answered what it should have refused
    if not any(r.relevant[:5]):
        return True
    if r.answer:
        e = r.answer.top_citation_error
        return r.answer.abstained or e is None or e > 60
    return False


def failures_section(run: EvalRun, config: str) -> str:
    rows = []
    blind = {d.name for d in run.datasets if d.blind}
    for r in run.select(config):
        if r.dataset in blind or not is_failure(r):
            continue
        q = r.question
        gold = ", ".join(f"{format_clock(g.start)}–{format_clock(g.end)}" for g in q.gold) or "(unanswerable)"
        got = "<br>".join(f"{i}. {'✔ ' if x.relevant else ''}{_where(x)}" for i, x in enumerate(r.retrieved[:3], 1))
        top = md_escape(r.retrieved[0].text, 140) if r.retrieved else ""
        if r.answer is None:
            said = "–"
        elif r.answer.abstained:
            said = "refused"
        else:
            first = r.answer.citations[0] if r.answer.citations else None
            said = f"cites {format_clock(first.start)}" if first and first.start is not None else "cites elsewhere"
            said += f": {md_escape(r.answer.text, 120)}"
        rows.append([md_escape(q.id), md_escape(q.question, 120), gold, got, top, said])
    if not rows:
        return "No failures."
    return _table(["id", "question", "gold", "top 3 retrieved (✔ = overlaps gold)", "top passage text", "answer"],
                  rows)


# -- the report -------------------------------------------------------------------------------------------------------


def _grid_rows(grid) -> list[list[str]]:
    """One row per threshold pair, one cell per unknown-word rule."""
    cells: dict[tuple[float, float], list[str]] = {}
    for g in grid:
        cells.setdefault((g.min_cosine, g.min_score), []).append(
            f"{g.precision:.2f} / {g.recall:.2f} / {g.false_refusals:.2f}{' ★' if g.current else ''}")
    return [[f"{c:.2f}", f"{sc:.2f}", *v] for (c, sc), v in cells.items()]


def _abstention_curve(run: EvalRun) -> list[str]:
    """The shipped abstention rule of the app's default (abstain when the probability of being answered is below
    a threshold) replayed at other thresholds, on the development and the blind sets separately."""
    from rag.moment_rank import ABSTAIN_BELOW

    thresholds = [round(0.05 * i, 2) for i in range(1, 16)]
    rows = []
    for group, blind in (("dev", False), ("blind", True)):
        names = {d.name for d in run.datasets if d.blind == blind}
        pairs = [(r.answer.evidence.best_score, r.question.answerable) for r in run.select(APP_DEFAULT)
                 if r.dataset in names and r.answer and r.answer.evidence]
        if not pairs or all(ok for _, ok in pairs):
            continue
        for t, p, rec, refused in threshold_sweep([v for v, _ in pairs], [ok for _, ok in pairs], thresholds):
            rows.append([group, f"{t:.2f}{' ★' if abs(t - ABSTAIN_BELOW) < 1e-9 else ''}", f"{p:.2f}", f"{rec:.2f}",
                         f"{refused:.3f}"])
    if not rows:
        return []
    return [f"### Abstention threshold ({APP_DEFAULT})", "",
            "The probability that the moments found answer the question (rag/moment_rank.py), thresholded at other "
            "values; ★ = shipped (fitted by cross-validation on the development sets, eval/fit_moments.py).", "",
            _table(["sets", "abstain below", "precision", "recall", "answerable refused"], rows), ""]


def _primary(run: EvalRun) -> str | None:
    answering = [c.name for c in run.configs if c.answer and not c.baseline]
    return PRIMARY if PRIMARY in answering else (answering[0] if answering else None)


def render_markdown(run: EvalRun, command: str, plots: dict[str, Path]) -> str:
    out = ["# podcast-rag evaluation", ""]
    out += [f"Run {run.started_at} · `{md_escape(command)}` · {run.wall_seconds:.0f} s wall in total.", ""]
    corpus = ", ".join(md_escape(str(p)) for p in run.corpus)
    scope = "each question's own episode" if run.filter_episode else "every indexed episode (no episode filter)"
    out += [
        f"- Corpus: {corpus}; retrieval over {scope}; embedding model `{md_escape(run.embed_model)}`; "
        f"answerer: {md_escape(run.answer_mode or 'none')}.",
        "- Datasets: " + ", ".join(f"{md_escape(d.name)} ({len(d.questions)} questions"
                                   + (f", first {run.limit} used" if run.limit and run.limit < len(d.questions) else "")
                                   + ")" for d in run.datasets) + ".",
        f"- A passage is a hit when its [start, end] overlaps a gold span widened by {run.slack:.0f} s on each side, "
        "in the question's episode. Summary passages have no transcript time and never count as hits or as time "
        "matches. Time accuracy: the top citation (the answer's first cited sentence) or the top passage starts "
        "within 30 s / 60 s of a gold start; a refusal counts as a miss.",
        "- Every metric is a mean over the answerable questions; answer figures over the questions the configuration "
        "answers (\"refused\" = answerable questions it abstained on). Latency is per question on this machine; "
        "the query is embedded by the model (never the cache); answer latency uses the warm embedding cache.",
        "- The llama-index baseline shows a user its top 5 nodes; its @10 figures use its top 10, for comparison.",
        "",
    ]
    v = verdict(run)
    if v:
        out += ["## Hybrid vs the llama-index baseline", "", v, ""]
    out += ["## Summary", "", summary_table(run), ""]
    out += ["## Configurations", "", _table(
        ["configuration", "what", "index", "chunks", "index time s", "questions s"],
        [[f"`{c.name}`", md_escape(c.description), md_escape(i.folder.name),
          str(i.chunks), f"{i.seconds:.1f}" + (" (built)" if i.built else " (cached)"),
          f"{run.run_seconds.get(c.name, 0):.1f}"]
         for c, i in zip(run.configs, run.indexes)]), ""]
    for name in answerable_datasets(run):
        out += [f"## {md_escape(name)}", "", scores_table(run, name), ""]
        for key in (f"hits-{name}", f"time-{name}"):
            if key in plots:
                out += [f"![{key}]({plots[key].name})", ""]
    styles = sorted({r.question.style for r in run.results if r.question.answerable and r.question.style})
    if styles:
        out += ["## By question style", "", "hit@5 / top citation (or the baseline's top node) within 60 s, over "
                "every answerable set.", "", style_table(run, styles), ""]
    abst = [(group, a) for c in run.configs for group, blind in (("dev", False), ("blind", True))
            if (a := abstention(run, c.name, blind))]
    if abst:
        out += ["## Abstention", "",
                "Abstaining as a detector of unanswerable questions, on the development sets and on the blind sets "
                "separately (precision: share of refusals that were unanswerable; recall: share of unanswerable "
                "questions refused; answerable refused: false abstentions).", "",
                _table(["configuration", "sets", "answerable", "unanswerable", "precision", "recall",
                        "answerable refused"],
                       [[f"`{a.config}`", group, str(a.answerable), str(a.unanswerable), f"{a.precision:.2f}",
                         f"{a.recall:.2f}", f"{a.false_refusals:.2f}"] for group, a in abst]), ""]
        names = {c.name for c in run.configs}
        if APP_DEFAULT in names:
            out += _abstention_curve(run)
        primary = _primary(run)
        rows = sweep(run, primary) if primary else []
        if rows:
            out += [f"### Threshold sweep ({md_escape(primary)})", "",
                    "Abstaining when one evidence signal alone is below a threshold (the shipped rule combines "
                    "`best_cosine`, `best_score` and unknown names).", "",
                    _table(["signal", "threshold", "precision", "recall", "answerable refused"],
                           [[r.signal, f"{r.threshold:.2f}", f"{r.precision:.2f}", f"{r.recall:.2f}",
                             f"{r.false_refusals:.2f}"] for r in rows]), ""]
            for label, value in (("answerable", True), ("unanswerable", False)):
                vals, ok = evidence_values(run, primary, "best_cosine")
                picked = sorted(v for v, a in zip(vals, ok) if a == value)
                if picked:
                    out.append(f"- best_cosine, {label}: min {picked[0]:.2f}, median "
                               f"{picked[len(picked) // 2]:.2f}, max {picked[-1]:.2f} ({len(picked)} questions)")
            unknown = [(r.question.answerable, bool(r.answer.evidence.unknown_words))
                       for r in run.select(primary) if r.answer and r.answer.evidence]
            for label, value in (("answerable", True), ("unanswerable", False)):
                group = [u for a, u in unknown if a == value]
                if group:
                    out.append(f"- {label} questions naming something no passage contains: {sum(group)} of "
                               f"{len(group)}")
            out.append("")
        grid = rule_grid(run, primary) if primary and run.answer_mode == "extractive" else []
        if grid:
            out += [f"### The shipped rule with other thresholds ({md_escape(primary)})", "",
                    "Abstain when `best_cosine < min_cosine` and `best_score < min_score`, or when the question has a "
                    "name no passage contains and `best_cosine` is below the override (that override on, as shipped, "
                    "or off); replayed on this run's evidence. Each cell: precision / recall / share of answerable "
                    "questions refused (★ = shipped).", "",
                    _table(["min_cosine", "min_score"] + [f"unknown-name override {u}" for u in UNKNOWN_RULES],
                           _grid_rows(grid)), ""]
        if "evidence" in plots:
            out += [f"![evidence]({plots['evidence'].name})", ""]
    if "latency" in plots:
        out += ["## Latency", "", f"![latency]({plots['latency'].name})", ""]
    if run.claims:
        out += ["## Claims", "",
                f"Each claim set checked by `{APP_DEFAULT}` (the app's default). Blind sets show their figures only: "
                "their failures are not listed, so nobody tunes on them.", ""]
        for c in run.claims:
            if c.blind:
                out += [f"### Claims: {md_escape(c.name)} (blind)", "",
                        f"{c.confusion.right}/{c.confusion.total} verdicts right "
                        f"(accuracy {c.confusion.accuracy:.2f}); {at_the_moment(c.results)}.",
                        "", _table(c.confusion.rows()[0], c.confusion.rows()[1:]), ""]
            else:
                out += report_rows(md_escape(c.name), c.results, c.confusion) + [""]
    out += ["## Failures", "",
            "Answerable questions not found in the top 5, or answered with a first citation more than 60 s from "
            "the gold (or refused); unanswerable questions that were answered. Development sets only: the blind "
            "sets' failures are not listed, so nobody tunes on them.", ""]
    for cfg in run.configs:
        out += [f"### `{cfg.name}`", "", failures_section(run, cfg.name), ""]
    return "\n".join(out)


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>podcast-rag evaluation</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 12.5px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; }}
th {{ background: #f3f3f3; }} tr:nth-child(even) td {{ background: #fafafa; }}
img {{ max-width: 100%; border: 1px solid #eee; }} code {{ background: #f3f3f3; padding: 0 3px; }}
</style></head><body>
{body}
</body></html>
"""


def render_html(markdown: str) -> str:
    """The Markdown report as a standalone page (raw HTML in the source is escaped, not rendered)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    # Line breaks inside table cells are written as <br>: the only markup the report itself uses.
    body = md.render(markdown).replace("&lt;br&gt;", "<br>")
    return _HTML.format(body=body)


def write_report(run: EvalRun, folder: Path, command: str = "podcast-rag eval") -> ReportFiles:
    """Write report.md, report.html, summary.md, summary.json and the PNG plots into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    plots: dict[str, Path] = {}
    for name in answerable_datasets(run):
        plots[f"hits-{name}"] = plot_hit_curves(run, name, folder / f"hits-{name}.png")
        plots[f"time-{name}"] = plot_time_errors(run, name, folder / f"time-{name}.png", _primary(run), BASELINE)
    plots["latency"] = plot_latency(run, folder / "latency.png")
    primary = _primary(run)
    evidence = plot_evidence(run, primary, folder / "evidence.png") if primary else None
    if evidence:
        plots["evidence"] = evidence
    markdown = render_markdown(run, command, plots)
    md_path = folder / "report.md"
    md_path.write_text(markdown, encoding="utf-8")
    html_path = folder / "report.html"
    html_path.write_text(render_html(markdown), encoding="utf-8")
    summary_md = folder / "summary.md"
    summary_md.write_text(f"`{command}`\n\n{summary_table(run)}\n", encoding="utf-8")
    results = folder / "results.jsonl"
    results.write_text("".join(json.dumps(question_record(r), ensure_ascii=False) + "\n" for r in run.results),
                       encoding="utf-8")
    summary_json = folder / "summary.json"
    summary_json.write_text(json.dumps(summary_data(run, command), indent=2), encoding="utf-8")
    return ReportFiles(folder, md_path, html_path, summary_md, summary_json, list(plots.values()))


def question_record(r: QuestionResult) -> dict:
    """One question under one configuration, flat, for results.jsonl."""
    from rag.evaluation.metrics import first_hit_rank

    a = r.answer
    return {
        "config": r.config, "dataset": r.dataset, "id": r.question.id, "style": r.question.style,
        "answerable": r.question.answerable, "first_hit_rank": first_hit_rank(r.relevant),
        "top_passage": [r.retrieved[0].episode_id, r.retrieved[0].start] if r.retrieved else None,
        "top_passage_error": r.top_passage_error,
        "abstained": a.abstained if a else None,
        "unsure": a.unsure if a else None,
        "top_citation": a.citations[0].start if a and a.citations else None,
        "top_citation_error": a.top_citation_error if a else None,
        "mention": a.mention if a else None,
        "evidence": asdict(a.evidence) if a and a.evidence else None,
        "retrieve_ms": round(1000 * r.retrieve_seconds, 1), "answer_ms": round(1000 * a.seconds, 1) if a else None,
    }


def summary_data(run: EvalRun, command: str) -> dict:
    """Every aggregate figure as plain JSON, for scripts and for checking a README table against a new run."""
    scores: dict[str, dict[str, dict]] = {}
    for d in run.datasets:
        for cfg in run.configs:
            scores.setdefault(d.name, {})[cfg.name] = asdict(score(run.select(cfg.name, d.name)))
    return {
        "command": command,
        "started_at": run.started_at,
        "wall_seconds": round(run.wall_seconds, 1),
        "embed_model": run.embed_model,
        "configs": [c.name for c in run.configs],
        "scores": scores,
        "abstention": {c.name: {group: asdict(a) for group, blind in (("dev", False), ("blind", True))
                                if (a := abstention(run, c.name, blind))} for c in run.configs},
        "claims": {c.name: {"right": c.confusion.right, "total": c.confusion.total,
                            "accuracy": round(c.confusion.accuracy, 4), "blind": c.blind,
                            "right_at_the_moment": moment_counts(c.results)[0]}
                   for c in run.claims},
    }


__all__ = ["ReportFiles", "Scores", "write_report", "summary_table", "scores_table", "render_html", "md_escape"]
