"""Memory of a threaded server process.

glibc gives threads that allocate at once malloc arenas of their own (up to
eight per core) and keeps their freed pages. A board's numbers are computed in
pandas by whichever request thread asks first, so every thread in turn grows an
arena: one process serving 50 open panels on a 100,000-lead board peaked at
1.9 GB of RSS, and at 0.65 GB with two arenas (``make bench``, bench_viewers).
``malloc_arenas_capped`` sets that cap before the server starts its threads;
``MALLOC_ARENA_MAX`` in the environment (glibc's own) decides instead when set.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2


def malloc_arenas_capped(limit: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``limit``; ``False`` where that does not apply
    (not Linux, not glibc, or ``MALLOC_ARENA_MAX`` set)."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    return bool(mallopt(M_ARENA_MAX, limit))
