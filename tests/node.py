"""Run a node script of the tests on a JSON payload: the browser's own modules
(static/board/, and the npm packages they import from node_modules) checked
against the server in the same test."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_node(script: Path, payload: Any, timeout: float = 120) -> Any:
    """``script``'s stdout as JSON, given ``payload`` as JSON on stdin."""
    node = shutil.which("node")
    assert node, "these tests run the board's JavaScript: install node (make test-js needs it too)"
    assert (ROOT / "node_modules" / "fractional-indexing").is_dir(), "run npm ci first"
    done = subprocess.run(
        [node, str(script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
