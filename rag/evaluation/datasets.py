"""Golden question sets: JSON Lines files, one question per line, loaded into typed records.

Every problem is reported as one line naming the file and line (`eval/datasets/x.jsonl:12: ...`), because these
files are written by hand and a silently skipped question would skew every figure computed from them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rag.errors import SourceError

Style = Literal["fact", "explanation", "who", "paraphrase", "multi"]


class DatasetError(SourceError):
    """A golden-set file or line is not what the evaluation expects."""


@dataclass(frozen=True)
class GoldSpan:
    """A stretch of the episode, in seconds on the transcript's clock, where the answer is said."""

    start: float
    end: float


@dataclass(frozen=True)
class Question:
    id: str
    episode: str | None  # the episode it is about; None for an unanswerable question about no episode in particular
    question: str
    answerable: bool
    gold: tuple[GoldSpan, ...] = ()
    style: str | None = None
    speakers: tuple[str, ...] = ()
    chapter: str | None = None
    reference_answer: str | None = None
    must_mention: tuple[str, ...] = ()
    checked_terms: tuple[str, ...] = ()  # for unanswerable ones: the words searched for to be sure
    line: int | None = None


BLIND_FOLDER = "blind"  # held-out sets: reported beside the development sets, never tuned on


@dataclass
class Dataset:
    name: str  # the file's stem, e.g. "lex-fridman-459"; "blind-<stem>" for a set in the blind folder
    path: Path
    questions: list[Question] = field(default_factory=list)

    @property
    def blind(self) -> bool:
        return self.path.parent.name == BLIND_FOLDER

    @property
    def episodes(self) -> set[str]:
        return {q.episode for q in self.questions if q.episode}


class _Span(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: float = Field(ge=0)
    end: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> _Span:
        if self.end < self.start:
            raise ValueError(f"gold span ends ({self.end}) before it starts ({self.start})")
        return self


class _Line(BaseModel):
    # Unknown keys are allowed (notes for the dataset's authors) but the known ones are checked strictly.
    model_config = ConfigDict(extra="allow", strict=False)
    id: str = Field(min_length=1)
    episode: str | None = None
    question: str = Field(min_length=3)
    answerable: bool = True
    style: Style | None = None
    gold: list[_Span] = Field(default_factory=list)
    speaker: str | list[str] | None = None
    chapter: str | None = None
    reference_answer: str | None = None
    must_mention: list[str] = Field(default_factory=list)
    checked_terms: list[str] = Field(default_factory=list)

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the question is blank")
        return v.strip()

    @model_validator(mode="after")
    def _consistent(self) -> _Line:
        if self.answerable:
            if not self.episode:
                raise ValueError("an answerable question needs its \"episode\"")
            if not self.gold:
                raise ValueError("an answerable question needs at least one \"gold\" span {\"start\", \"end\"}")
        elif self.gold:
            raise ValueError("an unanswerable question (\"answerable\": false) cannot have \"gold\" spans")
        return self


def _describe(exc: ValidationError) -> str:
    """Pydantic's errors as one short phrase: 'gold.0.end: ...; style: ...'."""
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def json_object(text: str, path: Path, line: int) -> dict:
    """One JSON Lines line as a dict; raises DatasetError naming `path:line` (also used for claim sets)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(path, f"not JSON ({exc.msg} at column {exc.colno})", line) from None
    if not isinstance(data, dict):
        raise DatasetError(path, f"expected a JSON object, got {type(data).__name__}", line)
    return data


def parse_line(text: str, path: Path, line: int) -> Question:
    """One JSON line as a Question; raises DatasetError naming `path:line`."""
    data = json_object(text, path, line)
    try:
        item = _Line.model_validate(data)
    except ValidationError as exc:
        qid = data.get("id")
        prefix = f"question {qid!r}: " if isinstance(qid, str) and qid else ""
        raise DatasetError(path, prefix + _describe(exc), line) from None
    speakers = item.speaker if isinstance(item.speaker, list) else [item.speaker] if item.speaker else []
    return Question(
        id=item.id,
        episode=item.episode,
        question=item.question,
        answerable=item.answerable,
        gold=tuple(GoldSpan(s.start, s.end) for s in item.gold),
        style=item.style,
        speakers=tuple(speakers),
        chapter=item.chapter,
        reference_answer=item.reference_answer,
        must_mention=tuple(t for t in item.must_mention if t.strip()),
        checked_terms=tuple(item.checked_terms),
        line=line,
    )


def load_dataset(path: Path) -> Dataset:
    """Read and validate a golden set; ids must be unique within the file. Raises DatasetError."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "no such dataset file (expected a .jsonl file of questions)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        q = parse_line(raw, path, n)
        if q.id in seen:
            raise DatasetError(path, f"duplicate id {q.id!r} (first on line {seen[q.id]})", n)
        seen[q.id] = n
        questions.append(q)
    if not questions:
        raise DatasetError(path, "no questions in the file")
    name = f"blind-{path.stem}" if path.parent.name == BLIND_FOLDER else path.stem
    return Dataset(name, path, questions)


def is_blind_claim_set(path: Path) -> bool:
    """Whether a file of the blind folder holds claims (`claims.jsonl`, `claims-2.jsonl`, …), not questions."""
    return path.stem == "claims" or path.stem.startswith("claims-")


def resolve_datasets(names: Sequence[str], folder: Path) -> list[Path]:
    """Dataset files for names such as 'lex-fridman-459', '459', 'unanswerable' or paths; all of `folder` if none."""
    if not names:
        # Development sets, then the blind ones (question sets only: blind claim sets are judged by the claim eval).
        files = sorted(folder.glob("*.jsonl")) + sorted(p for p in (folder / BLIND_FOLDER).glob("*.jsonl")
                                                        if not is_blind_claim_set(p))
        if not files:
            raise DatasetError(folder, "no *.jsonl golden sets in this folder "
                                       "(set PODRAG_EVAL_DATASETS or pass --dataset)")
        return files
    out: list[Path] = []
    for name in names:
        candidates = [Path(name), folder / name, folder / f"{name}.jsonl"]
        if name.startswith("blind-"):
            candidates.append(folder / BLIND_FOLDER / f"{name.removeprefix('blind-')}.jsonl")
        candidates += sorted(folder.glob(f"*-{name}.jsonl"))
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            known = ", ".join(p.stem for p in sorted(folder.glob("*.jsonl"))) or "none"
            raise DatasetError(name, f"no such dataset (known in {folder}: {known})")
        out.append(found)
    return list(dict.fromkeys(p.resolve() for p in out))
