"""Helpers for tests that drive the app in Debian's Chromium through Playwright (nothing downloads a browser)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.net import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@contextmanager
def serve(assistant, **kwargs) -> Iterator[str]:
    """The app over `assistant` on a free loopback port, for the duration of the block; yields its URL."""
    from ui.app import launch

    port = free_port()
    demo = launch(assistant, port=port, block=False, **kwargs)
    try:
        assert demo.server_name == "127.0.0.1"  # the default bind is loopback only
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@contextmanager
def chromium(user_data_dir: Path, width: int = 1280, height: int = 720):
    """A fresh headless Chromium context (its own profile folder)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: run `make chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
