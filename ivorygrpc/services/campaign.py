"""`ivorygrpc.v1.CampaignService`: optimizer schemas, campaign records, suggest-only campaigns."""

from __future__ import annotations

import asyncio

from ivorygrpc.deck.model import DeckSpec
from ivorygrpc.errors import FailedPrecondition, FieldViolation, InvalidArguments, NotFound
from ivorygrpc.execution.campaign import MAX_SUGGEST, CampaignBook, Result, existing_trials
from ivorygrpc.execution.campaign_plan import default_space
from ivorygrpc.optimize.existing import existing_rows
from ivorygrpc.optimize.registry import Registry
from ivorygrpc.optimize.spec import (
    CampaignSpec,
    check_spec,
    float_ranges,
    objective_values,
)
from ivorygrpc.paging import PageTokens, page_size, split_page
from ivorygrpc.services.campaign_convert import (
    campaign_message,
    existing_from_message,
    objective_message,
    optimizer_message,
    parameter_message,
    spec_from_message,
    to_dict,
    trial_message,
)
from ivorygrpc.services.context import Context, caller_of
from ivorygrpc.services.errors import rpc_errors
from ivorygrpc.store import Store
from ivorygrpc.store._common import utc_now
from ivorygrpc.store.campaigns import CampaignRecord
from ivorygrpc.v1 import campaign_pb2
from ivorygrpc.v1 import campaign_service_pb2 as pb
from ivorygrpc.v1 import campaign_service_pb2_grpc as pb_grpc

MAX_NAME = 200


