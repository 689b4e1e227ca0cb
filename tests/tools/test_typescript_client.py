"""The TypeScript client (clients/typescript) against a live server, with real node.

The package is copied to a temporary folder (its node_modules linked), the
served deck is exported and its services generated with `buf generate`, the
whole package is type-checked with `tsc --strict`, and `node --test` runs
the example against the server.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivorygrpc.export import write_export
from ivorygrpc.store import Store
from tests.fixtures.server import ADMIN_PASSWORD, ROOT, Served
from tests.fixtures.tools import Result, buf, require, run

pytestmark = pytest.mark.tools
PACKAGE = ROOT / "clients" / "typescript"
COPIED = ("src", "test", "package.json", "tsconfig.json", "buf.gen.deck.yaml",
          "generate-deck.sh")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the client does not care which database the server uses."""
    return Store.sqlite_url(tmp_path)


def _package(tmp_path: Path) -> Path:
    require("node", shutil.which("node"))
    modules = PACKAGE / "node_modules"
    require("clients/typescript/node_modules (npm ci)",
            str(modules / ".bin" / "tsx") if modules.exists() else None)
    copy = tmp_path / "typescript"
    copy.mkdir()
    for name in COPIED:
        source = PACKAGE / name
        if source.is_dir():
            shutil.copytree(source, copy / name,
                            ignore=shutil.ignore_patterns("deck"))  # a stale local generation
        else:
            shutil.copy2(source, copy / name)
    (copy / "node_modules").symlink_to(modules)
    return copy


def _check(result: Result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def test_typescript_example_against_a_live_server(served: Served, tmp_path: Path) -> None:
    package = _package(tmp_path)
    write_export(served.server.schema, tmp_path / "export")
    env = {"BUF": buf()}
    _check(await run("./generate-deck.sh", str(tmp_path / "export"), cwd=package, env=env))
    assert (package / "src/gen/ivorygrpc/deck/pump/v1/pump_pb.ts").exists()
    _check(await run(str(package / "node_modules/.bin/tsc"), "-p", ".", cwd=package))
    output = _check(await run(
        "node", "--import", "tsx", "--test", "test/example.test.ts", cwd=package, timeout=120,
        env={"IVORYGRPC_ADDRESS": served.target, "IVORYGRPC_PASSWORD": ADMIN_PASSWORD}))
    assert "# fail 0" in output and "# pass 5" in output, output
