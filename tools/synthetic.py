"""Synthetic episodes for benchmarks, built from real transcripts:

    python -m tools.synthetic --episodes 100 --out DIR

Each synthetic episode is a random selection of whole chapters of the real episodes, re-timed one after another,
with a new id and "[synthetic]" in its title (`"synthetic": true` in its episode.json). Chunks never cross a
chapter, so a chapter re-chunks into exactly the chunks it made in its real episode: the same texts, hence the same
embeddings, served by the embedding cache. A corpus of any size therefore needs only the real episodes' few
hundred distinct chunk texts embedded, while the index holds as many chunks (with their own ids, times and
episodes) as a real catalogue of that size would.

Corpora are written outside the repository: they are generated data, not sources.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from rag.chunking import chapter_of
from rag.errors import PodragError
from rag.models import Segment
from rag.sources import discover, load_episode

_REPO = Path(__file__).resolve().parents[1]
_GAP = 2.0  # seconds between re-timed chapters: more than chunking's 1 s chapter tolerance


@dataclass(frozen=True)
class RealChapter:
    """One chapter of a real episode and its segments, as chunking assigns them."""

    episode_id: str
    title: str
    start: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class RealSummary:
    episode_id: str
    text: str


def real_chapters(paths: list[Path]) -> tuple[list[RealChapter], list[RealSummary]]:
    """The chapters (with segments) and the summaries of the real episodes under `paths`."""
    sources, errors = discover(paths)
    if errors:
        raise PodragError(str(errors[0]))
    chapters: list[RealChapter] = []
    summaries: list[RealSummary] = []
    for src in sources:
        episode = load_episode(src)
        if episode.summary is not None:
            summaries.append(RealSummary(episode.id, episode.summary.path.read_text(encoding="utf-8")))
        if not episode.transcript or not episode.chapters:
            continue
        ordered = sorted(episode.chapters, key=lambda c: c.start)
        groups: dict[int, list[Segment]] = {}
        for seg in episode.transcript.segments:
            chapter = chapter_of(ordered, seg.start)
            if chapter is not None:  # talk before the first chapter mark has no header; leave it out
                groups.setdefault(ordered.index(chapter), []).append(seg)
        for i, segs in sorted(groups.items()):
            chapters.append(RealChapter(episode.id, ordered[i].title, ordered[i].start, tuple(segs)))
    if not chapters:
        raise PodragError(f"no chaptered transcripts found under {', '.join(map(str, paths))}")
    return chapters, summaries


def _retime(chapter: RealChapter, at: float) -> tuple[float, list[dict], float]:
    """Shift a chapter so its earliest moment is at `at`: (chapter start, JSON segments, end of its last one)."""
    first = min(chapter.start, chapter.segments[0].start)
    delta = at - first
    out = []
    end = at
    for i, seg in enumerate(chapter.segments):
        nxt = chapter.segments[i + 1].start if i + 1 < len(chapter.segments) else None
        seg_end = (seg.end if seg.end is not None and seg.end >= seg.start
                   else (nxt if nxt is not None else seg.start + 5))
        item = {"startTime": round(seg.start + delta, 3), "endTime": round(seg_end + delta, 3), "body": seg.text}
        if seg.speaker:
            item["speaker"] = seg.speaker
        out.append(item)
        end = max(end, item["endTime"], item["startTime"])
    return round(chapter.start + delta, 3), out, end


def write_corpus(out: Path, n: int, sources: list[Path], seed: int = 0, chapters_per_episode: int | None = None,
                 summary_every: int = 3) -> list[Path]:
    """Write `n` synthetic episode folders under `out` (created; must lie outside the repository).

    Each episode takes `chapters_per_episode` chapters (default: the real episodes' mean) drawn at random
    without repetition inside the episode; every `summary_every`-th episode also gets a real summary.
    """
    out = out.resolve()
    if out == _REPO or _REPO in out.parents:
        raise PodragError(f"{out}: synthetic corpora are written outside the repository ({_REPO})")
    pool, summaries = real_chapters(sources)
    per_episode = chapters_per_episode or max(1, round(len(pool) / len({c.episode_id for c in pool})))
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    folders = []
    for i in range(1, n + 1):
        picked = rng.sample(pool, min(per_episode, len(pool)))
        segments: list[dict] = []
        chapters: list[dict] = []
        at = 0.0
        for chapter in picked:
            start, segs, end = _retime(chapter, at)
            chapters.append({"startTime": start, "title": chapter.title})
            segments.extend(segs)
            at = end + _GAP
        episode_id = f"synthetic-{i:05d}"
        speakers = sorted({s["speaker"] for s in segments if "speaker" in s})
        folder = out / episode_id
        folder.mkdir(exist_ok=True)
        meta = {
            "id": episode_id,
            "synthetic": True,
            "podcast": "Synthetic benchmark podcast",
            "number": i,
            "title": f"[synthetic] {picked[0].title}",
            "guests": speakers,
            "from_episodes": sorted({c.episode_id for c in picked}),
        }
        (folder / "episode.json").write_text(json.dumps(meta, indent=1))
        (folder / "chapters.json").write_text(json.dumps({"version": "1.2.0", "chapters": chapters}))
        (folder / "transcript.json").write_text(json.dumps({"version": "1.0.0", "segments": segments}))
        if summaries and summary_every and i % summary_every == 0:
            summary = summaries[(i // summary_every) % len(summaries)]
            (folder / "summary.txt").write_text(summary.text, encoding="utf-8")
        folders.append(folder)
    (out / "SYNTHETIC.md").write_text(
        f"{n} synthetic episodes generated by `python -m tools.synthetic` (seed {seed}) from whole chapters of the\n"
        f"real episodes in {', '.join(map(str, sources))}. Not real episodes: for benchmarks only.\n"
    )
    return folders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, required=True, help="how many episodes to write")
    parser.add_argument("--out", type=Path, required=True, help="output folder, outside the repository")
    parser.add_argument("--from", dest="sources", type=Path, nargs="+", default=[_REPO.parent / "shared" / "corpus"],
                        help="real episode folders to draw chapters from (default ../shared/corpus)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        folders = write_corpus(args.out, args.episodes, args.sources, args.seed)
    except PodragError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(folders)} synthetic episodes in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
