"""A deterministic stand-in for the embedding model, for unit tests: no model to load, nothing to cache.

Each text becomes a hashed bag of its words and of their first five letters (so 'GPUs' and 'GPU', 'baking' and
'bake' land on shared features), signed and L2-normalised: texts sharing words are close, others are not. Cosines
are not MiniLM's: thresholds tuned on the real model (abstention, the similarity checks) are for tests that use
it, marked `slow`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

DIM = 384
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STOP = frozenset("a an and are as at be but by did do does for from has have how i in is it of on or so that the "
                  "their them there they this to was we what when where which who why with you".split())


class FakeEmbedder:
    name = "test-fake-hashing-384"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([_vector(t) for t in texts])


def _vector(text: str) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
    for feature in [*words, *(f"~{w[:5]}" for w in words if len(w) > 5)]:
        h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
        v[h % DIM] += 1.0 if (h >> 32) & 1 else -1.0
    if not v.any():  # no words: a fixed direction of its own
        v[0] = 1.0
    return v / np.linalg.norm(v)
