"""The server caps glibc's malloc arenas before it starts its threads, and has it
map large blocks on their own, so that a freed array's memory goes back."""

from __future__ import annotations

import os
import platform
import secrets
import subprocess
import sys

import pytest

from config.memory import malloc_arenas_capped, malloc_large_mapped
from tests.server import ROOT

glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not glibc, reason="the cap is glibc's")
def test_the_arenas_are_capped_unless_the_environment_says(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert malloc_arenas_capped() is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert malloc_arenas_capped() is False  # glibc read it at start: its own cap stands


@pytest.mark.skipif(not glibc, reason="the cap is glibc's")
def test_the_asgi_application_caps_them_on_import():
    code = (
        "import os;"
        "os.environ.pop('MALLOC_ARENA_MAX', None);"
        "calls = [];"
        "import config.memory as mem;"
        "real = mem.malloc_arenas_capped;"
        "mem.malloc_arenas_capped = lambda *a: calls.append(1) or real(*a);"
        "import config.asgi;"
        "print(calls)"
    )
    env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(50)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[1]"


# A 16 MB array freed with small blocks allocated after it (which keep the heap from
# shrinking), once glibc has raised its mmap threshold: how much RSS it leaves behind.
FREED = """
import sys, numpy as np
import config.memory as memory
if sys.argv[1] == "mapped":
    assert memory.malloc_large_mapped()
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096
a = np.ones(2_000_000); del a
before = rss()
b = np.ones(2_000_000)
above = [np.ones(64) for _ in range(1000)]
del b
print((rss() - before) / 2**20)
"""


def rss_left_mb(mode: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    done = subprocess.run(
        [sys.executable, "-c", FREED, mode], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip())


@pytest.mark.skipif(not glibc, reason="the threshold is glibc's")
def test_a_freed_large_array_goes_back_to_the_system(monkeypatch):
    assert rss_left_mb("heap") > 8  # glibc's own way: kept in the heap
    assert rss_left_mb("mapped") < 4
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert malloc_large_mapped() is False  # glibc read it at start: its own stands
