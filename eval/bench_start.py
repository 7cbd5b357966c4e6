"""Start-up and parallel-user benchmark (a script, not a test): this checkout against a baseline checkout.

    python eval/bench_start.py --baseline /tmp/baseline --runs 5 --write BENCHMARKS.md

Both checkouts run the same commands over the same three-episode index (data/episodes + ../shared/corpus), each
with its own copy of one warm embedding cache (every chunk and sentence embedded: the figures are start-up and
query work, not the reranker's first sight of a passage), interleaved run by run so the machine's noise hits both.
What is measured (medians of --runs runs; ratios are baseline / this checkout):

- `podcast-rag --help`, `episodes` and `doctor` (no model needed);
- `podcast-rag ask` and `search` as fresh processes, each run a question neither cache has seen (so the
  embedding model is loaded and run), wall time from the parent;
- `podcast-rag serve` from launch until its HTTP port answers;
- embedding throughput, ONNX vs sentence-transformers (torch), on the same chunk texts and sentences, in batches of
  PODRAG_EMBED_BATCH_SIZE as ingest sends them, each backend in a fresh process of its own; cold ingest against
  the ONNX model's own time on its texts;
- through the running app's HTTP API (gradio_client), with tests/openai_server.py answering in 2 s: one user
  alone, then 10 at once (each user's time over the median alone); 50 extractive users at once (p50/p95); the
  answers given together compared with the same questions asked alone.

The baseline is a plain checkout (e.g. `git worktree add /tmp/baseline <commit>` or `git archive <commit> | tar x`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.bench_report import median, p95, write_section  # noqa: E402
from tools.net import free_port  # noqa: E402
from tools.questions import QUESTIONS  # noqa: E402

CORPUS = [ROOT / "data" / "episodes", ROOT.parent / "shared" / "corpus"]
MARK_START, MARK_END = "<!-- bench-start:start -->", "<!-- bench-start:end -->"
LLM_DELAY = 2.0


class Tree:
    """One checkout and its own index and cache under the work folder."""

    def __init__(self, label: str, root: Path, work: Path):
        self.label, self.root = label, root
        self.index, self.cache = work / f"index-{label}", work / f"cache-{label}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PODRAG_")}
        env.update(PYTHONPATH=str(self.root), PODRAG_INDEX=str(self.index), PODRAG_CACHE=str(self.cache),
                   HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", **extra)
        return env

    def cli(self, *args: str, **env: str) -> tuple[float, subprocess.CompletedProcess]:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=self.root, env=self.env(**env),
                              capture_output=True, text=True, timeout=900)
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"{self.label}: {' '.join(args)} failed: {done.stderr[-500:]}")
        return seconds, done


# -- set-up ------------------------------------------------------------------------------------------------------


def chunk_texts_and_sentences() -> tuple[list[str], list[str]]:
    from rag.chunking import ChunkingConfig, chunk_episode, embedding_text
    from rag.sources import discover, load_episode

    chunks = [c for src in discover(CORPUS)[0] for c in chunk_episode(load_episode(src), ChunkingConfig())]
    texts = list(dict.fromkeys(embedding_text(c) for c in chunks))
    sentences = list(dict.fromkeys(s for c in chunks for s, _ in c.sentences()))
    return texts, sentences


def prepare(trees: list[Tree], work: Path, texts: list[str], sentences: list[str]) -> dict:
    """One warm cache (every chunk and sentence), copied to each tree, and each tree's index ingested from it."""
    from rag.embedding import CachedEmbedder, EmbeddingCache
    from rag.embedding_onnx import BundledEmbedder

    facts: dict = {}
    warm = work / "cache-warm"
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rag.onnx_export", "--cache", str(warm)], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    facts["onnx_export_s"] = round(time.perf_counter() - t0, 1)
    facts["onnx_export_said"] = done.stderr.strip().splitlines()[-1:]
    embedder = CachedEmbedder(BundledEmbedder(warm, True, lambda: None), EmbeddingCache(warm / "embeddings.sqlite"))
    embedder.embed(texts)
    embedder.embed(sentences)
    for tree in trees:
        shutil.rmtree(tree.index, ignore_errors=True)
        shutil.rmtree(tree.cache, ignore_errors=True)
        shutil.copytree(warm, tree.cache)
        tree.cli("ingest", *map(str, CORPUS), "-q")
    return facts


# -- measurements ------------------------------------------------------------------------------------------------


