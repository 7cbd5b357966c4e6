"""`podcast-rag`: the command line. It only translates between people (or scripts) and rag.assistant.

One module per command group; each registers its commands on the shared Typer app (`rag.cli.base.app`) when it is
imported below, so adding a group is one new module and one line here. What it prints is rag/cli/render.py's.
"""

from __future__ import annotations

from rag.cli.base import app, main

# Imported for their commands, in the order `--help` lists them.
from rag.cli import library, fetching, query, checks, evaluate, maintenance, serving  # noqa: F401

__all__ = ["app", "main"]
