"""Things made on first use: a module (`lazy_module`, for heavy libraries only some commands need, e.g. `openai`,
~1.7 s to import) and an object's parts (`locked_cached_property`).

    openai = lazy_module("openai")   # nothing imported yet
    openai.OpenAI(...)               # imported now (thread-safe: the import system holds its own lock)

Unlike `importlib.util.LazyLoader` it puts nothing half-loaded into `sys.modules`, so other threads and modules
importing the library normally are unaffected.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType


class _LazyModule:
    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name: str) -> ModuleType:
    return _LazyModule(name)  # type: ignore[return-value]


class locked_cached_property:  # noqa: N801  (named like functools.cached_property, which it replaces)
    """`functools.cached_property` that builds each value once even when threads ask at the same moment.

    cached_property lost its lock in Python 3.12, and on 3.11 its lock is per class, not per instance; either way
    two request threads could each build an Assistant's index or embedder (two Chroma clients, two models). Here
    one re-entrant lock per instance guards every build (a part may need another part while it is built). Like
    cached_property the value lands in the instance's `__dict__`, so later reads take no lock, and a value can
    be put there beforehand (tests share one loaded model that way).
    """

    def __init__(self, func):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        values = obj.__dict__
        if self.name in values:
            return values[self.name]
        # dict.setdefault is atomic: every thread gets the same lock.
        with values.setdefault("_parts_lock", threading.RLock()):
            if self.name not in values:
                values[self.name] = self.func(obj)
            return values[self.name]
