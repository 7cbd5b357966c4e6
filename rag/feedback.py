"""Ratings of answers (thumbs up/down), kept with the question, the answer and its citations in a SQLite file.

SQLite rather than JSON Lines because several app sessions may rate at once: each write is one transaction.
A connection per call keeps the store usable from any thread of the web server.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from rag.models import Answer, Filters

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    rating TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    mode TEXT NOT NULL,
    model TEXT,
    citations TEXT NOT NULL,
    filters TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class FeedbackEntry:
    id: int
    created: str
    rating: str  # "up", "down", or another label the UI offers
    question: str
    answer: str
    abstained: bool
    mode: str
    model: str | None
    citations: list[dict]  # Citation.to_json() of each citation
    filters: dict


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(_SCHEMA)
        return conn

    def add(self, rating: str, question: str, answer: Answer, filters: Filters | None = None) -> int:
        """Store one rating; returns its id."""
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"), rating, question, answer.answer,
            int(answer.abstained), answer.mode, answer.model,
            json.dumps([c.to_json() for c in answer.citations], ensure_ascii=False),
            json.dumps(asdict(filters) if filters else {}, ensure_ascii=False),
        )
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(
                "INSERT INTO feedback (created, rating, question, answer, abstained, mode, model, citations, filters)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row,
            )
            return int(cur.lastrowid)

    def entries(self) -> list[FeedbackEntry]:
        """Every stored rating, oldest first."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT id, created, rating, question, answer, abstained, mode, model, citations, filters"
                " FROM feedback ORDER BY id"
            ).fetchall()
        return [
            FeedbackEntry(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], json.loads(r[8]), json.loads(r[9]))
            for r in rows
        ]
