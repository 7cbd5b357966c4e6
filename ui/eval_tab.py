"""The Evaluate tab: run golden sets through chosen configurations on the library's episodes and show the summary
table, the per-dataset tables, the plots and the full report. All the work is rag.evaluation's; this only wires it.

`build(assistant)` adds the "Evaluate" tab to the current `gr.Blocks` (ui/app.py calls it inside its `gr.Tabs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from rag.errors import EmptyLibraryError, PodragError
from rag.evaluation import evaluate, library_corpus
from rag.evaluation.configs import CONFIGS
from rag.evaluation.report import answerable_datasets, scores_table, summary_table, verdict
from rag.scratch import run_folder

TITLE = "Evaluate"
DEFAULT_CONFIGS = ["hybrid", "llamaindex"]
DEFAULT_LIMIT = 20


def dataset_choices(folder: Path) -> list[str]:
    return [p.stem for p in sorted(folder.glob("*.jsonl"))]


@dataclass
class EvalTab:
    """The golden sets to choose from, read when the page loads: their names are episode ids."""

    folder: Path
    datasets: gr.Dropdown
    inputs = None

    @property
    def outputs(self) -> list:
        return [self.datasets]

    def refresh(self):
        choices = dataset_choices(self.folder)
        return gr.Dropdown(choices=choices, value=[c for c in choices if c.endswith("459")][:1] or choices[:1])


def run_evaluation(assistant, datasets: list[str], configs: list[str], limit: float | None,
                   progress=None) -> tuple[str, list[tuple[str, str]], list[str]]:
    """(Markdown of the results, gallery of (plot, caption), report files) for the UI; errors as Markdown."""
    settings = assistant.settings
    try:
        assistant.require_episodes()
    except EmptyLibraryError as exc:
        return str(exc), [], []
    corpus = library_corpus([r.files for r in assistant.episodes()])
    if not corpus:  # each configuration indexes the episodes anew, from their files
        return ("The indexed episodes' source files are no longer on disk, and the evaluation indexes them anew for "
                "each configuration: add the episodes again (Library tab or `podcast-rag ingest`)."), [], []
    if not configs:
        return "Choose at least one configuration.", [], []
    folder = run_folder("eval")
    n = int(limit) if limit else None

    def tick(done: int, total: int, label: str) -> None:
        if progress is not None:
            progress((done, total or None), desc=label)

    try:
        run, files = evaluate(settings, datasets or [], configs, corpus, folder, embedder=assistant.embedder,
                              limit=n, progress=tick,
                              command=f"podcast-rag eval (UI) --configs {','.join(configs)}"
                                      + "".join(f" --dataset {d}" for d in datasets or [])
                                      + (f" --limit {n}" if n else ""))
    except PodragError as exc:
        return f"**Error:** {exc}", [], []
    parts = [f"Evaluated {len(run.results)} question runs in {run.wall_seconds:.0f} s on "
             f"{', '.join(p.name for p in corpus)}.", ""]
    v = verdict(run)
    if v:
        parts += [v, ""]
    parts += ["### Summary", "", summary_table(run), ""]
    for name in answerable_datasets(run):
        parts += [f"### {name}", "", scores_table(run, name), ""]
    gallery = [(str(p), p.stem) for p in files.plots]
    return "\n".join(parts), gallery, [str(files.html), str(files.markdown)]


def build(assistant) -> EvalTab:
    """Add the "Evaluate" tab, with its controls and outputs, to the current gr.Blocks."""
    folder = assistant.settings.eval_datasets
    with gr.Tab(TITLE, id="evaluate"):
        gr.Markdown("Score retrieval and answers on the golden question sets, configuration by configuration, over "
                    "the episodes in your library. Each configuration builds its own index once (cached).")
        with gr.Row():
            datasets = gr.Dropdown([], value=[], multiselect=True, label="Datasets", info=f"from {folder}")
            configs = gr.Dropdown(list(CONFIGS), value=[c for c in DEFAULT_CONFIGS if c in CONFIGS],
                                  multiselect=True, label="Configurations")
            limit = gr.Number(DEFAULT_LIMIT, precision=0, minimum=1, label="Questions per set (empty: all)")
        run = gr.Button("Run evaluation", variant="primary")
        results = gr.Markdown(elem_id="eval-results")
        plots = gr.Gallery(label="Plots", columns=2, height=460, object_fit="contain")
        report = gr.File(label="Full report (HTML, Markdown)", file_count="multiple")

    def on_run(ds, cs, n, progress=gr.Progress()):  # noqa: B008 (Gradio injects the tracker this way)
        return run_evaluation(assistant, ds, cs, n, progress)

    run.click(on_run, [datasets, configs, limit], [results, plots, report], concurrency_limit=1)  # CPU-bound
    return EvalTab(folder, datasets)
