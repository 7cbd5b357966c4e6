"""What the moment model costs (a script, not a test): ingest and `ask` with PODRAG_MOMENT_MODEL on and off.

    python eval/bench_moment_model.py --corpus data/episodes --corpus ../shared/corpus --write BENCHMARKS.md

Each setting runs in a fresh process with an empty index and an empty embedding cache (a cold ingest: every passage
and sentence embedded, the ONNX exports excepted: they are made once, by `make install`, into --models and copied in).
Then the development questions are asked once each (new questions: both query vectors computed), after one
question that loads the models; p50 / p95 of `ask`, the first question's time and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.bench_report import median, p95, write_section  # noqa: E402

DEV = ("lex-fridman-459", "lex-fridman-491", "lex-fridman-494")
START, END = "<!-- bench_moment_model:start -->", "<!-- bench_moment_model:end -->"


def measure(corpus: list[Path], models: Path, moment_model: str) -> dict:
    from rag.assistant import Assistant
    from rag.settings import Settings
    from tools.memory import peak_rss_mb

    with tempfile.TemporaryDirectory(prefix="bench-moment-") as tmp:
        cache = Path(tmp) / "cache"
        for folder in ("onnx", "models"):  # the exports and the extracted model, as `make install` leaves them
            if (models / folder).exists():
                shutil.copytree(models / folder, cache / folder)
        a = Assistant(Settings(index=Path(tmp) / "index", cache=cache, _env_file=None, moment_model=moment_model))
        t0 = time.perf_counter()
        report = a.ingest(corpus)
        ingest = time.perf_counter() - t0
        assert report.ok, report.failed[:3]
        questions = [json.loads(line)["question"] for d in DEV
                     for line in (ROOT / "eval" / "datasets" / f"{d}.jsonl").open()]
        t0 = time.perf_counter()
        a.ask("A first question, so that loading the models is timed apart.")
        first = time.perf_counter() - t0
        times = []
        for q in questions:
            t0 = time.perf_counter()
            a.ask(q)
            times.append((time.perf_counter() - t0) * 1000)
        return {"moment_model": moment_model, "ingest_s": round(ingest, 1), "first_s": round(first, 2),
                "questions": len(times), "p50_ms": round(median(times), 1), "p95_ms": round(p95(times), 1),
                "peak_mb": round(peak_rss_mb())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True)
    parser.add_argument("--models", type=Path, help="cache folder holding the ONNX exports (default: $PODRAG_CACHE)")
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.models is None:
        from rag.settings import Settings

        args.models = Settings().cache
    if args.run:
        print(json.dumps(measure(args.corpus, args.models, args.run)))
        return 0
    rows = []
    for setting in ("none", "all-mpnet-base-v2"):
        cmd = [sys.executable, __file__, "--run", setting, "--models", str(args.models),
               *[x for c in args.corpus for x in ("--corpus", str(c))]]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if done.returncode:
            raise SystemExit(done.stderr[-2000:])
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    off, on = rows
    lines = [f"`python eval/bench_moment_model.py {' '.join(f'--corpus {c}' for c in args.corpus)}` (cold cache, "
             "fresh process each)", "",
             "| PODRAG_MOMENT_MODEL | ingest | first question after it | ask p50 / p95 (new questions) | peak memory |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| `{r['moment_model']}` | {r['ingest_s']} s | {r['first_s']} s | {r['p50_ms']} / "
                     f"{r['p95_ms']} ms ({r['questions']}) | {r['peak_mb']} MB |")
    lines += ["", f"Ratios on ÷ off: ingest {on['ingest_s'] / off['ingest_s']:.2f}×, ask p50 "
                  f"{on['p50_ms'] / off['p50_ms']:.2f}×, p95 {on['p95_ms'] / off['p95_ms']:.2f}×, peak memory "
                  f"{on['peak_mb'] / off['peak_mb']:.2f}×.", ""]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(args.write, text, START, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