class CampaignServicer(pb_grpc.CampaignServiceServicer):
    """Parses requests, delegates to the campaign book, converts campaigns."""

    def __init__(self, book: CampaignBook, registry: Registry, store: Store, deck: DeckSpec,
                 tokens: PageTokens) -> None:
        self._book = book
        self._registry = registry
        self._store = store
        self._deck = deck
        self._tokens = tokens
        self._creating = asyncio.Lock()

    @rpc_errors
    async def ListOptimizers(self, request: pb.ListOptimizersRequest,
                             context: Context) -> pb.ListOptimizersResponse:
        """Every installed optimizer with its schema, the default first."""
        adapters = self._registry.adapters()
        return pb.ListOptimizersResponse(optimizers=[
            optimizer_message(a.describe(), i == 0) for i, a in enumerate(adapters)])

    @rpc_errors
    async def GetParameterSpace(self, request: pb.GetParameterSpaceRequest,
                                context: Context) -> pb.GetParameterSpaceResponse:
        """The default parameter space and objectives of a workflow."""
        if not request.workflow:
            raise InvalidArguments([FieldViolation("workflow", "is required")])
        if request.workflow_version < 0:
            raise InvalidArguments([FieldViolation("workflow_version", "must not be negative")])
        record = await asyncio.to_thread(self._store.workflows.get, request.workflow,
                                         request.workflow_version or None)
        if record is None:
            raise NotFound("workflow", request.workflow, reason="WORKFLOW_NOT_FOUND")
        space = default_space(record.body, self._deck)
        return pb.GetParameterSpaceResponse(
            parameters=[parameter_message(p) for p in space.parameters],
            objectives=[objective_message(o) for o in space.objectives],
            notes=[f"{name}: {note}" for name, note in space.notes.items()])

    @rpc_errors
    async def CreateCampaign(self, request: pb.CreateCampaignRequest,
                             context: Context) -> pb.CreateCampaignResponse:
        """Checks the spec and the existing data, then stores the campaign."""
        creator = caller_of(context)
        if len(request.display_name) > MAX_NAME or not request.display_name.isprintable():
            raise InvalidArguments([FieldViolation(
                "display_name", f"must be at most {MAX_NAME} printable characters")])
        if len(request.request_id) > MAX_NAME or not request.request_id.isprintable():
            raise InvalidArguments([FieldViolation(
                "request_id", f"must be at most {MAX_NAME} printable characters")])
        spec = float_ranges(spec_from_message(request.spec, "spec"))
        problems = check_spec(spec)
        adapter = self._registry.get(spec.optimizer)
        problems += adapter.check(spec, 1)
        data = existing_from_message(request.existing_data, "existing_data")
        if data.run_ids:
            problems.append(FieldViolation("existing_data.run_ids", "runs seed run campaigns "
                                           "only; give rows or csv_text"))
        if problems:
            raise InvalidArguments(problems)
        existing = existing_trials(spec, existing_rows(spec, data, {}, "existing_data"),
                                   utc_now())
        async with self._creating:  # a retried request_id finds the first campaign
            found = await asyncio.to_thread(self._store.campaigns.find_by_request_id, creator,
                                            request.request_id)
            if found is None:
                found = await self._book.create(spec=spec, display_name=request.display_name,
                                                creator=creator, request_id=request.request_id,
                                                existing=existing)
        return pb.CreateCampaignResponse(campaign=await self._full(found.id))

    async def _full(self, campaign_id: str) -> campaign_pb2.Campaign:
        """The campaign with trials, best trials and insights."""
        view = await self._book.view(campaign_id)
        return campaign_message(view.campaign, view)

    @rpc_errors
    async def GetCampaign(self, request: pb.GetCampaignRequest,
                          context: Context) -> pb.GetCampaignResponse:
        """The campaign with trials, best trials and insights."""
        return pb.GetCampaignResponse(campaign=await self._full(request.campaign_id))

    @rpc_errors
    async def ListCampaigns(self, request: pb.ListCampaignsRequest,
                            context: Context) -> pb.ListCampaignsResponse:
        """Campaigns, newest first, without trials."""
        size = page_size(request.page_size)
        scope = f"ListCampaigns|{request.run_id}"
        after = self._tokens.decode_texts(scope, request.page_token)
        if after is not None and len(after) != 2:
            raise InvalidArguments([FieldViolation("page_token", "not a token of this list")])
        campaigns = await asyncio.to_thread(
            self._store.campaigns.list, run_id=request.run_id, limit=size + 1,
            after=(after[0], after[1]) if after else None)
        campaigns, last = split_page(campaigns, size)
        token = "" if last is None else self._tokens.encode(
            scope, [last.created_at.isoformat(), last.id])
        return pb.ListCampaignsResponse(campaigns=[campaign_message(c) for c in campaigns],
                                        next_page_token=token)

    async def _suggest_only(self, campaign_id: str) -> CampaignRecord:
        campaign = await self._book.get(campaign_id)
        if campaign.run_id:
            raise FailedPrecondition(f"campaign {campaign_id} is driven by run "
                                     f"{campaign.run_id}", reason="CAMPAIGN_OF_RUN")
        return campaign

    @rpc_errors
    async def SuggestTrials(self, request: pb.SuggestTrialsRequest,
                            context: Context) -> pb.SuggestTrialsResponse:
        """New pending trials from the optimizer."""
        if not 0 <= request.count <= MAX_SUGGEST:
            raise InvalidArguments([FieldViolation("count", f"must be 0 to {MAX_SUGGEST}")])
        await self._suggest_only(request.campaign_id)
        trials = await self._book.suggest(request.campaign_id, request.count or 1)
        return pb.SuggestTrialsResponse(trials=[trial_message(t) for t in trials])

    @rpc_errors
    async def ReportTrials(self, request: pb.ReportTrialsRequest,
                           context: Context) -> pb.ReportTrialsResponse:
        """Records measured results (or failures) of pending trials."""
        campaign = await self._suggest_only(request.campaign_id)
        if not request.results:
            raise InvalidArguments([FieldViolation("results", "give at least one result")])
        objectives = CampaignSpec.from_json(campaign.spec).objectives
        results: list[Result] = []
        problems: list[FieldViolation] = []
        for index, result in enumerate(request.results):
            if result.failed:
                results.append(Result(result.number, None, result.error or "failed"))
                continue
            outputs = to_dict(result.outputs, f"results[{index}].outputs")
            _, why = objective_values(outputs, objectives)
            if why:
                problems.append(FieldViolation(f"results[{index}].outputs",
                                               f"{why} (or set failed)"))
            results.append(Result(result.number, outputs))
        if problems:
            raise InvalidArguments(problems)
        await self._book.report(request.campaign_id, results)
        return pb.ReportTrialsResponse(campaign=await self._full(request.campaign_id))

    @rpc_errors
    async def DeleteCampaign(self, request: pb.DeleteCampaignRequest,
                             context: Context) -> pb.DeleteCampaignResponse:
        """Deletes a suggest-only campaign."""
        await self._book.delete(request.campaign_id)
        return pb.DeleteCampaignResponse()
