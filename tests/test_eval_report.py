"""The report from a hand-made run: tables with the hand-computed figures, failures listed, hostile text inert."""

from dataclasses import replace
from pathlib import Path

from rag.evaluation.configs import CONFIGS
from rag.evaluation.datasets import Dataset, GoldSpan, Question
from rag.evaluation.report import md_escape, render_html, verdict, write_report
from rag.evaluation.runner import AnswerResult, CitedMoment, EvalRun, QuestionResult, Retrieved
from rag.evaluation.scores import abstention, rule_grid, score, sweep
from rag.models import Evidence

EVIL = 'What about <img src=x onerror=alert(1)> and [link](javascript:alert(2)) | pipes?'


def retrieved(start, relevant, text="passage text", episode="ep-459"):
    return Retrieved(episode, "transcript", start, start + 60, "Chapter", ("Dylan Patel",), text, relevant)


def answer(abstained, cite_start=None, best_cosine=0.6, supported=True, best_score=None):
    cites = [] if abstained else [CitedMoment(1, "ep-459", "transcript", cite_start, cite_start, cite_start + 30,
                                              supported)]
    text = "refused" if abstained else "Dylan Patel: “50,000 GPUs.” [1]"
    return AnswerResult(text, abstained, cites,
                        Evidence(best_cosine, best_cosine if best_score is None else best_score, []), 0.2, True,
                        top_citation_error=None if abstained else abs(cite_start - 100.0),
                        mention=0.0 if abstained else 1.0, support=None if abstained else float(supported))


def make_run() -> EvalRun:
    q1 = Question("q1", "ep-459", "How many GPUs?", True, (GoldSpan(100, 120),), must_mention=("50,000",))
    q2 = Question("q2", "ep-459", EVIL, True, (GoldSpan(2000, 2010),))
    u1 = Question("u1", None, "Sora?", False)
    hybrid = CONFIGS["hybrid"]
    results = [
        # q1: hit at rank 2; cites 110 (10 s from the gold start)
        QuestionResult("hybrid", "ep-459", q1, [retrieved(500, False), retrieved(90, True)], [0, 1], 0.05, 400.0,
                       answer(False, 110.0)),
        # q2: miss; cites 0:05:00 (1,700 s off)
        QuestionResult("hybrid", "ep-459", q2, [retrieved(300, False, text=EVIL)], [0], 0.15, 1700.0,
                       answer(False, 300.0, best_cosine=0.4, supported=False)),
        QuestionResult("hybrid", "unanswerable", u1, [retrieved(10, False)], [0], 0.10, None,
                       answer(True, best_cosine=0.3, best_score=0.2)),
    ]
    datasets = [Dataset("ep-459", Path("ep-459.jsonl"), [q1, q2]), Dataset("unanswerable", Path("u.jsonl"), [u1])]
    return EvalRun(datasets, [hybrid], results, wall_seconds=1.0, started_at="2026-01-01T00:00:00+00:00",
                   corpus=[Path("corpus")], embed_model="m", answer_mode="extractive", run_seconds={"hybrid": 0.5})


