"""RenderPython and ImportWorkflow through a real channel."""

from __future__ import annotations

import ast
import json
import textwrap

import grpc
import pytest
from google.protobuf import json_format

from ivorygrpc.v1 import design_service_pb2 as pb
from ivorygrpc.v1 import design_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import workflow_pb2
from tests.api.test_design_service import DOSE_AND_MEASURE
from tests.fixtures.server import Served

IVORYOS_SCRIPT = {
    "name": "ivory_demo",
    "deck": "abstract_sdl",
    "script_dict": {
        "prep": [],
        "script": [
            {"id": 1, "instrument": "deck.sdl", "action": "dose_solvent",
             "args": {"solvent": "ETHANOL", "volume_ml": "#volume"}, "return": ""},
            {"id": 2, "uuid": 7, "instrument": "if", "action": "if",
             "args": {"statement": "1 > 0"}, "return": ""},
            {"id": 3, "instrument": "deck.pump", "action": "prime", "args": {}, "return": ""},
            {"id": 4, "uuid": 7, "instrument": "if", "action": "else", "args": {},
             "return": ""},
            {"id": 5, "uuid": 7, "instrument": "if", "action": "endif", "args": {},
             "return": ""},
        ],
        "cleanup": [],
    },
}


@pytest.fixture
def stub(served: Served) -> pb_grpc.DesignServiceStub:
    return pb_grpc.DesignServiceStub(served.channel)


async def test_render_python_gives_valid_python(stub: pb_grpc.DesignServiceStub) -> None:
    await stub.CreateWorkflow(pb.CreateWorkflowRequest(
        workflow=json_format.ParseDict(DOSE_AND_MEASURE, workflow_pb2.Workflow())))
    reply = await stub.RenderPython(pb.RenderPythonRequest(name="dose-and-measure"))
    ast.parse(reply.source)
    assert "sdl.dose_solvent(" in reply.source and "volume" in reply.source


async def test_import_python_then_save(stub: pb_grpc.DesignServiceStub) -> None:
    source = textwrap.dedent('''
        def main(volume):
            pump.dispense(volume_ml=volume)
            yield_pct, purity = sdl.analyze(wavelengths_nm=[254])
            if yield_pct > 50:
                sdl.mix(seconds=0.1)
    ''')
    reply = await stub.ImportWorkflow(pb.ImportWorkflowRequest(python_source=source,
                                                               name="from-python", save=True))
    (imported,) = reply.workflows
    assert imported.workflow.version == 1
    kinds = [s.WhichOneof("kind") for s in imported.workflow.main]
    assert kinds == ["call", "call", "if_else"]
    checked = await stub.ValidateWorkflow(pb.ValidateWorkflowRequest(
        name=imported.workflow.name))
    assert checked.valid, list(checked.problems)


async def test_import_reports_what_it_cannot_convert(stub: pb_grpc.DesignServiceStub) -> None:
    source = "def main():\n    with open('x') as f:\n        pass\n"
    reply = await stub.ImportWorkflow(pb.ImportWorkflowRequest(python_source=source))
    assert any("2" in warning for warning in reply.workflows[0].warnings)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ImportWorkflow(pb.ImportWorkflowRequest(python_source="def (:"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_import_ivoryos_json(stub: pb_grpc.DesignServiceStub) -> None:
    reply = await stub.ImportWorkflow(pb.ImportWorkflowRequest(
        ivoryos_json=json.dumps(IVORYOS_SCRIPT), save=True))
    (imported,) = reply.workflows
    main = imported.workflow.main
    assert main[0].call.arguments["volume_ml"].parameter == "volume"
    assert main[1].if_else.condition == "1 > 0"
    assert main[1].if_else.then_steps[0].call.method == "prime"
    for bad in ["not json", "[1, 2]"]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ImportWorkflow(pb.ImportWorkflowRequest(ivoryos_json=bad))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
