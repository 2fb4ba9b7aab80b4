"""The README's five-minute example runs as written against a live server."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_runs(monkeypatch, capsys, server, tenant):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1
    monkeypatch.setenv("TENANTKV_URL", server.url)
    monkeypatch.setenv("TENANTKV_TOKEN", tenant.token("admin"))
    exec(compile(blocks[0], str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "[201, 200, 404]" in out
    assert "404 not_found" in out
    assert f"{tenant.id} " in out
