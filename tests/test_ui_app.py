"""`podcast-rag serve`: how the app may be exposed, checked on the real command before anything is loaded."""

import os
import subprocess
import sys

import pytest

from tests.conftest import TEST_CACHE

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
