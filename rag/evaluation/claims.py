"""Claim sets: hand-written claims with the verdict a careful reader gives them, and the checker scored on them.

A claims file is JSON Lines, one claim a line:

    {"id": "s01", "claim": "Dylan Patel says DeepSeek has about 50,000 GPUs", "episode": "lex-fridman-459",
     "expected": "supported", "minutes": [57, 58], "kind": "number"}

`minutes` are the minutes at which the deciding evidence may be (any of them; empty for `not_found`); `kind` is a
free label for the reports (number, swapped_roles, near_topic, ...). `run_claims(assistant, path)` checks every claim
and returns the results with the confusion table (rows: expected verdict, columns: the checker's), which
`report_rows` renders as Markdown. Every problem in a file is one line naming the file and line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rag.claims import VERDICTS, ClaimCheck, Verdict
from rag.evaluation.datasets import DatasetError, json_object


class ClaimChecking(Protocol):
    def check_claim(self, claim: str, episode_id: str | None = None) -> ClaimCheck: ...


@dataclass(frozen=True)
class ClaimCase:
    id: str
    claim: str
    episode: str | None
    expected: Verdict
    minutes: tuple[int, ...] = ()
    kind: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class ClaimResult:
    case: ClaimCase
    verdict: Verdict
    decided_by: str
    explanation: str
    evidence_minute: int | None  # minute of the first evidence sentence, when there is evidence

    @property
    def correct(self) -> bool:
        return self.verdict == self.case.expected

    @property
    def right_moment(self) -> bool | None:
        """Whether the evidence is within a minute of one the case names (None when it names none): "when did he
        say it?" is answered too, not only "did he?"."""
        if not self.case.minutes:
            return None
        return self.evidence_minute is not None and any(abs(self.evidence_minute - m) <= 1 for m in self.case.minutes)


def moment_counts(results: Sequence[ClaimResult]) -> tuple[int, int]:
    """Of the right verdicts whose case names a moment, how many cite it, and how many there are: a verdict right
    by the wrong sentence is right by luck."""
    named = [r.right_moment for r in results if r.correct and r.right_moment is not None]
    return sum(named), len(named)


def at_the_moment(results: Sequence[ClaimResult]) -> str:
    cited, named = moment_counts(results)
    return f"{cited} of the {named} right verdicts with a gold moment cite it (within a minute)"


@dataclass
class Confusion:
    """Counts of (expected, got) verdict pairs."""

    counts: Counter = field(default_factory=Counter)

    def add(self, expected: str, got: str) -> None:
        self.counts[(expected, got)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def right(self) -> int:
        return sum(n for (e, g), n in self.counts.items() if e == g)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    def recall(self, verdict: str) -> float | None:
        row = sum(n for (e, _), n in self.counts.items() if e == verdict)
        return self.counts[(verdict, verdict)] / row if row else None

    def rows(self) -> list[list[str]]:
        """The table as cells: a header, then one row per expected verdict."""
        out = [["expected \\ got", *VERDICTS]]
        out += [[e, *(str(self.counts[(e, g)]) for g in VERDICTS)] for e in VERDICTS]
        return out


def load_claims(path: Path) -> list[ClaimCase]:
    """The cases of a claims file; raises DatasetError naming `path:line` on the first bad line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(path, f"cannot read the claims file ({exc.strerror})") from None
    cases: list[ClaimCase] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        data = json_object(raw, path, n)
        case_id, claim, expected = data.get("id"), data.get("claim"), data.get("expected")
        if not isinstance(case_id, str) or not case_id:
            raise DatasetError(path, 'expected a non-empty "id" string', n)
        if case_id in seen:
            raise DatasetError(path, f"the id {case_id!r} is used twice", n)
        if not isinstance(claim, str) or not claim.strip():
            raise DatasetError(path, 'expected a non-empty "claim" string', n)
        if expected not in VERDICTS:
            raise DatasetError(path, f'"expected" must be one of {", ".join(VERDICTS)}, not {expected!r}', n)
        minutes = data.get("minutes") or []
        if not isinstance(minutes, list) or not all(isinstance(m, int) and m >= 0 for m in minutes):
            raise DatasetError(path, '"minutes" must be a list of whole minutes', n)
        seen.add(case_id)
        cases.append(ClaimCase(case_id, claim.strip(), data.get("episode"), expected, tuple(minutes),
                               data.get("kind"), n))
    if not cases:
        raise DatasetError(path, "no claims in the file")
    return cases


def run_claims(assistant: ClaimChecking, path: Path,
               progress: Callable[[int, int], None] | None = None) -> tuple[list[ClaimResult], Confusion]:
    """Check every claim of the file; the results in file order and the confusion table."""
    cases = load_claims(path)
    results: list[ClaimResult] = []
    confusion = Confusion()
    for i, case in enumerate(cases, start=1):
        check = assistant.check_claim(case.claim, case.episode)
        start = check.evidence[0].start if check.evidence else None
        minute = int(start // 60) if start is not None else None
        results.append(ClaimResult(case, check.verdict, check.decided_by, check.explanation, minute))
        confusion.add(case.expected, check.verdict)
        if progress:
            progress(i, len(cases))
    return results, confusion


def report_rows(name: str, results: list[ClaimResult], confusion: Confusion) -> list[str]:
    """Markdown lines for a report: accuracy, the confusion table, and each wrong verdict with its explanation."""
    lines = [f"### Claims: {name}", "",
             f"{confusion.right}/{confusion.total} verdicts right (accuracy {confusion.accuracy:.2f}); "
             f"{at_the_moment(results)}.", ""]
    table = confusion.rows()
    lines.append("| " + " | ".join(table[0]) + " |")
    lines.append("|" + "---|" * len(table[0]))
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    wrong = [r for r in results if not r.correct]
    if wrong:
        lines += ["", "Wrong verdicts:", ""]
        for r in wrong:
            explanation = " ".join(r.explanation.split())
            lines.append(f"- `{r.case.id}` expected **{r.case.expected}**, got **{r.verdict}** "
                         f"({r.decided_by}): “{r.case.claim}” — {explanation}")
    return lines
