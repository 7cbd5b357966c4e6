"""Each episode's sentence tokens kept on disk, so a fresh process does not tokenize the episode again.

Building an episode's moments (rag/moments.py) tokenizes every transcript sentence for the "said within a minute"
signal: ~0.3 s of a fresh `ask` over three five-hour episodes, as long as everything else it does apart from
imports. Tokens are a function of the texts and the tokenizer, so they are filed under a hash of both: written at
ingest (MomentStore.prepare) or on the first build, never stale. A re-ingested episode whose text changed gets a new
file; the old one is left behind (a few hundred KB), like the embedding cache's rows for texts no longer indexed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from rag.lexical import tokenize, tokenizer_fingerprint

log = logging.getLogger(__name__)


class TermCache:
    """`tokenize(texts)` read from `folder` when these texts were tokenized before (None: no cache)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        if self.folder is None or not texts:
            return tokenize(texts)
        digest = hashlib.sha256(tokenizer_fingerprint().encode())
        for t in texts:
            digest.update(t.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        path = self.folder / f"{digest.hexdigest()}.json"
        try:
            tokens = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(tokens, list) and len(tokens) == len(texts):
                return tokens
            log.info("%s: holds %s token lists for %d texts; tokenizing again", path, len(tokens), len(texts))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError) as exc:  # damaged or unreadable: it is only a cache
            log.info("%s: unreadable (%s); tokenizing again", path, exc)
        tokens = tokenize(texts)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")  # whole or absent for other processes
            partial.write_text(json.dumps(tokens, separators=(",", ":")), encoding="utf-8")
            os.replace(partial, path)
        except OSError as exc:  # a read-only cache still answers, it just tokenizes each time
            log.info("cannot keep tokens in %s: %s", self.folder, exc)
        return tokens
