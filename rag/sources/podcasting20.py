"""Podcasting 2.0 JSON transcripts (`{"segments": [...]}`) and chapters (`{"chapters": [...]}`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rag.errors import SourceError
from rag.models import Chapter, Segment, Transcript
from rag.sources.common import check_transcript, clock, describe_validation_error, load_json


class _Strict(BaseModel):
    # strict: "12" is not a number and 3 is not a string; extra fields (e.g. "version", "img") are allowed.
    model_config = ConfigDict(strict=True, extra="ignore")


class _JsonSegment(_Strict):
    startTime: float = Field(ge=0, allow_inf_nan=False)
    endTime: float | None = Field(None, ge=0, allow_inf_nan=False)
    body: str
    speaker: str | None = None


class _JsonTranscript(_Strict):
    segments: list[_JsonSegment]


class _JsonChapter(_Strict):
    startTime: float = Field(ge=0, allow_inf_nan=False)
    title: str


class _JsonChapters(_Strict):
    chapters: list[_JsonChapter]


def parse_json_transcript(path: Path | str) -> Transcript:
    """Read a Podcasting 2.0 JSON transcript, one segment per item, as given (word-level items stay words)."""
    path = Path(path)
    try:
        doc = _JsonTranscript.model_validate(load_json(path))
    except ValidationError as exc:
        raise SourceError(path, f"{describe_validation_error(exc)} (Podcasting 2.0 transcript)") from exc
    segments = [
        Segment(s.startTime, s.endTime, speaker=(s.speaker or "").strip() or None, text=s.body.strip())
        for s in doc.segments
    ]
    return check_transcript(Transcript(path=path, format="json", segments=segments), items="segments")


def parse_json_chapters(path: Path | str) -> list[Chapter]:
    """Read Podcasting 2.0 chapters; they must come in time order."""
    path = Path(path)
    try:
        doc = _JsonChapters.model_validate(load_json(path))
    except ValidationError as exc:
        raise SourceError(path, f"{describe_validation_error(exc)} (Podcasting 2.0 chapters)") from exc
    chapters = [Chapter(start=c.startTime, title=c.title.strip()) for c in doc.chapters]
    for i in range(1, len(chapters)):
        if chapters[i].start < chapters[i - 1].start:
            raise SourceError(
                path,
                f"chapters[{i}].startTime: {clock(chapters[i].start)} is before the previous chapter's "
                f"{clock(chapters[i - 1].start)}; expected chapters in time order",
            )
    return chapters