def fresh_processes(trees: list[Tree], runs: int) -> dict:
    out: dict = {t.label: {"ask": [], "search": []} for t in trees}
    for i in range(runs):
        for command, question in (("ask", QUESTIONS[i]), ("search", QUESTIONS[len(QUESTIONS) - 1 - i])):
            for tree in trees:
                seconds, _ = tree.cli(command, question)
                out[tree.label][command].append(seconds)
    return out


def quick_commands(trees: list[Tree], runs: int) -> dict:
    """Commands that need no model: they must stay sub-second."""
    out: dict = {t.label: {"--help": [], "episodes": [], "doctor": []} for t in trees}
    for _ in range(runs):
        for command in ("--help", "episodes", "doctor"):
            for tree in trees:
                out[tree.label][command].append(tree.cli(command)[0])
    return out


def start_server(tree: Tree, **env: str) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    t0 = time.perf_counter()
    log = tree.index.parent / f"serve-{tree.label}.log"
    with open(log, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=tree.root,
                                env=tree.env(**env), stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}/"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{tree.label}: serve exited: {log.read_text()[-500:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return proc, url, time.perf_counter() - t0
        except OSError:
            pass
        if time.perf_counter() - t0 > 300:
            raise RuntimeError(f"{tree.label}: serve did not answer in 300 s")
        time.sleep(0.05)


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve_start(trees: list[Tree], runs: int) -> dict:
    out: dict = {t.label: [] for t in trees}
    for _ in range(runs):
        for tree in trees:
            proc, _, seconds = start_server(tree)
            stop_server(proc)
            out[tree.label].append(seconds)
    return out


def embedding_throughput(texts: list[str], sentences: list[str], runs: int, cache: Path) -> dict:
    """Each run times each backend in a fresh process of its own (alternating), as an ingest would run it: in one
    process, torch's OpenMP threads keep spinning after a call and slowed the ONNX run that followed."""
    from rag.settings import Settings

    batch = Settings(_env_file=None).embed_batch_size
    items = cache.parent / "embed-items.json"
    items.write_text(json.dumps({"chunks": texts, "sentences": sentences}))
    out: dict = {"chunks": len(texts), "sentences": len(sentences), "batch": batch}
    rates: dict[str, dict[str, list[float]]] = {k: {"onnx": [], "torch": []} for k in ("chunks", "sentences")}
    for _ in range(runs):
        for backend in ("onnx", "torch"):
            done = subprocess.run([sys.executable, __file__, "--embed-child", backend, str(items), str(cache)],
                                  capture_output=True, text=True, timeout=1800, cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"embedding with {backend} failed: {done.stderr[-500:]}")
            got = json.loads(done.stdout.strip().splitlines()[-1])
            for kind in rates:
                rates[kind][backend].append(got[kind])
    return out | {f"{kind}_per_s": by_backend for kind, by_backend in rates.items()}


def embed_child(backend: str, items: Path, cache: Path) -> None:
    """One backend's texts per second on the chunks and the sentences (one JSON line on stdout)."""
    from rag.embedding import SentenceTransformerEmbedder
    from rag.embedding_onnx import BundledEmbedder
    from rag.settings import Settings

    batch = Settings(_env_file=None).embed_batch_size
    model = BundledEmbedder(cache, True, lambda: None) if backend == "onnx" else SentenceTransformerEmbedder()
    model.embed(["warm up"])
    got = {}
    for kind, texts in json.loads(items.read_text()).items():
        t0 = time.perf_counter()
        for i in range(0, len(texts), batch):
            model.embed(texts[i : i + batch])
        got[kind] = len(texts) / (time.perf_counter() - t0)
    print(json.dumps(got))


def cold_ingest(texts: list[str], runs: int, work: Path, warm: Path) -> dict:
    """A whole ingest with an empty embedding cache (the ONNX file already there) against the model alone."""
    from rag.assistant import Assistant
    from rag.embedding_onnx import BundledEmbedder
    from rag.settings import Settings

    batch = Settings(_env_file=None).embed_batch_size
    model = BundledEmbedder(warm, True, lambda: None)
    model.embed(["warm up"])
    out: dict = {"ingest_s": [], "model_s": []}
    for i in range(runs):
        cache, index = work / f"cold-cache-{i}", work / f"cold-index-{i}"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(index, ignore_errors=True)
        shutil.copytree(warm / "onnx", cache / "onnx")
        a = Assistant(Settings(index=index, cache=cache, _env_file=None))
        report = a.ingest(CORPUS)
        assert report.ok and report.embedded == len(texts), report.summary_line()
        out["ingest_s"].append(report.seconds)
        t0 = time.perf_counter()
        for j in range(0, len(texts), batch):
            model.embed(texts[j : j + batch])
        out["model_s"].append(time.perf_counter() - t0)
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(index, ignore_errors=True)
    return out


