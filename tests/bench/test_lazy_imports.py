"""A server without the UI starts without the heavy optional libraries.

Optuna and NumPy load on a campaign's first suggestion, NiceGUI only with the UI, and
Alembic only when the database needs a migration (a first start). Each start runs in a
fresh interpreter so that `sys.modules` shows what that start alone imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("optuna", "numpy", "nicegui", "alembic", "pandas", "sklearn")
SCRIPT = """
import asyncio, json, sys
from pathlib import Path
from ivorygrpc.config import ServerConfig
from ivorygrpc.runtime import load_deck
from ivorygrpc.server import create_server

async def main():
    config = ServerConfig(deck=load_deck(Path(sys.argv[1])), port=0, data_dir=Path(sys.argv[2]),
                          admin_password="lazy-imports-pw")
    server, _ = await create_server(config)
    await server.start()
    await server.stop(None)

asyncio.run(main())
print(json.dumps(sorted(m for m in sys.argv[3].split(",") if m in sys.modules)))
"""


def _start(data_dir: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "bench" / "deck_noop.py"),
                           str(data_dir), ",".join(HEAVY)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_first_start_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    assert _start(tmp_path / "data") == []  # a new database is built without Alembic


def test_restart_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    _start(tmp_path / "data")
    assert _start(tmp_path / "data") == []


def test_describing_the_optuna_adapter_does_not_import_optuna() -> None:
    code = ("import sys; from ivorygrpc.optimize.registry import Registry; "
            "r = Registry.installed(); r.get('optuna').describe(); "
            "print('optuna' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
