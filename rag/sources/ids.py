"""The one rule for episode ids, whatever they come from (episode.json, a folder name, the app's upload form).

Ids name folders (uploads), files (report downloads) and index records, and are printed in terminals: so they are
1-80 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..' (no path can be built from
one, no control character or markup gets in, and none can collide with the manifest's `__version__` record).
"""

from __future__ import annotations

import re

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
RULE = "use 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit (no '/' or '..')"


def id_problem(episode_id: str) -> str | None:
    """Why `episode_id` is not allowed (one line, the id shown safely), or None when it is."""
    if _ID.fullmatch(episode_id) and ".." not in episode_id:
        return None
    shown = repr(episode_id) if len(episode_id) <= 60 else f"{episode_id[:40]!r}... ({len(episode_id):,} characters)"
    return f"episode id {shown} is not allowed: {RULE}"
