"""`ask` latency over an existing index (a script, not a test): this checkout, and optionally a baseline checkout,
each in a fresh process over the same index and embedding cache, the benchmark questions asked once each.

For a large catalogue: `python -m tools.synthetic --episodes 1000 --out /tmp/scale/corpus`, then
`PODRAG_INDEX=/tmp/scale/index PODRAG_RERANK=false podcast-rag ingest /tmp/scale/corpus` (with a cache that holds the
real corpus's sentences, as after `make demo` or the test suite), then
`python eval/bench_ask.py --index /tmp/scale/index --cache ~/.cache/podcast-rag --baseline CHECKOUT`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(index: Path, cache: Path) -> dict:
    """In this process: a first question (lazy loading), then every benchmark question once, timed."""
    from rag.assistant import Assistant
    from rag.settings import Settings
    from tools.bench_report import median, p95
    from tools.questions import QUESTIONS

    a = Assistant(Settings(index=index, cache=cache, _env_file=None, rerank=True))
    a.ask("A first question, so that lazy loading is not timed below.")
    times = []
    for q in QUESTIONS:
        t0 = time.perf_counter()
        a.ask(q)
        times.append((time.perf_counter() - t0) * 1000)
    return {"episodes": len(a.episodes()), "questions": len(times), "p50_ms": round(median(times)),
            "p95_ms": round(p95(times)), "max_ms": round(max(times))}


def run(checkout: Path, index: Path, cache: Path) -> dict:
    cmd = [sys.executable, __file__, "--run", "--index", str(index), "--cache", str(cache)]
    env = {**os.environ, "PYTHONPATH": f"{checkout}{os.pathsep}{ROOT}"}  # the checkout's rag, this one's tools
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{checkout}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, help="another checkout to time over the same index")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(measure(args.index, args.cache)))
        return 0
    rows = [("this checkout", run(ROOT, args.index, args.cache))]
    if args.baseline:
        rows.insert(0, ("baseline", run(args.baseline.resolve(), args.index, args.cache)))
    print(f"`python eval/bench_ask.py {' '.join(argv if argv is not None else sys.argv[1:])}`, "
          f"load {os.getloadavg()[0]:.1f} at the end\n")
    print("| checkout | episodes | questions | ask p50 | p95 | max |\n| --- | --- | --- | --- | --- | --- |")
    for name, r in rows:
        print(f"| {name} | {r['episodes']:,} | {r['questions']} | {r['p50_ms']} ms | {r['p95_ms']} ms "
              f"| {r['max_ms']} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
