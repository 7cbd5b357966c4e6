"""Cross-validate the claim checker's thresholds on the dev claim sets (eval/datasets/claims/*.jsonl).

Each claim is checked once; its judged candidates (and the conversation text the offline judge read) are kept, so
every threshold value is tried by re-judging those candidates (rag.claims.judge_offline + decide) without new
retrieval. For each threshold it prints the accuracy per value on every set (the curve) and a 5-fold
cross-validation: the value chosen on four folds, scored on the fifth. The blind sets are never read.

    python eval/claims_cv.py --index data/index [--corpus ../shared/corpus] [--threshold support:0.5,0.54,...]
                             [--moment-model]

It ends with the thresholds that read the similarity (support, topical, support floor) chosen together, by the same
5 folds. `--moment-model` first recomputes every candidate's similarity with the moment model (all-mpnet-base-v2)
instead of the embedding model, to compare the two as the claim checker's measure.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import random
from collections import defaultdict
from pathlib import Path

from rag.assistant import Assistant
from rag.claims import ClaimConfig, decide, judge_offline
from rag.claims.checker import similarities
from rag.evaluation.claims import load_claims
from rag.settings import Settings

DEV = Path(__file__).parent / "datasets" / "claims"
JOINT = {"support": [0.54, 0.58, 0.62, 0.66, 0.70], "topical": [0.35, 0.40, 0.45, 0.50],
         "support_floor": [0.45, 0.50, 0.55]}
GRIDS = {
    "support": [0.50, 0.54, 0.58, 0.62, 0.66, 0.70],
    "topical": [0.35, 0.40, 0.45, 0.50, 0.55],
    "contradiction_margin": [0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30],
}


def record(assistant: Assistant) -> tuple[list[dict], dict, dict]:
    checker = assistant.claim_checker
    contexts: dict = {}
    topics: dict = {}
    context, topic = checker.context, checker.topic
    checker.context = lambda ep, t: contexts.setdefault((ep, t), context(ep, t))
    checker.topic = lambda ep: topics.setdefault(ep, topic(ep))
    rows = []
    for path in sorted(DEV.glob("*.jsonl")):
        for case in load_claims(path):
            r = assistant.check_claim(case.claim, case.episode)
            rows.append({"set": path.stem, "expected": case.expected, "verdict": r.verdict, "by": r.decided_by,
                         "statement": r.statement, "named": r.named_speakers, "candidates": r.candidates})
    return rows, contexts, topics


def with_moment_model(assistant: Assistant, rows: list[dict]) -> None:
    """Each candidate's similarity to the claim (its sentence's, and the better of that and its window's) by the
    moment model instead."""
    for r in rows:
        if r["candidates"]:
            similarities(assistant.moment_embedder.embed, r["statement"], r["candidates"])


def verdicts(rows: list[dict], config: ClaimConfig, contexts: dict, topics: dict) -> list[str]:
    out = []
    for r in rows:
        if r["by"] in ("language", "retrieval") or not r["candidates"]:
            out.append(r["verdict"])
            continue
        judge_offline(r["statement"], r["candidates"], config, lambda ep, t: contexts.get((ep, t), ""),
                      lambda ep: topics.get(ep, ""))
        out.append(decide(r["named"], r["candidates"], config.contradiction_margin).verdict)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--threshold", action="append", default=[], help="NAME:v1,v2,... (default: the built-in grids)")
    parser.add_argument("--moment-model", action="store_true", help="Judge with the moment model's similarities.")
    args = parser.parse_args()
    assistant = Assistant(Settings(index=args.index))
    if args.corpus:
        assistant.ingest(args.corpus)
    rows, contexts, topics = record(assistant)
    if args.moment_model:
        with_moment_model(assistant, rows)
    grids = {k: [float(x) for x in v.split(",")] for k, v in (t.split(":") for t in args.threshold)} or GRIDS
    base = ClaimConfig()
    sets = defaultdict(list)
    for i, r in enumerate(rows):
        sets[r["set"]].append(i)

    def accuracy(v: list[str], idx) -> float:
        return sum(v[i] == rows[i]["expected"] for i in idx) / len(idx)

    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    folds = [order[k::5] for k in range(5)]
    for name, values in grids.items():
        curve = {x: verdicts(rows, dataclasses.replace(base, **{name: x}), contexts, topics) for x in values}
        print(f"\n{name} (default {getattr(base, name)}): accuracy on {len(rows)} dev claims")
        for x, v in curve.items():
            print(f"  {x:5.2f}  all {accuracy(v, range(len(rows))):.3f}  "
                  + "  ".join(f"{s} {accuracy(v, ix):.3f}" for s, ix in sets.items()))
        held = []
        for k, fold in enumerate(folds):
            train = [i for j, f in enumerate(folds) if j != k for i in f]
            best = max(values, key=lambda x: (accuracy(curve[x], train), -abs(x - getattr(base, name))))
            held.append(accuracy(curve[best], fold))
            print(f"  fold {k}: chosen {best:.2f}, held-out {held[-1]:.3f}")
        print(f"  cross-validated accuracy {sum(held) / len(held):.3f}")

    keys = list(JOINT)
    joint = {vals: verdicts(rows, dataclasses.replace(base, **dict(zip(keys, vals))), contexts, topics)
             for vals in itertools.product(*JOINT.values())}
    print(f"\n{', '.join(keys)} chosen together ({len(joint)} combinations)")
    right = defaultdict(int)
    held = []
    for k, fold in enumerate(folds):
        train = [i for j, f in enumerate(folds) if j != k for i in f]
        best = max(joint, key=lambda x: accuracy(joint[x], train))
        held.append(accuracy(joint[best], fold))
        for i in fold:
            right[rows[i]["set"]] += joint[best][i] == rows[i]["expected"]
        print(f"  fold {k}: chosen {dict(zip(keys, best))}, held-out {held[-1]:.3f}")
    print(f"  cross-validated accuracy {sum(held) / len(held):.3f}; held out per set: "
          + ", ".join(f"{s} {right[s]}/{len(ix)}" for s, ix in sets.items()))


if __name__ == "__main__":
    main()
