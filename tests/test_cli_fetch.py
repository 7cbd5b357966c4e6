"""`podcast-rag add` and `sync` as a user runs them: a real process, a real 127.0.0.1 server, what is printed where,
and the exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.caches import TEST_CACHE
from tests.conftest import ROOT
from tests.fetch_data import episode, rss, vtt
from tests.fetch_server import FetchServer

pytestmark = pytest.mark.slow


def run(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODRAG_")}
    env |= {"PODRAG_CACHE": str(TEST_CACHE), "PODRAG_INDEX": str(tmp_path / "data" / "index"),
            "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=600)


def test_add_a_feed_then_sync_it(tmp_path):
    with FetchServer() as server:
        for n, topic in ((1, "pretzels"), (2, "bagels")):
            server.file(f"/{n}.vtt", vtt(episode(topic)), "text/vtt")
        items = [{"guid": f"g{n}", "title": f"Episode {n}", "number": n, "date": f"Tue, 0{n} May 2026 10:00:00 GMT",
                  "transcripts": [(server.url(f"/{n}.vtt"), "text/vtt")]} for n in (1, 2)]
        feed = server.file("/feed.xml", rss(items[:1]))
        first = run(tmp_path, "add", feed, "-q")
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("new       bread-talk-1 · Episode 1 · transcript: vtt (feed, ")
        assert first.stderr.strip() == "1 episodes added (1 new, 0 updated, 0 unchanged), 0 failed"

        server.file("/feed.xml", rss(items))
        synced = run(tmp_path, "sync", "--json")
        assert synced.returncode == 0, synced.stderr
        out = json.loads(synced.stdout)
        assert out["feeds"] == 1 and {(a["episode_id"], a["status"]) for a in out["added"]} == {
            ("bread-talk-1", "unchanged"), ("bread-talk-2", "new")}

        listed = tmp_path / "sources.txt"
        listed.write_text(f"# my shows\n{feed}   # the bread one\n\n{server.url('/missing.vtt')}\n")
        mixed = run(tmp_path, "add", "--from", str(listed), "--latest", "2", "-q")
    assert mixed.returncode == 1
    assert mixed.stderr.count("error:") == 1 and "missing.vtt: HTTP 404 Not Found" in mixed.stderr
    assert "2 episodes added (0 new, 0 updated, 2 unchanged), 1 failed" in mixed.stderr

    episodes = json.loads(run(tmp_path, "episodes", "--json").stdout)
    assert {e["id"] for e in episodes} == {"bread-talk-1", "bread-talk-2"}


def test_usage_errors_and_an_empty_sync(tmp_path):
    nothing = run(tmp_path, "add")
    assert nothing.returncode == 2 and "give a SOURCE" in nothing.stderr
    both = run(tmp_path, "add", "feed.xml", "--latest", "2", "--episode", "3")
    assert both.returncode == 2 and "--episode and --latest exclude each other" in both.stderr
    empty = run(tmp_path, "sync")
    assert empty.returncode == 0 and "no feeds to sync: add one with `podcast-rag add FEED_URL`" in empty.stderr


def test_no_network_is_one_line(tmp_path):
    proc = run(tmp_path, "add", "-q", "http://127.0.0.1:9/a-transcript", "http://127.0.0.1:9/b-transcript")
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no network (http://127.0.0.1:9/a-transcript: cannot connect")
    assert "podcast-rag add URL" in lines[0]
