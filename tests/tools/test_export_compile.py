"""`ivorygrpc protos export`: the files compile with protoc, pass `buf lint` with the
`buf.yaml` the export writes, and `buf breaking` tells a breaking deck edit from an
additive one (the documented workflow in docs/clients.md)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from ivorygrpc.cli import main
from tests.fixtures.server import EXAMPLE_DECK
from tests.fixtures.tools import Result, buf, run

pytestmark = pytest.mark.tools

DECK = textwrap.dedent('''
    import enum

    class Speed(enum.Enum):
        """How fast the pump moves."""
        SLOW = 1
        FAST = 2

    class Pump:
        """A syringe pump."""
        def dispense(self, volume_ml: float, speed: Speed = Speed.SLOW) -> float:
            """Dispense a volume."""
            return volume_ml
        def prime(self, cycles: int = 3) -> None:
            """Flush the lines."""

    pump = Pump()
''')
LOADER = '''
import importlib.util, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*_pb2.py")):
    if "/deck/" in str(path):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(path.stem, *getattr(module, "DESCRIPTOR").services_by_name)
'''


def _export(deck: Path, out: Path, data_dir: Path) -> None:
    assert main(["protos", "export", str(deck), "--out", str(out),
                 "--data-dir", str(data_dir)]) == 0


async def _breaking(tmp_path: Path) -> Result:
    return await run(buf(), "breaking", "new", "--against", "old", cwd=tmp_path)


async def test_export_compiles_with_protoc_and_passes_buf_lint(tmp_path: Path) -> None:
    out = tmp_path / "export"
    _export(EXAMPLE_DECK, out, tmp_path / "data")
    assert (out / "buf.yaml").exists() and (out / "ivorygrpc.binpb").exists()
    protos = sorted(str(p.relative_to(out)) for p in out.rglob("*.proto"))
    assert "ivorygrpc/deck/pump/v1/pump.proto" in protos
    assert "ivorygrpc/v1/control_service.proto" in protos
    assert "Dispense a volume at a flow rate" in (out / "ivorygrpc/deck/pump/v1/pump.proto"
                                                  ).read_text()

    lint = await run(buf(), "lint", cwd=out)  # the written buf.yaml: STANDARD + COMMENTS
    assert lint.returncode == 0, lint.stdout + lint.stderr

    generated = tmp_path / "python"
    generated.mkdir()
    protoc = await run(sys.executable, "-m", "grpc_tools.protoc", "-I", str(out),
                       f"--python_out={generated}", f"--pyi_out={generated}",
                       f"--grpc_python_out={generated}", *protos, cwd=out)
    assert protoc.returncode == 0, protoc.stderr
    # The deck modules import `ivorygrpc.v1.options_pb2`, which the installed package
    # provides (so do the `_grpc` stubs for their own package, which it does not: load
    # the messages only).
    loaded = await run(sys.executable, "-c", LOADER, str(generated))
    assert loaded.returncode == 0, loaded.stderr
    assert "pump_pb2 PumpService" in loaded.stdout
    assert "sdl_pb2 SdlService" in loaded.stdout


async def test_buf_breaking_fails_on_a_removed_method_and_a_changed_type(
        tmp_path: Path) -> None:
    deck, data = tmp_path / "lab_deck.py", tmp_path / "data"  # one data folder: one lock
    deck.write_text(DECK)
    _export(deck, tmp_path / "old", data)
    removed = '''    def prime(self, cycles: int = 3) -> None:
        """Flush the lines."""
'''
    assert removed in DECK
    edited = DECK.replace(removed, "").replace("volume_ml: float", "volume_ml: str")
    deck.write_text(edited)
    _export(deck, tmp_path / "new", data)
    result = await _breaking(tmp_path)
    assert result.returncode != 0
    assert 'RPC "Prime" on service "PumpService" was deleted' in result.stdout, result.stdout
    assert '"volume_ml"' in result.stdout and "changed type" in result.stdout, result.stdout


async def test_buf_breaking_accepts_a_new_optional_parameter(tmp_path: Path) -> None:
    deck, data = tmp_path / "lab_deck.py", tmp_path / "data"
    deck.write_text(DECK)
    _export(deck, tmp_path / "old", data)
    # Inserted before `speed`: the lock file keeps `speed`'s number, so nothing breaks.
    deck.write_text(DECK.replace(
        "volume_ml: float, speed", "volume_ml: float, rate: float = 1.0, speed"))
    _export(deck, tmp_path / "new", data)
    new_text = (tmp_path / "new/ivorygrpc/deck/pump/v1/pump.proto").read_text()
    assert "optional double rate = 3" in new_text and "speed = 2" in new_text
    result = await _breaking(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_reexport_removes_the_files_of_removed_instruments(tmp_path: Path) -> None:
    deck, out = tmp_path / "lab_deck.py", tmp_path / "export"
    deck.write_text(DECK + "\nclass Valve:\n    def open(self) -> None: ...\n"
                    "valve = Valve()\n")
    _export(deck, out, tmp_path / "data")
    assert (out / "ivorygrpc/deck/valve/v1/valve.proto").exists()
    deck.write_text(DECK)
    _export(deck, out, tmp_path / "data")
    assert not (out / "ivorygrpc/deck/valve").exists()
    assert (out / "ivorygrpc/deck/pump/v1/pump.proto").exists()
