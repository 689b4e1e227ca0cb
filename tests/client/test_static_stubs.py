"""Static typed stubs: `ivorygrpc protos export` + `grpc_tools.protoc`, imported and called."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.client.conftest import CLIENT_DECK
from tests.fixtures.server import Served
from tests.fixtures.tools import run

CALLER = '''
import sys
import grpc
from ivorygrpc.deck.echo.v1 import echo_pb2, echo_pb2_grpc
import ivorygrpc

assert not hasattr(ivorygrpc, "connect"), "imported the installed package, not the stubs"
target, token = sys.argv[1], sys.argv[2]
with grpc.insecure_channel(target) as channel:
    echo = echo_pb2_grpc.EchoServiceStub(channel)
    auth = (("authorization", "Bearer " + token),)
    reply = echo.Mode(echo_pb2.ModeRequest(mode=echo_pb2.MODE_SLOW_DOWN), metadata=auth)
    print(echo_pb2.Mode.Name(reply.result_0), echo_pb2.Level.Name(reply.result_1))
    point = echo.Point(echo_pb2.PointRequest(p=echo_pb2.Point(x=1.5)), metadata=auth)
    print(point.x, point.y)
'''


async def _run(*args: str | Path, cwd: Path | None = None) -> str:
    result = await run(*map(str, args), cwd=cwd, env={"PYTHONPATH": ""})
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_exported_protos_compile_to_working_python_stubs(echo_lab: Served,
                                                                tmp_path: Path) -> None:
    protos, gen = tmp_path / "api", tmp_path / "gen"
    gen.mkdir()
    await _run(sys.executable, "-m", "ivorygrpc", "protos", "export", CLIENT_DECK,
               "--out", protos, "--data-dir", echo_lab.data_dir)
    files = sorted(str(p.relative_to(protos)) for p in protos.rglob("*.proto"))
    assert "ivorygrpc/deck/echo/v1/echo.proto" in files
    await _run(sys.executable, "-m", "grpc_tools.protoc", f"-I{protos}", f"--python_out={gen}",
               f"--grpc_python_out={gen}", f"--pyi_out={gen}", *files)  # as in the README
    assert (gen / "ivorygrpc/deck/echo/v1/echo_pb2.pyi").is_file()
    (gen / "caller.py").write_text(CALLER, encoding="utf-8")
    out = await _run(sys.executable, gen / "caller.py", echo_lab.target, echo_lab.token,
                     cwd=gen)
    assert out.split() == ["MODE_SLOW_DOWN", "LEVEL_HIGH", "3.0", "0.0"]
