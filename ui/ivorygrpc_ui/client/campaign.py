"""CampaignService calls for the Execute page's campaign form: the installed optimizers
with their schemas and a workflow's default parameter space."""

from __future__ import annotations

from ivorygrpc.v1 import campaign_pb2 as cp
from ivorygrpc.v1 import campaign_service_pb2 as pb
from ivorygrpc.v1 import campaign_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2
from ivorygrpc_ui.client.connection import Connection
from ivorygrpc_ui.client.errors import rpc_errors


def _stub(conn: Connection) -> pb_grpc.CampaignServiceAsyncStub:
    return pb_grpc.CampaignServiceStub(conn.channel)


@rpc_errors
async def list_optimizers(conn: Connection) -> list[cp.Optimizer]:
    """The optimizers the server has installed, the default first."""
    reply = await _stub(conn).ListOptimizers(pb.ListOptimizersRequest(),
                                             metadata=conn.metadata())
    return list(reply.optimizers)


@rpc_errors
async def parameter_space(conn: Connection, workflow: str) -> pb.GetParameterSpaceResponse:
    """A workflow's default search space, its possible objectives and notes on both."""
    return await _stub(conn).GetParameterSpace(pb.GetParameterSpaceRequest(workflow=workflow),
                                               metadata=conn.metadata())


def campaign_mode(spec: cp.CampaignSpec, iterations: int) -> run_pb2.RunMode:
    """A run mode that lets the optimizer choose each iteration's parameters."""
    return run_pb2.RunMode(campaign=run_pb2.CampaignMode(spec=spec, iterations=iterations))
