"""Claim sets in the evaluation: loading (one-line errors), scoring with the confusion table, the report rows."""

import json

import pytest

from rag.evaluation.claims import ClaimCase, ClaimResult, Confusion, at_the_moment, load_claims, report_rows, run_claims
from rag.evaluation.datasets import DatasetError


def write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("row, message", [
    ("{not json", "not JSON"),
    ('["a list"]', "expected a JSON object"),
    ({"claim": "x", "expected": "supported"}, 'non-empty "id"'),
    ({"id": "a", "claim": " ", "expected": "supported"}, 'non-empty "claim"'),
    ({"id": "a", "claim": "x", "expected": "true"}, '"expected" must be one of supported, contradicted'),
    ({"id": "a", "claim": "x", "expected": "supported", "minutes": ["3"]}, '"minutes" must be a list'),
])
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path, row, message):
    path = write(tmp_path / "c.jsonl", [{"id": "ok", "claim": "fine", "expected": "not_found"}, row])
    with pytest.raises(DatasetError, match=message) as err:
        load_claims(path)
    assert str(err.value).startswith(f"{path}:2: ")


def test_duplicate_ids_and_empty_files_are_refused(tmp_path):
    row = {"id": "a", "claim": "x", "expected": "supported"}
    with pytest.raises(DatasetError, match="used twice"):
        load_claims(write(tmp_path / "d.jsonl", [row, row]))
    with pytest.raises(DatasetError, match="no claims"):
        load_claims(write(tmp_path / "e.jsonl", []))


def test_confusion_counts_accuracy_and_recall():
    c = Confusion()
    for e, g in [("supported", "supported"), ("supported", "not_found"), ("contradicted", "contradicted")]:
        c.add(e, g)
    assert (c.right, c.total, round(c.accuracy, 2)) == (2, 3, 0.67)
    assert c.recall("supported") == 0.5 and c.recall("misattributed") is None
    assert c.rows()[0] == ["expected \\ got", "supported", "contradicted", "misattributed", "not_found"]
    assert c.rows()[1] == ["supported", "1", "0", "0", "1"]


def test_run_claims_on_the_tiny_corpus(tiny_assistant, tmp_path):
    path = write(tmp_path / "claims.jsonl", [
        {"id": "s", "claim": "Dylan says DeepSeek has about 50,000 GPUs", "episode": "tiny-459",
         "expected": "supported", "minutes": [0]},
        {"id": "m", "claim": "Nathan says DeepSeek has about 50,000 GPUs", "episode": "tiny-459",
         "expected": "misattributed", "minutes": [0]},
        {"id": "c", "claim": "Dylan says DeepSeek has about 20,000 GPUs", "episode": "tiny-459",
         "expected": "not_found"},  # deliberately wrong expectation: it is contradicted
    ])
    seen = []
    results, confusion = run_claims(tiny_assistant, path, progress=lambda i, n: seen.append((i, n)))
    assert [r.verdict for r in results] == ["supported", "misattributed", "contradicted"]
    assert [r.correct for r in results] == [True, True, False]
    assert results[0].evidence_minute == 0 and results[0].right_moment is True and results[2].right_moment is None
    assert (confusion.right, confusion.total) == (2, 3) and seen[-1] == (3, 3)
    lines = report_rows("tiny", results, confusion)
    assert lines[0] == "### Claims: tiny" and ("2/3 verdicts right (accuracy 0.67); 2 of the 2 right verdicts with a "
                                               "gold moment cite it (within a minute).") in lines
    assert "| not_found | 0 | 1 | 0 | 0 |" in lines
    assert any(line.startswith("- `c` expected **not_found**, got **contradicted** (numbers)") for line in lines)


def test_a_right_verdict_counts_at_the_moment_only_when_its_evidence_is_within_a_minute_of_the_gold():
    case = ClaimCase("x", "Dylan says it", "ep", "supported", (52,))
    assert [ClaimResult(case, "supported", "similarity", "", m).right_moment for m in (51, 52, 53, 55, None)] == [
        True, True, True, False, False]
    results = [ClaimResult(case, "supported", "similarity", "", 52),
               ClaimResult(case, "supported", "similarity", "", 140),
               ClaimResult(case, "not_found", "similarity", "", None),
               ClaimResult(ClaimCase("y", "Lex says it", "ep", "supported"), "supported", "similarity", "", 3)]
    assert at_the_moment(results) == "1 of the 2 right verdicts with a gold moment cite it (within a minute)"


def test_every_blind_claim_set_is_judged_as_claims_and_never_read_as_questions(tmp_path):
    """A new blind claim set (`blind/claims-2.jsonl`) sits beside the first; neither is a question set."""
    from rag.evaluation.datasets import resolve_datasets
    from rag.evaluation.runner import claim_files

    (tmp_path / "claims").mkdir()
    (tmp_path / "blind").mkdir()
    for name in ("claims/claims_459.jsonl", "blind/claims.jsonl", "blind/claims-2.jsonl", "blind/questions.jsonl",
                 "lex-fridman-459.jsonl"):
        (tmp_path / name).write_text("{}\n")
    assert [(p.relative_to(tmp_path).as_posix(), blind) for p, blind in claim_files(tmp_path)] == [
        ("claims/claims_459.jsonl", False), ("blind/claims.jsonl", True), ("blind/claims-2.jsonl", True)]
    assert [p.relative_to(tmp_path).as_posix() for p in resolve_datasets([], tmp_path)] == [
        "lex-fridman-459.jsonl", "blind/questions.jsonl"]
