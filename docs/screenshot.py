"""Screenshot of the chat tab with a cited answer and its source open, for the README (`make screenshot`).

Serves the app over the configured index (PODRAG_INDEX, default data/index) on a free loopback port, asks a
question in headless Chromium, opens the first source and saves the page. Run from the repository root with
PYTHONPATH=. (the Makefile does).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from rag.assistant import Assistant
from tests.browser import CHROMIUM, CHROMIUM_ARGS, serve

QUESTION = "How many GPUs does SemiAnalysis think DeepSeek has?"


def main(out: Path, question: str = QUESTION, source: int = 0) -> None:
    assistant = Assistant()
    if not assistant.episodes():
        sys.exit(f"the index at {assistant.settings.index} is empty: run `make ingest` first")
    with serve(assistant) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
        page.set_default_timeout(120_000)
        page.goto(url)
        page.fill("#question textarea", question)
        page.keyboard.press("Enter")
        page.wait_for_selector("#chat .answer-meta")
        page.locator("#chat a.cite-chip").nth(source).click()
        page.wait_for_selector("#source-panel .src-turns")
        # the question at the top of the chat, the answer and its chips below it
        page.evaluate("document.querySelector('#chat [data-testid=user]').scrollIntoView({block: 'start'})")
        page.evaluate("window.scrollTo(0, 0)")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()
    print(f"saved {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot-chat.png"))
