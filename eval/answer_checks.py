"""How well the checks on LLM answers work on the real episodes, without an LLM.

For each answerable golden question (eval/datasets, one gold span), the passage of the retrieved set that holds the
gold moment plays the cited source (questions whose gold passage was not retrieved are left out), and the question's
reference answer plays the LLM's sentence:

- faithful: "<reference answer> [n]" citing that passage (or those passages, when the span straddles two).
  Flagging it unsupported is a false alarm.
- swapped: the reference answer of another question of the same episode (gold over 10 minutes away) citing the
  same passage. Flagging it is a detection.
- moment: the second the citation opens at (the passage sentence closest to the claim) against the gold span,
  compared with opening at the passage's start.

    podcast-rag ingest data/episodes ../shared/corpus      # once, into $PODRAG_INDEX
    python eval/answer_checks.py [--datasets eval/datasets] [--slack 10] [--verbose]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.answer.validation import MomentFinder, SupportConfig, check_support, split_answer
from rag.assistant import Assistant
from rag.models import Filters


def load(folder: Path) -> list[dict]:
    items = []
    for path in sorted(folder.glob("lex-fridman-*.jsonl")):
        items += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [x for x in items if x.get("answerable") and len(x["gold"]) == 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=Path(__file__).parent / "datasets")
    parser.add_argument("--slack", type=float, default=10.0, help="seconds around the gold span that count")
    parser.add_argument("--verbose", action="store_true", help="print each false alarm's reason")
    args = parser.parse_args()
    assistant = Assistant()
    embed = assistant.embedder.embed
    cfg = SupportConfig()
    items = load(args.datasets)
    found = false_alarms = detections = swapped_total = moment_hits = start_hits = 0
    for item in items:
        gold = item["gold"][0]
        lo, hi = gold["start"] - args.slack, gold["end"] + args.slack
        passages = assistant.search(item["question"], assistant.settings.answer_passages,
                                    Filters(episode_ids=(item["episode"],)))
        # the retrieved transcript passages that overlap the gold span (a span may straddle two chunks)
        cited = [k + 1 for k, p in enumerate(passages) if p.chunk.source_type == "transcript"
                 and p.chunk.start is not None and p.chunk.start <= hi and (p.chunk.end or p.chunk.start) >= lo]
        if not cited:
            continue  # a retrieval miss: not what this measures
        found += 1
        marks = "".join(f"[{n}]" for n in cited)
        claim = item["reference_answer"]
        faithful = check_support(split_answer(f"{claim} {marks}"), passages, embed, cfg)
        false_alarms += bool(faithful.unsupported)
        if args.verbose and faithful.unsupported:
            print(f"  false alarm {item['id']}: {faithful.unsupported[0].reason}")
        finder = MomentFinder(passages, embed)
        n = cited[0]
        t = passages[n - 1].chunk.sentences()[finder.find(n, claim)][1].start
        moment_hits += t is not None and lo <= t <= hi
        start_hits += lo <= passages[n - 1].chunk.start <= hi
        other = next((x for x in items if x["episode"] == item["episode"]
                      and abs(x["gold"][0]["start"] - gold["start"]) > 600), None)
        if other:
            swapped_total += 1
            swapped = check_support(split_answer(f"{other['reference_answer']} {marks}"), passages, embed, cfg)
            detections += bool(swapped.unsupported)
    print(f"questions with one gold span: {len(items)}; gold passage retrieved: {found}")
    print(f"faithful answers flagged unsupported (false alarms): {false_alarms}/{found} = {false_alarms / found:.2f}")
    print(f"swapped answers flagged unsupported (detections): {detections}/{swapped_total} = "
          f"{detections / swapped_total:.2f}")
    print(f"citation opens within the gold span ±{args.slack:g} s: claim's moment {moment_hits}/{found} = "
          f"{moment_hits / found:.2f}; passage start {start_hits}/{found} = {start_hits / found:.2f}")


if __name__ == "__main__":
    main()
