"""The Evaluate tab: its handler on the tiny library, and the tab driven in headless Chromium."""

import json

import pytest

from tests.test_eval_runner import QUESTIONS
from tools.net import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def eval_assistant(tiny_assistant, tmp_path):
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "tiny-459.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS))
    tiny_assistant.settings.eval_datasets = sets
    tiny_assistant.settings.cache = tmp_path / "cache"  # the eval's indexes; the loaded embedder keeps its cache
    return tiny_assistant


def test_handler_runs_on_the_library_and_returns_tables_plots_and_report(eval_assistant):
    from ui.eval_tab import run_evaluation

    text, gallery, files = run_evaluation(eval_assistant, ["tiny-459"], ["bm25"], 2)
    assert "| tiny-459 | `bm25` | 2 | 0.50 |" in text  # hit@1 = 0.5, as computed by hand in test_eval_runner
    assert {caption for _, caption in gallery} >= {"hits-tiny-459", "time-tiny-459", "latency"}
    assert files[0].endswith("report.html")


def test_handler_explains_an_empty_library_and_bad_input(assistant):
    from ui.eval_tab import run_evaluation

    assert "is empty: add episodes first" in run_evaluation(assistant, [], ["hybrid"], 5)[0]


def test_handler_says_when_the_episodes_files_are_gone_not_that_the_library_is_empty(assistant, tmp_path):
    import shutil

    from tests.conftest import write_tiny_corpus
    from ui.eval_tab import run_evaluation

    corpus = write_tiny_corpus(tmp_path / "corpus")
    assistant.ingest([corpus])
    shutil.rmtree(corpus)
    text = run_evaluation(assistant, [], ["hybrid"], 5)[0]
    assert "source files are no longer on disk" in text and "is empty" not in text


def test_handler_reports_unknown_datasets(eval_assistant):
    from ui.eval_tab import run_evaluation

    text, gallery, _ = run_evaluation(eval_assistant, ["nope"], ["bm25"], 2)
    assert text.startswith("**Error:**") and "no such dataset" in text and not gallery


@pytest.mark.browser
def test_evaluate_tab_of_the_app_in_chromium(eval_assistant, tmp_path):
    from playwright.sync_api import sync_playwright

    from ui.app import build

    demo = build(eval_assistant)  # the whole app: the tab is found and placed by ui/app.py
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, share=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab", name="Evaluate").click()
            page.get_by_role("button", name="Run evaluation").click()
            results = page.locator("#eval-results")
            results.locator("table").first.wait_for(timeout=240_000)
            text = results.inner_text()
            assert "tiny-459" in text and "hybrid" in text and "llamaindex" in text
            assert page.locator("img").count() >= 3  # hit@k, time error, latency
            page.screenshot(path=str(tmp_path / "evaluate-tab.png"), full_page=True)
            browser.close()
    finally:
        demo.close()
