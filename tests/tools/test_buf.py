"""`buf lint` accepts the exported deck schema; `buf breaking` catches a break."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ivorygrpc.config import ServerConfig
from ivorygrpc.export import BINPB_NAME, write_export
from ivorygrpc.runtime import load_deck
from ivorygrpc.server import build_deck
from tests.fixtures.server import EXAMPLE_DECK
from tests.fixtures.tools import buf, run

pytestmark = pytest.mark.tools
STANDARD = json.dumps({"version": "v2", "lint": {"use": ["STANDARD"]}})


def _export(deck: Path, out: Path, data_dir: Path) -> None:
    _, schema = build_deck(ServerConfig(deck=load_deck(deck), data_dir=data_dir))
    write_export(schema, out)


async def test_exported_deck_passes_buf_lint(tmp_path: Path) -> None:
    _export(EXAMPLE_DECK, tmp_path / "out", tmp_path / "data")
    deck_files = sorted(str(p.relative_to(tmp_path / "out"))
                        for p in (tmp_path / "out").rglob("*.proto") if "/deck/" in str(p))
    assert len(deck_files) == 4
    args = [arg for name in deck_files for arg in ("--path", name)]
    result = await run(buf(), "lint", str(tmp_path / "out" / BINPB_NAME), *args,
                       "--config", STANDARD, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    sources = await run(buf(), "lint", ".", *args, "--config", STANDARD, cwd=tmp_path / "out")
    assert sources.returncode == 0, sources.stdout + sources.stderr


async def test_buf_breaking_catches_a_changed_parameter_type(tmp_path: Path) -> None:
    deck = tmp_path / "deck_v1.py"
    deck.write_text(textwrap.dedent('''
        class Pump:
            def dispense(self, volume_ml: float, rate: float = 1.0) -> float:
                return volume_ml
        pump = Pump()
    '''))
    _export(deck, tmp_path / "old", tmp_path / "data")
    deck.write_text(deck.read_text().replace("rate: float = 1.0", "rate: str = 'fast'"))
    _export(deck, tmp_path / "new", tmp_path / "data")
    path = ["--path", "ivorygrpc/deck/pump/v1/pump.proto"]
    result = await run(buf(), "breaking", str(tmp_path / "new" / BINPB_NAME), *path,
                       "--against", str(tmp_path / "old" / BINPB_NAME), cwd=tmp_path)
    assert result.returncode != 0
    assert "rate" in result.stdout
