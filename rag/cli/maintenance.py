"""`doctor`: is the index consistent, and repair what an interrupted ingest left."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from rag.cli.base import State, app, fail
from rag.cli.render import print_doctor
from rag.errors import PodragError


@app.command()
def doctor(
    repair: Annotated[bool, typer.Option("--repair", help="Remove orphan chunks and rebuild BM25 if needed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check that the index is consistent: every episode complete, no chunk shared, BM25 in step."""
    from rag.ingest import check_index

    assistant = State.assistant()
    try:
        check = check_index(assistant.index, assistant.lexical, repair=repair)
    except PodragError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps({"ok": check.ok, "clean": check.clean, **check.__dict__}, indent=2))
    else:
        print_doctor(check, assistant.lexical.notices)
    if not check.ok:
        raise typer.Exit(1)
