"""Golden-set loading: good lines become typed questions; every bad line is one error naming file:line."""

import json

import pytest

from rag.evaluation.datasets import DatasetError, GoldSpan, load_dataset, resolve_datasets
from tests.conftest import ROOT

GOOD = {"id": "459-001", "episode": "lex-fridman-459", "question": "How many GPUs does DeepSeek have?",
        "style": "fact", "answerable": True, "gold": [{"start": 3456.0, "end": 3482.0}], "speaker": "Dylan Patel",
        "chapter": "DeepSeek compute cluster", "reference_answer": "About 50,000.", "must_mention": ["50,000", "GPUs"]}
UNANSWERABLE = {"id": "unans-001", "episode": None, "question": "What about Sora?", "answerable": False,
                "checked_terms": ["sora"]}


def write(tmp_path, *lines, name="set.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_good_lines_load_as_typed_questions(tmp_path):
    multi = {**GOOD, "id": "459-002", "style": "multi", "speaker": ["Dylan Patel", "Nathan Lambert"],
             "gold": [{"start": 10, "end": 20}, {"start": 500, "end": 530}]}
    d = load_dataset(write(tmp_path, GOOD, "", multi, UNANSWERABLE))
    assert d.name == "set" and [q.id for q in d.questions] == ["459-001", "459-002", "unans-001"]
    q, m, u = d.questions
    assert q.gold == (GoldSpan(3456.0, 3482.0),) and q.speakers == ("Dylan Patel",) and q.line == 1
    assert q.must_mention == ("50,000", "GPUs") and q.answerable
    assert m.speakers == ("Dylan Patel", "Nathan Lambert") and len(m.gold) == 2 and m.line == 3
    assert not u.answerable and u.episode is None and u.gold == () and u.checked_terms == ("sora",)
    assert d.episodes == {"lex-fridman-459"}


@pytest.mark.parametrize("line, expected", [
    ("{not json", "set.jsonl:2: not JSON"),
    ("[1, 2]", "set.jsonl:2: expected a JSON object, got list"),
    ({**GOOD, "id": "x", "gold": []}, "set.jsonl:2: question 'x': an answerable question needs at least one \"gold\""),
    ({**GOOD, "id": "x", "gold": [{"start": 50, "end": 40}]}, "gold span ends (40.0) before it starts (50.0)"),
    ({**GOOD, "id": "x", "gold": [{"start": 5}]}, "gold.0.end: Field required"),
    ({**GOOD, "id": "x", "style": "trivia"}, "style: Input should be 'fact', 'explanation'"),
    ({**GOOD, "id": "x", "episode": None}, "an answerable question needs its \"episode\""),
    ({**UNANSWERABLE, "gold": [{"start": 1, "end": 2}]}, "cannot have \"gold\" spans"),
    ({**GOOD, "id": "x", "question": "   "}, "question: the question is blank"),
    ({**GOOD, "id": ""}, "id: String should have at least 1 character"),
])
def test_each_bad_line_is_one_error_naming_file_and_line(tmp_path, line, expected):
    path = write(tmp_path, GOOD, line)
    with pytest.raises(DatasetError) as exc:
        load_dataset(path)
    message = str(exc.value)
    assert str(path) in message and expected in message and "\n" not in message


def test_duplicate_ids_name_both_lines(tmp_path):
    path = write(tmp_path, GOOD, UNANSWERABLE, GOOD)
    with pytest.raises(DatasetError, match=r"set\.jsonl:3: duplicate id '459-001' \(first on line 1\)"):
        load_dataset(path)


def test_empty_missing_and_binary_files(tmp_path):
    with pytest.raises(DatasetError, match="no questions in the file"):
        load_dataset(write(tmp_path, ""))
    with pytest.raises(DatasetError, match="no such dataset file"):
        load_dataset(tmp_path / "nope.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DatasetError, match="not UTF-8"):
        load_dataset(tmp_path / "bin.jsonl")


def test_resolve_by_name_short_name_or_path(tmp_path):
    a = write(tmp_path, GOOD, name="lex-fridman-459.jsonl").resolve()
    b = write(tmp_path, UNANSWERABLE, name="unanswerable.jsonl").resolve()
    assert resolve_datasets([], tmp_path) == [a, b]
    assert resolve_datasets(["459", "unanswerable", str(a)], tmp_path) == [a, b]
    assert resolve_datasets(["lex-fridman-459.jsonl"], tmp_path / "elsewhere") == [a]  # relative to the cwd
    with pytest.raises(DatasetError, match="no such dataset .*known in .*: lex-fridman-459, unanswerable"):
        resolve_datasets(["491"], tmp_path)
    with pytest.raises(DatasetError, match="no \\*.jsonl golden sets"):
        resolve_datasets([], tmp_path / "empty")


def test_the_repository_golden_sets_load_with_the_counts_the_issue_asks_for():
    sets = {p.stem: load_dataset(p) for p in resolve_datasets([], ROOT / "eval" / "datasets")}
    assert len(sets["lex-fridman-459"].questions) >= 60
    assert len(sets["lex-fridman-491"].questions) >= 20 and len(sets["lex-fridman-494"].questions) >= 20
    unanswerable = sets["unanswerable"].questions
    assert len(unanswerable) >= 15 and not any(q.answerable for q in unanswerable)
    for name in ("lex-fridman-459", "lex-fridman-491", "lex-fridman-494"):
        qs = sets[name].questions
        assert all(q.answerable and q.episode == name and q.gold and q.must_mention for q in qs)
