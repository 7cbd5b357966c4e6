"""How a `Chunk` is stored as a Chroma record (id, document, flat metadata) and read back."""

from __future__ import annotations

import json
from typing import Any

from rag.models import Chunk, Moment


def chunk_metadata(chunk: Chunk, written: float) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "episode_id": chunk.episode_id,
        "written": written,  # when the chunk was added: garbage collection spares recent orphans on a server
        "source_type": chunk.source_type,
        "seq": chunk.seq,
        # Offsets, times and speakers of each sentence, compact: [[offset, start, speaker index], ...]
        "moments": json.dumps(
            [[m.offset, m.start, chunk.speakers.index(m.speaker) if m.speaker else -1] for m in chunk.moments]
        ),
    }
    # Chroma rejects empty lists; a missing key means "none".
    for key, value in (("start", chunk.start), ("end", chunk.end), ("chapter", chunk.chapter),
                       ("section", chunk.section), ("speakers", chunk.speakers or None)):
        if value is not None:
            meta[key] = value
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    speakers = list(meta.get("speakers") or [])
    moments = [Moment(o, s, speakers[i] if i >= 0 else None) for o, s, i in json.loads(meta["moments"])]
    return Chunk(
        id=chunk_id,
        episode_id=meta["episode_id"],
        source_type=meta["source_type"],
        text=text,
        start=meta.get("start"),
        end=meta.get("end"),
        speakers=speakers,
        chapter=meta.get("chapter"),
        section=meta.get("section"),
        moments=moments,
        seq=meta.get("seq", 0),
    )
