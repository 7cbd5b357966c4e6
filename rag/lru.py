"""A small thread-safe cache of the most recently used entries: per-episode data (vectors, sentences) kept in
memory for the episodes in use, bounded so a catalogue of thousands of episodes does not fill the memory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, valid: Callable[[V], bool] = lambda _: True) -> V | None:
        """The entry for `key` if there is one and `valid` accepts it (it becomes the most recently used)."""
        with self._lock:
            value = self._items.get(key)
            if value is None or not valid(value):
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
