"""CampaignService calls of the UI: the installed optimizers with their schemas and a
workflow's default parameter space (the campaign form), the run mode of a campaign run,
and for the Campaigns page and the Data page's campaign plot the campaign list, detail
(trials, best trials, insights), suggest-only create / suggest / report / delete, and the
campaign of a run.

Campaigns come back as `ivorygrpc.v1.Campaign` messages; the list as a `CampaignPage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ivorygrpc.v1 import campaign_pb2 as cp
from ivorygrpc.v1 import campaign_service_pb2 as pb
from ivorygrpc.v1 import campaign_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2
from ivorygrpc_ui.client.connection import Connection
from ivorygrpc_ui.client.errors import rpc_errors
from ivorygrpc_ui.client.values import JsonValue, to_struct

__all__ = ["CampaignPage", "TrialReport", "campaign_mode", "campaign_of_run",
           "create_campaign", "delete_campaign", "get_campaign", "list_campaigns",
           "list_optimizers", "parameter_space", "report_trials", "suggest_trials"]


@dataclass
class CampaignPage:
    """One page of campaigns (without trials) and the token of the next page."""

    campaigns: list[cp.Campaign] = field(default_factory=list)
    next_page_token: str = ""


@dataclass(frozen=True)
class TrialReport:
    """The measured outputs of one pending trial, or that it failed (with why)."""

    number: int
    outputs: dict[str, JsonValue] = field(default_factory=dict)
    failed: bool = False
    error: str = ""


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


@rpc_errors
async def list_campaigns(conn: Connection, *, page_size: int = 20, page_token: str = "",
                         run_id: str = "") -> CampaignPage:
    """Campaigns, newest first; only the campaign of `run_id` when given."""
    reply = await _stub(conn).ListCampaigns(
        pb.ListCampaignsRequest(page_size=page_size, page_token=page_token, run_id=run_id),
        metadata=conn.metadata())
    return CampaignPage(list(reply.campaigns), reply.next_page_token)


@rpc_errors
async def get_campaign(conn: Connection, campaign_id: str) -> cp.Campaign:
    """A campaign with its trials, best trials and insights."""
    reply = await _stub(conn).GetCampaign(pb.GetCampaignRequest(campaign_id=campaign_id),
                                          metadata=conn.metadata())
    return reply.campaign


async def campaign_of_run(conn: Connection, run_id: str) -> cp.Campaign | None:
    """The full campaign a campaign run drives, or None (not yet created, or another mode)."""
    page = await list_campaigns(conn, page_size=1, run_id=run_id)
    if not page.campaigns:
        return None
    return await get_campaign(conn, page.campaigns[0].id)


@rpc_errors
async def create_campaign(conn: Connection, display_name: str, spec: cp.CampaignSpec, *,
                          existing_csv: str = "", request_id: str = "") -> cp.Campaign:
    """A new suggest-only campaign (optionally taught from CSV rows first)."""
    request = pb.CreateCampaignRequest(display_name=display_name, spec=spec,
                                       request_id=request_id)
    if existing_csv.strip():
        request.existing_data.csv_text = existing_csv
    reply = await _stub(conn).CreateCampaign(request, metadata=conn.metadata())
    return reply.campaign


@rpc_errors
async def suggest_trials(conn: Connection, campaign_id: str, count: int) -> list[cp.Trial]:
    """`count` new pending trials of a suggest-only campaign."""
    reply = await _stub(conn).SuggestTrials(
        pb.SuggestTrialsRequest(campaign_id=campaign_id, count=count), metadata=conn.metadata())
    return list(reply.trials)


@rpc_errors
async def report_trials(conn: Connection, campaign_id: str,
                        reports: list[TrialReport]) -> cp.Campaign:
    """Record results (or failures) of pending trials; the campaign afterwards."""
    results = [pb.TrialResult(number=r.number, outputs=to_struct(r.outputs), failed=r.failed,
                              error=r.error) for r in reports]
    reply = await _stub(conn).ReportTrials(
        pb.ReportTrialsRequest(campaign_id=campaign_id, results=results),
        metadata=conn.metadata())
    return reply.campaign


@rpc_errors
async def delete_campaign(conn: Connection, campaign_id: str) -> None:
    """Delete a suggest-only campaign (admin)."""
    await _stub(conn).DeleteCampaign(pb.DeleteCampaignRequest(campaign_id=campaign_id),
                                     metadata=conn.metadata())
