"""Scale benchmark (a script, not a test): ingest and query at 3, 100 and 1,000 episodes, embedded and server.

    python eval/bench.py --episodes 3,100,1000 --store embedded,server --cold 3,30 --write BENCHMARKS.md

3 episodes are the real shared corpus; larger sizes are synthetic episodes made of its chapters (tools/synthetic.py),
written under --workdir (outside the repo), so only the real corpus's ~900 distinct passages ever need embedding.
Each measurement runs in a fresh process (peak memory is that process's own); a server run starts its own
`chroma run` on 127.0.0.1 and counts its memory and disk too. What is measured, per size and store:

- first ingest: passages/s, and against the embedding model's own rate on the same distinct texts (cold cache
  runs, sizes in --cold); a warm-cache ingest otherwise (embeddings from the cache, as a re-chunked or re-indexed
  catalogue would have them);
- re-ingest of the unchanged corpus, as a fraction of the first ingest;
- BM25 rebuild time, peak memory, index size on disk;
- search latency p50/p95 for new questions (query embedding included), for the same questions again (retrieval
  alone: the query vector cached), with an episode filter and a speaker filter (all without the reranker); and
  `ask` p50/p95 with the reranker, as the app runs by default.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.settings import Settings  # noqa: E402
from tools.bench_report import median, p95, write_section  # noqa: E402
from tools.memory import peak_rss_mb  # noqa: E402
from tools.questions import QUESTIONS  # noqa: E402

REAL = [ROOT.parent / "shared" / "corpus", ROOT / "data" / "episodes"]
MARK_START, MARK_END = "<!-- bench:start -->", "<!-- bench:end -->"


# -- one measurement, in its own process ------------------------------------------------------------------------


def _percentiles(samples: list[float]) -> dict[str, float]:
    return {"p50": round(median(samples) * 1000, 1), "p95": round(p95(samples) * 1000, 1)}


def _timed(fn, *args, **kwargs) -> float:
    t = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t


def _du(*paths: Path) -> int:
    return sum(f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file())


def _chunks(corpus: list[Path]) -> Iterator:
    """Every chunk of the corpus, as ingest makes them, one episode at a time (a measured run holds none)."""
    from rag.chunking import ChunkingConfig, chunk_episode
    from rag.sources import discover, load_episode

    for src in discover(corpus)[0]:
        yield from chunk_episode(load_episode(src), ChunkingConfig())


def _distinct_texts(chunks: Iterable) -> list[str]:
    """The texts ingest embeds, each once."""
    from rag.chunking import embedding_text

    return list(dict.fromkeys(embedding_text(c) for c in chunks))


def _distinct_sentences(chunks: Iterable) -> list[str]:
    """The sentences the reranker and the answerer embed (split as they split them), each once."""
    return list(dict.fromkeys(s for c in chunks for s, _ in c.sentences()))


def _model_alone(model, texts: list[str], batch: int) -> float:
    return _timed(lambda: [model.embed(texts[i : i + batch]) for i in range(0, len(texts), batch)])


def run_one(episodes: int, store: str, corpus: list[Path], cache: Path | None, workdir: Path) -> dict:
    """Ingest `corpus` into a fresh index and time everything; `cache` None means a cold (empty) cache."""
    from rag.assistant import Assistant
    from rag.embedding import SentenceTransformerEmbedder
    from rag.models import Filters

    workdir.mkdir(parents=True)
    run_cache = workdir / "cache"
    run_cache.mkdir()
    if cache is not None:
        shutil.copy(cache, run_cache / "embeddings.sqlite")  # a private copy: each run's questions are new to it
    server = None
    # Retrieval is timed without the reranker (the store and fusion alone); `ask` below turns it on, as the app does.
    settings = dict(index=workdir / "index", cache=run_cache, _env_file=None, rerank=False)
    if store == "server":
        from tools.chroma_server import ChromaServer

        server = ChromaServer(workdir / "chroma-server").start()
        settings["chroma_url"] = server.url
    try:
        a = Assistant(Settings(**settings))
        result: dict = {"episodes": episodes, "store": store, "cold": cache is None}
        model: SentenceTransformerEmbedder = a.embedder.inner  # type: ignore[assignment]
        texts: list[str] = []
        if cache is None:  # (a warm ingest never loads the model: every vector comes from the cache)
            result["model_load_s"] = round(_timed(model.embed, ["warm up"]), 1)
            texts = _distinct_texts(_chunks(corpus))
            before = _model_alone(model, texts, a.settings.embed_batch_size)

        report = a.ingest(corpus)
        assert report.ok, report.failed[:3]
        if cache is None:
            # Timed before and after the ingest, in the ingest's batches; the faster one counts (a conservative
            # ratio: other load on the machine only ever slows a run down).
            after = _model_alone(model, texts, a.settings.embed_batch_size)
            seconds = min(before, after)
            result["embed_only"] = {"texts": len(texts), "s": round(seconds, 1),
                                    "per_s": round(len(texts) / seconds, 1),
                                    "runs_s": [round(before, 1), round(after, 1)]}
        result["ingest"] = {"s": round(report.seconds, 1), "chunks": report.chunks, "embedded": report.embedded,
                            "per_s": round(report.chunks / report.seconds, 1),
                            "embed_s": round(report.embed_seconds, 1)}
        result["ingest_peak_rss_mb"] = peak_rss_mb()
        again = a.ingest(corpus)
        result["reingest"] = {"s": round(again.seconds, 3), "ratio": round(again.seconds / report.seconds, 4)}
        result["bm25_rebuild_s"] = round(_timed(a.lexical.rebuild), 1)

        a.ask("A first question, so that lazy loading is not timed below.")
        first = [_timed(a.search, q, 10) for q in QUESTIONS]
        cached = [_timed(a.search, q, 10) for q in QUESTIONS]
        some_episode = sorted(r.id for r in a.episodes())[len(a.episodes()) // 2]
        by_episode = [_timed(a.search, q, 10, Filters(episode_ids=(some_episode,))) for q in QUESTIONS]
        by_speaker = [_timed(a.search, q, 10, Filters(speaker="Dylan Patel")) for q in QUESTIONS]
        # `ask` as the app runs it by default: passages ranked by moment (sentence vectors come from the cache,
        # filled at ingest).
        a.settings.rerank = True
        a.__dict__.pop("retriever", None)
        asked = [_timed(a.ask, q) for q in QUESTIONS]
        result["search_new"] = _percentiles(first)
        result["search_cached"] = _percentiles(cached)
        result["search_episode_filter"] = _percentiles(by_episode)
        result["search_speaker_filter"] = _percentiles(by_speaker)
        result["ask"] = _percentiles(asked)
        result["peak_rss_mb"] = peak_rss_mb()
        result["disk_mb"] = round(_du(workdir / "index", workdir / "chroma-server", run_cache / "bm25") / 1e6, 1)
        if server is not None:
            result["server_peak_rss_mb"] = peak_rss_mb(server.proc.pid)
        return result
    finally:
        if server is not None:
            server.stop()


# -- the whole benchmark --------------------------------------------------------------------------------------


def machine() -> dict:
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "load_before": os.getloadavg()[0]}


def corpus_for(n: int, workdir: Path) -> list[Path]:
    if n == 3:
        return REAL
    from tools.synthetic import write_corpus

    out = workdir / f"synthetic-{n}"
    if not (out / "SYNTHETIC.md").exists():
        write_corpus(out, n, REAL)
    return [out]


def warm_cache(path: Path, corpus: list[Path]) -> None:
    """Every chunk text and every sentence of the real corpus, embedded once: the warm runs time everything else."""
    from rag.embedding import CachedEmbedder, EmbeddingCache, SentenceTransformerEmbedder

    embedder = CachedEmbedder(SentenceTransformerEmbedder(), EmbeddingCache(path))
    chunks = list(_chunks(corpus))
    embedder.embed(_distinct_texts(chunks))
    embedder.embed(_distinct_sentences(chunks))


def spawn(n: int, store: str, corpus: list[Path], cache: Path | None, workdir: Path) -> dict:
    cmd = [sys.executable, __file__, "--run", str(n), "--store", store, "--workdir", str(workdir),
           "--corpus", *map(str, corpus)] + (["--cache", str(cache)] if cache else [])
    print(f"· {n} episodes, {store}, {'cold' if cache is None else 'warm'} cache ...", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"})
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({' '.join(cmd)}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {json.dumps(result)}", file=sys.stderr, flush=True)
    shutil.rmtree(workdir, ignore_errors=True)  # the index of 1,000 episodes takes gigabytes; its size is noted
    return result


def table(results: list[dict], info: dict, command: str) -> str:
    rows = [
        "| episodes | store | cache | passages | ingest | passages/s | model alone | ingest ÷ model | re-ingest "
        "(share of first) | BM25 rebuild | search p50 / p95 (new question) | search p50 / p95 (retrieval) "
        "| episode filter p50 | speaker filter p50 | ask p50 / p95 (reranked) | peak memory (ingest / all) | on disk |",
        "|" + "---|" * 17,
    ]
    for r in results:
        eo = r.get("embed_only")
        ing = r["ingest"]
        model = f"{eo['s']} s ({eo['per_s']}/s, {eo['texts']} texts)" if eo else "–"
        ratio = f"{ing['s'] / eo['s']:.2f}×" if eo else "–"
        mem = f"{r['ingest_peak_rss_mb']} / {r['peak_rss_mb']} MB" + (
            f" + server {r['server_peak_rss_mb']} MB" if "server_peak_rss_mb" in r else "")
        rows.append(
            f"| {r['episodes']} | {r['store']} | {'cold' if r['cold'] else 'warm'} | {ing['chunks']:,} | {ing['s']} s "
            f"| {ing['per_s']} | {model} | {ratio} | {_seconds(r['reingest']['s'])} "
            f"({r['reingest']['ratio'] * 100:.1f}%) "
            f"| {r['bm25_rebuild_s']} s | {r['search_new']['p50']} / {r['search_new']['p95']} ms "
            f"| {r['search_cached']['p50']} / {r['search_cached']['p95']} ms | {r['search_episode_filter']['p50']} ms "
            f"| {r['search_speaker_filter']['p50']} ms | {r['ask']['p50']} / {r['ask']['p95']} ms | {mem} "
            f"| {r['disk_mb']} MB |"
        )
    head = (f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {info['cores']} cores ({info['cpu']}), "
            f"{info['memory_gb']} GB memory, Python {info['python']}; load average {info['load_before']:.1f} before, "
            f"{info['load_after']:.1f} after (a load above the core count means other work shared the machine and "
            f"the times are inflated).\n\nCommand: `{command}`\n")
    return head + "\n" + "\n".join(rows) + "\n"


def _seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--episodes", default="3,100,1000", help="sizes, comma-separated (3 = the real corpus)")
    p.add_argument("--store", default="embedded,server", help="embedded, server, or both")
    p.add_argument("--cold", default="3,30", help="sizes also measured with an empty embedding cache (embedded)")
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "podrag-bench")
    p.add_argument("--write", type=Path, help="put the results table into this Markdown file (e.g. BENCHMARKS.md)")
    p.add_argument("--run", type=int, help=argparse.SUPPRESS)
    p.add_argument("--corpus", type=Path, nargs="*", help=argparse.SUPPRESS)
    p.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.run is not None:  # one measurement, in this fresh process
        print(json.dumps(run_one(args.run, args.store, args.corpus, args.cache, args.workdir)))
        return 0

    if not REAL[0].exists():
        raise SystemExit(f"the shared corpus is needed at {REAL[0]}")
    work = args.workdir.resolve()
    if work == ROOT or ROOT in work.parents:
        raise SystemExit("--workdir must be outside the repository")
    sizes = [int(x) for x in args.episodes.split(",") if x]
    cold = [int(x) for x in args.cold.split(",") if x]
    stores = [s for s in args.store.split(",") if s]
    info = machine()
    runs = work / time.strftime("runs-%Y%m%d-%H%M%S")
    warm = work / "warm-cache.sqlite"
    results = []
    for n in cold:
        results.append(spawn(n, "embedded", corpus_for(n, work), None, runs / f"{n}-cold"))
    print("· warming the embedding cache ...", file=sys.stderr, flush=True)
    warm_cache(warm, REAL)
    for n in sizes:
        for store in stores:
            results.append(spawn(n, store, corpus_for(n, work), warm, runs / f"{n}-{store}"))
    info["load_after"] = os.getloadavg()[0]
    command = "python eval/bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = table(results, info, command)
    (runs / "results.json").write_text(json.dumps({"machine": info, "results": results}, indent=1))
    print(text)
    if args.write:
        write_section(args.write, text, MARK_START, MARK_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
