"""The real corpus's index, built by a background process while the rest of the suite runs.

Ingesting the shared corpus is most of `make test`'s time (the moment model embeds every sentence of eleven hours of
talk, ~6 minutes on 2 cores) while the other tests keep about one core busy. tests/conftest.py starts this module at
a lower priority as soon as the tests are collected, runs the tests that need the corpus last, and its
`corpus_assistant` fixture opens the index this process left (its re-ingest finds every episode there). Run by hand:
`python -m tests.corpus_index INDEX CACHE CORPUS...`.
"""

from __future__ import annotations

import sys
from pathlib import Path


def build(index: Path, cache: Path, corpus: list[Path]) -> None:
    from rag.assistant import Assistant
    from rag.settings import Settings

    report = Assistant(Settings(index=index, cache=cache, _env_file=None)).ingest(corpus)
    if not report.ok:
        raise SystemExit(f"ingest of {', '.join(map(str, corpus))} failed: {report.failed}")


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]])
