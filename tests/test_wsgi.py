"""The production entry point builds the app in an interpreter of its own, where no test or
script has imported the models before it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wsgi_builds_the_app_in_a_fresh_interpreter():
    env = {**os.environ, "SCORE_SECRET_KEY": "a-secret-for-this-test", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.name)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "score_app"
