"""Memory of a threaded server process.

glibc gives threads that allocate at once malloc arenas of their own (up to
eight per core) and keeps their freed pages. A board's numbers are computed in
pandas by whichever request thread asks first, so every thread in turn grows an
arena: one process serving 50 open panels on a 100,000-lead board peaked at
1.9 GB of RSS, and at 0.65 GB with two arenas (``make bench``, bench_viewers).
``malloc_arenas_capped`` sets that cap before the server starts its threads;
``MALLOC_ARENA_MAX`` in the environment (glibc's own) decides instead when set.

glibc also raises its mmap threshold as large blocks are freed, so after the first
computation a board's arrays (8 MB per million values) come from the heap, whose
freed pages it keeps: ``malloc_large_mapped`` fixes the threshold at 4 MiB, so those
arrays are mapped and handed back when freed (50 open panels, 100,000 leads: peak
RSS 412 -> 383 MB; without a viewer 313 -> 273 MB). ``MALLOC_MMAP_THRESHOLD_`` in
the environment decides instead when set.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameters
M_MMAP_THRESHOLD = -3
ARENAS = 2
MAPPED_FROM = 4 * 1024 * 1024  # bytes


def malloc_arenas_capped(limit: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``limit``; ``False`` where that does not apply
    (not Linux, not glibc, or ``MALLOC_ARENA_MAX`` set)."""
    return glibc_option(M_ARENA_MAX, limit, unless="MALLOC_ARENA_MAX")


def malloc_large_mapped(threshold: int = MAPPED_FROM) -> bool:
    """Blocks of ``threshold`` bytes or more mapped on their own (and unmapped when
    freed); ``False`` where that does not apply or ``MALLOC_MMAP_THRESHOLD_`` is set."""
    return glibc_option(M_MMAP_THRESHOLD, threshold, unless="MALLOC_MMAP_THRESHOLD_")


def glibc_option(option: int, value: int, *, unless: str) -> bool:
    """glibc's ``mallopt(option, value)``; ``False`` where it does not apply (not
    Linux, not glibc) or the environment sets glibc's own variable ``unless``."""
    if not sys.platform.startswith("linux") or unless in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    return bool(mallopt(option, value))