def test_scores_aggregate_by_hand():
    run = make_run()
    s = score(run.select("hybrid", "ep-459"))
    assert s.n == 2 and s.hit1 == 0.0 and s.hit3 == 0.5 and s.mrr10 == 0.25  # (1/2 + 0) / 2
    assert s.citation_30s == 0.5 and s.passage_60s == 0.0 and s.abstained == 0.0
    assert s.cite_support == 0.5 and s.mention == 1.0  # q2's citation is not over its gold
    assert s.retrieve_p50 == 100.0  # median of 50 and 150 ms
    # answers not ranked by moment do not say whether they are sure: no figure rather than "all sure"
    assert (s.sure, s.citation_60s_sure, s.citation_60s_unsure) == (None, None, None)
    q1, q2 = run.select("hybrid", "ep-459")
    for r, p in ((q1, 0.9), (q2, 0.3)):
        r.answer.evidence = replace(r.answer.evidence, cited_probability=p)
    q2.answer.unsure = True  # q2's answer (1,700 s off) said it was not sure
    s = score(run.select("hybrid", "ep-459"))
    assert (s.sure, s.citation_60s_sure, s.citation_60s_unsure) == (0.5, 1.0, 0.0)
    for r in (q1, q2):
        r.answer.evidence = replace(r.answer.evidence, cited_probability=None)
    q2.answer.unsure = False
    a = abstention(run, "hybrid")
    assert (a.precision, a.recall, a.false_refusals) == (1.0, 1.0, 0.0)
    rows = {(r.signal, r.threshold): r for r in sweep(run, "hybrid", thresholds=(0.35, 0.5))}
    assert rows[("best_cosine", 0.35)].recall == 1.0 and rows[("best_cosine", 0.35)].false_refusals == 0.0
    assert rows[("best_cosine", 0.5)].false_refusals == 0.5  # q2's 0.4 is below 0.5
    # The shipped rule (abstain below cosine 0.35 and score 0.30) replayed: only u1 (0.3, 0.2) is refused.
    grid = {(g.min_cosine, g.min_score, g.unknown_rule): g for g in rule_grid(run, "hybrid")}
    shipped = next(g for g in grid.values() if g.current)
    assert (shipped.min_cosine, shipped.min_score, shipped.unknown_rule) == (0.35, 0.30, "on")
    assert (shipped.precision, shipped.recall, shipped.false_refusals) == (1.0, 1.0, 0.0)
    # One step stricter: q2 (0.4, 0.4) is still above 0.40 / 0.35; u1 refused: unchanged. Looser: u1 escapes.
    assert grid[(0.4, 0.35, "on")].false_refusals == 0.0
    assert grid[(0.3, 0.25, "off")].recall == 0.0


def test_report_lists_failures_and_keeps_hostile_text_inert(tmp_path):
    files = write_report(make_run(), tmp_path, "podcast-rag eval --limit 2")
    md = files.markdown.read_text()
    failures = md.split("## Failures")[1]
    assert "q2" in failures and "0:33:20–0:33:30" in failures and "cites 0:05:00" in failures
    assert "| q1 |" not in failures  # found in the top 5 and cited 10 s from the gold start
    html = files.html.read_text()
    assert "<img src=x" not in html and "javascript:alert" not in html.split("href=")[-1][:40]
    assert 'href="javascript' not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<img src="latency.png"' in html and "<table>" in html
    assert {p.name for p in files.plots} >= {"hits-ep-459.png", "time-ep-459.png", "latency.png", "evidence.png"}
    assert files.summary_markdown.read_text().startswith("`podcast-rag eval --limit 2`")


def test_md_escape():
    assert md_escape("a | b\n[c](d) *e* <f>") == "a \\| b \\[c\\](d) \\*e\\* &lt;f&gt;"
    assert md_escape("x" * 50, 10) == "x" * 9 + "…"
    assert "<script>" not in render_html(md_escape("<script>alert(1)</script>"))


def test_verdict_states_whether_hybrid_beats_the_baseline_in_numbers():
    run = make_run()
    q1, q2 = run.datasets[0].questions
    # The baseline finds q1 at rank 5 (no top-5 miss) and q2 not at all: hit@5 0.5 vs hybrid's 0.5 → "not better".
    run.configs.append(CONFIGS["llamaindex"])
    run.results += [
        QuestionResult("llamaindex", "ep-459", q1, [retrieved(s, s == 95) for s in (500, 600, 700, 800, 95)],
                       [0, 0, 0, 0, 1], 0.05, 400.0),
        QuestionResult("llamaindex", "ep-459", q2, [retrieved(300, False)], [0], 0.05, 1700.0),
    ]
    line = verdict(run)
    assert line.startswith("On ep-459, `hybrid` does **not** beat the llama-index baseline")
    assert "hit@5 0.50 vs 0.50 (not better)" in line and "0.50 vs 0.00 (better)" in line
    assert "moments" not in line  # not in this run
