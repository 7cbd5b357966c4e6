"""`podcast-rag serve`: how the app may be exposed, checked on the real command before anything is loaded."""

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.caches import TEST_CACHE
from tests.conftest import write_tiny_corpus
from tools.net import free_port

pytestmark = pytest.mark.slow


def serve(*args, env_extra=None):
    env = {**os.environ, "PODRAG_CACHE": str(TEST_CACHE), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "rag.cli", "--index", "idx", "serve", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_an_open_address_without_a_password_is_refused(tmp_path):
    proc = serve("--host", "0.0.0.0", "--port", "1")
    assert proc.returncode == 1
    assert "error: refusing to serve on 0.0.0.0 without a password" in proc.stderr
    assert "Running on" not in proc.stdout


def test_a_malformed_password_is_a_one_line_error(tmp_path):
    proc = serve("--host", "0.0.0.0", "--port", "1", env_extra={"PODRAG_AUTH": "no-colon"})
    assert proc.returncode == 1 and "expected user:password" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_a_port_in_use_is_a_one_line_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = serve("--port", str(port))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: cannot serve on 127.0.0.1:{port}: Address already in use (another server is probably using it; "
        "choose another with --port or PODRAG_PORT)"]


def test_with_auth_nothing_about_the_index_reaches_an_anonymous_visitor(tmp_path):
    """The login page, and every endpoint a visitor can reach without logging in, carry no episode id, title,
    guest or speaker (Gradio embeds its API description, dropdown choices included, in the login page)."""
    env = {**os.environ, "PODRAG_CACHE": str(TEST_CACHE)}
    corpus = write_tiny_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    subprocess.run([sys.executable, "-m", "rag.cli", "--index", str(index), "ingest", "-q", str(corpus)], env=env,
                   check=True, capture_output=True, timeout=300)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "--index", str(index), "serve", "--port", str(port),
                             "--auth", "lex:correct-horse"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # wait until it serves
            if "is serving on" in line:
                break
        else:
            raise AssertionError(f"serve exited with {proc.wait()}")
        secrets = ["tiny-459", "tiny-500", "Tiny DeepSeek talk", "Bread", "Dylan Patel", "Nathan Lambert",
                   "Ana Silva", "Lex Fridman"]
        base = f"http://127.0.0.1:{port}"
        seen = {}
        for path in ["/", "/?view=api", "/config", "/info", "/gradio_api/info", "/gradio_api/openapi.json",
                     "/openapi.json", "/manifest.json", "/gradio_api/queue/status", "/login_check", "/theme.css"]:
            try:
                with urllib.request.urlopen(base + path, timeout=30) as r:
                    body = r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", "replace")
            seen[path] = [s for s in secrets if s in body]
        assert seen == {path: [] for path in seen}
        login_page = urllib.request.urlopen(base + "/", timeout=30).read().decode()
        assert '"auth_required":true' in login_page.replace(" ", "")  # it is the login page that was checked
    finally:
        proc.terminate()
        proc.wait(timeout=30)
