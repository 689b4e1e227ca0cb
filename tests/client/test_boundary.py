"""The client package stays a client: its import-linter contract covers every server module."""

from __future__ import annotations

import tomllib

from tests.fixtures.server import ROOT

CLIENT_CONTRACT = "The Python client (ivorygrpc.client) is a pure gRPC client"


def test_the_contract_forbids_every_server_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"]
                  if c["name"].startswith(CLIENT_CONTRACT)]
    assert contract["source_modules"] == ["ivorygrpc.client"]
    package = ROOT / "ivorygrpc"
    modules = {p.stem for p in package.glob("*.py")} | {
        p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    server = {f"ivorygrpc.{m}" for m in modules - {"__init__", "__main__", "client", "v1"}}
    missing = server - set(contract["forbidden_modules"])
    assert not missing, f"add {sorted(missing)} to the client's import-linter contract"
