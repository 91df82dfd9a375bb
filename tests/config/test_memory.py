"""The server caps glibc's malloc arenas before it starts its threads."""

from __future__ import annotations

import os
import platform
import secrets
import subprocess
import sys

import pytest

from config.memory import malloc_arenas_capped
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
