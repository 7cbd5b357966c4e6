"""Peak memory of a process, as benchmarks and memory tests read it.

Not `getrusage(...).ru_maxrss`: Linux keeps that across execve, so a child process started by a large parent (a
pytest run hours in, a benchmark that loaded the model) reports the parent's peak until it exceeds it. The peak
resident set of the process's own address space (VmHWM) starts afresh with the program.
"""

from __future__ import annotations

from pathlib import Path


def peak_rss_mb(pid: int | str = "self") -> int:
    """The highest resident set size of process `pid` so far, in MiB (0 where /proc does not say)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0
