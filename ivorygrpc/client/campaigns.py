"""CampaignService operations: optimizers, parameter spaces, campaign records, suggest-only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import json_format

from ivorygrpc.client.base import ClientBase, new_request_id
from ivorygrpc.client.runs import struct
from ivorygrpc.v1 import campaign_pb2
from ivorygrpc.v1 import campaign_service_pb2 as pb

SpecLike = campaign_pb2.CampaignSpec | Mapping[str, Any]


def as_spec(spec: SpecLike) -> campaign_pb2.CampaignSpec:
    """A CampaignSpec from a message or its JSON form."""
    if isinstance(spec, campaign_pb2.CampaignSpec):
        return spec
    return json_format.ParseDict(dict(spec), campaign_pb2.CampaignSpec())


class CampaignOperations(ClientBase):
    """Optimizer campaigns (runs with `create_run(..., campaign=...)`, or suggest-only)."""

    async def list_optimizers(self) -> list[campaign_pb2.Optimizer]:
        """The optimizers installed on the server, each with its settings schema."""
        reply = await self._unary(self._campaigns.ListOptimizers, pb.ListOptimizersRequest())
        return list(reply.optimizers)

    async def parameter_space(self, workflow: str, version: int = 0,
                              ) -> pb.GetParameterSpaceResponse:
        """The default `parameters` and `objectives` of a campaign over a workflow."""
        return await self._unary(self._campaigns.GetParameterSpace, pb.GetParameterSpaceRequest(
            workflow=workflow, workflow_version=version))

    async def get_campaign(self, campaign_id: str) -> campaign_pb2.Campaign:
        """A campaign with its trials, best trials and insights."""
        reply = await self._unary(self._campaigns.GetCampaign,
                                  pb.GetCampaignRequest(campaign_id=campaign_id))
        return reply.campaign

    async def list_campaigns(self, run_id: str = "", *,
                             limit: int | None = 100) -> list[campaign_pb2.Campaign]:
        """Campaigns, newest first (the one of `run_id` when given), without trials."""
        return await self._collect(self._campaigns.ListCampaigns,
                                   pb.ListCampaignsRequest(run_id=run_id), "campaigns", limit)

    async def create_campaign(self, spec: SpecLike, *, display_name: str = "",
                              rows: Sequence[Mapping[str, Any]] = (), csv: str = "",
                              request_id: str | None = None) -> campaign_pb2.Campaign:
        """A suggest-only campaign: people run the experiments (`suggest_trials`,
        `report_trials`). `rows` or `csv` are trials known already."""
        existing = campaign_pb2.ExistingData(rows=[struct(r) for r in rows], csv_text=csv)
        reply = await self._unary(self._campaigns.CreateCampaign, pb.CreateCampaignRequest(
            display_name=display_name, spec=as_spec(spec), existing_data=existing,
            request_id=request_id or new_request_id()))
        return reply.campaign

    async def suggest_trials(self, campaign_id: str, count: int = 1) -> list[campaign_pb2.Trial]:
        """New pending trials of a suggest-only campaign."""
        reply = await self._unary(self._campaigns.SuggestTrials, pb.SuggestTrialsRequest(
            campaign_id=campaign_id, count=count))
        return list(reply.trials)

    async def report_trials(self, campaign_id: str,
                            results: Mapping[int, Mapping[str, Any] | None],
                            ) -> campaign_pb2.Campaign:
        """Report pending trials by number: their outputs, or None for a failed one."""
        request = pb.ReportTrialsRequest(campaign_id=campaign_id)
        for number, outputs in results.items():
            if outputs is None:
                request.results.add(number=number, failed=True)
            else:
                request.results.add(number=number, outputs=struct(outputs))
        reply = await self._unary(self._campaigns.ReportTrials, request)
        return reply.campaign

    async def delete_campaign(self, campaign_id: str) -> None:
        """Delete a suggest-only campaign."""
        await self._unary(self._campaigns.DeleteCampaign,
                          pb.DeleteCampaignRequest(campaign_id=campaign_id))
