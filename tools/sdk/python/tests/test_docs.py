"""docs/sdk/python/ is what gen-docs.sh makes from the current sources."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
COMMITTED = HERE.parents[2] / "docs" / "sdk" / "python"


def test_reference_is_current():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([str(HERE / "gen-docs.sh"), out], check=True, capture_output=True)
        made = {p.name: p.read_text() for p in Path(out).glob("*.html")}
    committed = {p.name: p.read_text() for p in COMMITTED.glob("*.html")}
    assert sorted(made) == sorted(committed)
    stale = [name for name in made if made[name] != committed[name]]
    assert not stale, f"run tools/sdk/python/gen-docs.sh: {stale} differ"