def _ask_http(url: str, question: str, client=None) -> tuple[str, float]:
    from gradio_client import Client

    client = client or Client(url, verbose=False)
    t0 = time.perf_counter()
    messages, _ = client.predict(question, "", "", ["transcript", "summary"], api_name="/respond")
    return messages[-1]["content"][0]["text"], time.perf_counter() - t0


def _together(url: str, questions: list[str]) -> list[tuple[str, float]]:
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in questions]
    barrier = threading.Barrier(len(questions))

    def one(i):
        barrier.wait(120)
        return _ask_http(url, questions[i], clients[i])

    with ThreadPoolExecutor(len(questions)) as pool:
        return list(pool.map(one, range(len(questions))))


def http_users(trees: list[Tree], runs: int, llm_users: int, extractive_users: int) -> dict:
    from tests.openai_server import OpenAIServer, Reply

    out: dict = {}
    with OpenAIServer() as llm:
        llm.responder = lambda request: Reply("They say it in the first source [1].", delay=LLM_DELAY)
        for tree in trees:
            row: dict = {}
            proc, url, _ = start_server(tree, PODRAG_LLM_BASE_URL=llm.base_url, PODRAG_LLM_MODEL="scripted-model",
                                        PODRAG_LLM_RERANK="false")
            try:
                questions = QUESTIONS[:llm_users]
                alone = {q: _ask_http(url, q) for q in questions}
                single = median([s for _, s in alone.values()])
                rounds = [_together(url, questions) for _ in range(runs)]
                row["llm_single_s"] = single
                row["llm_together_max_s"] = [max(s for _, s in r) for r in rounds]
                row["llm_together_p50_s"] = [median([s for _, s in r]) for r in rounds]
                row["llm_same_answers"] = all([h for h, _ in r] == [alone[q][0] for q in questions] for r in rounds)
            finally:
                stop_server(proc)
            proc, url, _ = start_server(tree, PODRAG_ANSWERER="extractive")
            try:
                questions = [QUESTIONS[i % len(QUESTIONS)] + ("" if i < len(QUESTIONS) else " In short?")
                             for i in range(extractive_users)]
                alone = {q: _ask_http(url, q) for q in questions}
                row["extractive_single_s"] = median([s for _, s in alone.values()])
                rounds = [_together(url, questions) for _ in range(max(1, runs // 2))]
                times = [s for r in rounds for _, s in r]
                row["extractive_p50_s"], row["extractive_p95_s"] = median(times), p95(times)
                row["extractive_same_answers"] = all([h for h, _ in r] == [alone[q][0] for q in questions]
                                                     for r in rounds)
            finally:
                stop_server(proc)
            out[tree.label] = row
    return out


# -- report ------------------------------------------------------------------------------------------------------


def report(results: dict, command: str) -> str:
    base, new = results.get("labels", ["baseline", "new"])
    lines = ["", f"Run `{command}` on {results['machine']}; {results['runs']} runs each, medians.", "",
             "| measurement | baseline | this checkout | baseline ÷ this |", "| --- | --- | --- | --- |"]

    def row(name, b, n, unit="s", higher_better=False):
        ratio = (n / b) if higher_better else (b / n)
        lines.append(f"| {name} | {b:.2f} {unit} | {n:.2f} {unit} | {ratio:.2f}× |")

    quick = results.get("quick")
    if quick:
        for command in ("--help", "episodes", "doctor"):
            row(f"`podcast-rag {command}`", median(quick[base][command]), median(quick[new][command]))
    fp = results.get("fresh")
    if fp:
        row("`podcast-rag ask` (fresh process, new question)", median(fp[base]["ask"]), median(fp[new]["ask"]))
        row("`podcast-rag search` (fresh process, new question)", median(fp[base]["search"]),
            median(fp[new]["search"]))
    sv = results.get("serve")
    if sv:
        row("`podcast-rag serve` until HTTP answers", median(sv[base]), median(sv[new]))
    http = results.get("http")
    if http:
        for label in (base, new):
            h = http[label]
            h["llm_ratio"] = median(h["llm_together_max_s"]) / h["llm_single_s"]
        lines.append(f"| 10 users at once, LLM answering in {LLM_DELAY:g} s: slowest user ÷ one user alone | "
                     f"{http[base]['llm_ratio']:.2f}× | {http[new]['llm_ratio']:.2f}× | – |")
        lines.append(f"| 10 users at once: slowest user (one alone) | {median(http[base]['llm_together_max_s']):.2f} s "
                     f"({http[base]['llm_single_s']:.2f} s) | {median(http[new]['llm_together_max_s']):.2f} s "
                     f"({http[new]['llm_single_s']:.2f} s) | – |")
        lines.append(f"| 50 extractive users at once: p50 / p95 (one alone) | {http[base]['extractive_p50_s']:.2f} / "
                     f"{http[base]['extractive_p95_s']:.2f} s ({http[base]['extractive_single_s']:.2f} s) | "
                     f"{http[new]['extractive_p50_s']:.2f} / {http[new]['extractive_p95_s']:.2f} s "
                     f"({http[new]['extractive_single_s']:.2f} s) | – |")
        same = ("llm_same_answers", "extractive_same_answers")
        lines.append(f"| answers given together identical to those asked alone | "
                     f"{'yes' if all(http[base][k] for k in same) else 'NO'} | "
                     f"{'yes' if all(http[new][k] for k in same) else 'NO'} | – |")
    emb = results.get("embedding")
    if emb:
        for kind in ("chunks", "sentences"):
            r = emb[kind + "_per_s"]
            lines.append(f"| embedding {emb[kind]} {kind}, batches of {emb['batch']}: torch vs ONNX | "
                         f"{median(r['torch']):.1f}/s | {median(r['onnx']):.1f}/s | "
                         f"ONNX {median(r['onnx']) / median(r['torch']):.2f}× faster |")
    cold = results.get("cold")
    if cold:
        i, m = median(cold["ingest_s"]), median(cold["model_s"])
        lines.append(f"| cold ingest (ONNX, {len(cold['ingest_s'])} runs) ÷ the model's own time on its texts | – | "
                     f"{i:.1f} s ÷ {m:.1f} s | {i / m:.2f}× |")
    if "onnx_export_s" in results and not any("already there" in line for line in results.get("onnx_export_said", [])):
        lines.append(f"| ONNX export, once per cache (`make install` or first use) | – | "
                     f"{results['onnx_export_s']:.1f} s | – |")
    lines += ["", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="A checkout to compare against.")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/podrag-bench-start"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="quick,fresh,serve,http,embedding,cold",
                        help="Comma-separated: quick, fresh, serve, http, embedding, cold.")
    parser.add_argument("--llm-users", type=int, default=10)
    parser.add_argument("--extractive-users", type=int, default=50)
    parser.add_argument("--embed-texts", type=int, default=300, help="Chunk texts in the throughput runs.")
    parser.add_argument("--embed-sentences", type=int, default=1000, help="Sentences in the throughput runs.")
    parser.add_argument("--cold-runs", type=int, help="Cold ingests (default: --runs); each embeds every chunk.")
    parser.add_argument("--resume", action="store_true",
                        help="Keep the steps already in <workdir>/results.json and run only the missing ones.")
    parser.add_argument("--write", type=Path, help="Put the table into this Markdown file (between markers).")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    trees = [Tree("baseline", args.baseline.resolve(), work), Tree("new", ROOT, work)]
    texts, sentences = chunk_texts_and_sentences()
    results: dict = {"runs": args.runs, "labels": ["baseline", "new"],
                     "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start"}
    saved = work / "results.json"
    if args.resume and saved.exists():
        results = json.loads(saved.read_text())
    else:
        results.update(prepare(trees, work, texts, sentences))
    steps = [("quick", lambda: quick_commands(trees, args.runs)), ("fresh", lambda: fresh_processes(trees, args.runs)),
             ("serve", lambda: serve_start(trees, args.runs)),
             ("http", lambda: http_users(trees, args.runs, args.llm_users, args.extractive_users)),
             ("embedding", lambda: embedding_throughput(texts[: args.embed_texts], sentences[: args.embed_sentences],
                                                        args.runs, work / "cache-warm")),
             ("cold", lambda: cold_ingest(texts, args.cold_runs or args.runs, work, work / "cache-warm"))]
    for name, step in steps:
        if name in only and name not in results:
            t0 = time.perf_counter()
            results[name] = step()
            print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            saved.write_text(json.dumps(results, indent=1))
    results["machine"] += f", {os.getloadavg()[0]:.1f} at the end"
    command = "python eval/bench_start.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(results, command)
    print(text)
    if args.write:
        write_section(args.write, text, MARK_START, MARK_END)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--embed-child"]:  # embedding_throughput's child: BACKEND ITEMS CACHE
        embed_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
