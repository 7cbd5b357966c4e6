"""What every benchmark script reports the same way: medians and 95th percentiles, and its table written into a
Markdown file between its own markers (BENCHMARKS.md holds one section per script)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def p95(xs: Sequence[float]) -> float:
    """The 95th percentile by rank (the value 95 % of the samples are at or under)."""
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def write_section(path: Path, text: str, start: str, end: str) -> None:
    """Put `text` between the markers `start` and `end` in `path`, replacing what was there; the markers are added at
    the end of the file (a new `# Benchmarks` file if there is none) the first time."""
    doc = path.read_text() if path.exists() else "# Benchmarks\n"
    if start not in doc:
        doc = f"{doc.rstrip()}\n\n{start}\n{end}\n"
    before, rest = doc.split(start, 1)
    after = rest.split(end, 1)[1]
    path.write_text(f"{before}{start}\n{text}{end}{after}")
