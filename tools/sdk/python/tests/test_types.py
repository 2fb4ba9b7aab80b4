"""The package, and the README's example as a user's code, pass mypy
--strict (Debian's python3-mypy); one run for both, as mypy has no cache
here (nothing is written into the tree)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_package_and_readme_example_are_strictly_typed():
    pytest.importorskip("mypy", reason="python3-mypy is not installed")
    example = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "readme_example.py"
        path.write_text(example)
        r = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "src/tenantkv", str(path)],
            cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, MYPYPATH=str(ROOT / "src")))
    assert r.returncode == 0, r.stdout + r.stderr
    checked = re.search(r"in (\d+) source files", r.stdout)
    assert checked and int(checked.group(1)) >= 6  # the package's five modules and the example
