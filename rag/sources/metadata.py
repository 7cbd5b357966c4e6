"""episode.json -> EpisodeMeta, validated with pydantic."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from rag.errors import SourceError
from rag.models import EpisodeMeta
from rag.sources.common import describe_validation_error, load_json


class _EpisodeJson(BaseModel):
    # strict: "459" is not a number and a lone "Dylan Patel" is not a list of guests.
    model_config = ConfigDict(strict=True, extra="ignore")

    id: str | None = None
    podcast: str | None = None
    number: int | None = None
    title: str | None = None
    host: str | None = None
    guests: list[str] | None = None
    published: str | None = None
    video_url: str | None = None
    audio_url: str | None = None
    transcript_url: str | None = None


def parse_episode_json(path: Path | str) -> EpisodeMeta:
    """Read episode metadata. Every field is optional; without an `id` the episode takes its folder's name."""
    path = Path(path)
    data = load_json(path)
    if not isinstance(data, dict):
        raise SourceError(path, f"found a JSON {type(data).__name__}: expected a JSON object")
    try:
        doc = _EpisodeJson.model_validate(data)
    except ValidationError as exc:
        raise SourceError(path, describe_validation_error(exc)) from exc
    fields = doc.model_dump()
    fields["id"] = (doc.id or "").strip() or path.parent.name
    fields["guests"] = [g.strip() for g in doc.guests or [] if g.strip()]
    return EpisodeMeta(**fields)
