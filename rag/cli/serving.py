"""`serve`: the web app."""

from __future__ import annotations

from typing import Annotated

import typer

from rag.cli.base import State, app, fail
from rag.cli.query import chat
from rag.cli.render import err


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 7860).")] = None,
    auth: Annotated[str | None, typer.Option("--auth", help="user:password (or $PODRAG_AUTH).")] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow a non-loopback --host without --auth.")] = False,
) -> None:
    """Start the web app (127.0.0.1 unless --host; another address needs --auth or --insecure)."""
    try:
        from ui.app import launch
    except ImportError:
        err.print("The web app is not installed; starting the terminal chat instead.")
        chat(None)
        return
    try:
        launch(State.assistant(), host=host, port=port, auth=auth, insecure=insecure)
    except OSError as exc:  # the port was taken between the check and the start
        fail(f"cannot serve on {host or 'the configured address'}: {exc}")
