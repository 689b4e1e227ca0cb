"""Campaign messages <-> domain values (specs, existing data, trials, optimizers)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, message

from ivorygrpc.errors import FieldViolation, InvalidArguments
from ivorygrpc.execution.campaign import CampaignView, trial_json
from ivorygrpc.execution.campaign_run import CampaignMode
from ivorygrpc.optimize.adapter import Insight, OptimizerInfo
from ivorygrpc.optimize.existing import ExistingData
from ivorygrpc.optimize.spec import CampaignSpec, Objective, Parameter
from ivorygrpc.services.convert import timestamp
from ivorygrpc.store.campaigns import CampaignRecord, TrialRecord
from ivorygrpc.v1 import campaign_pb2, run_pb2


def to_dict(msg: message.Message, field: str) -> dict[str, Any]:
    """The proto JSON form (proto field names); InvalidArguments for NaN or Infinity."""
    try:
        data: dict[str, Any] = json_format.MessageToDict(msg, preserving_proto_field_name=True)
    except json_format.Error as exc:
        raise InvalidArguments([FieldViolation(field, f"numbers must be finite ({exc})")]) \
            from exc
    return data


def spec_from_message(spec: campaign_pb2.CampaignSpec, field: str) -> CampaignSpec:
    """The domain spec (unchecked)."""
    return CampaignSpec.from_json(to_dict(spec, field))


def existing_from_message(data: campaign_pb2.ExistingData, field: str) -> ExistingData:
    """The domain form of existing data (unchecked)."""
    rows = [to_dict(row, f"{field}.rows[{i}]") for i, row in enumerate(data.rows)]
    return ExistingData(rows, data.csv_text, list(data.run_ids))


def campaign_mode(mode: run_pb2.CampaignMode) -> CampaignMode:
    """The domain campaign mode (unchecked)."""
    return CampaignMode(spec_from_message(mode.spec, "mode.campaign.spec"), mode.iterations,
                        existing_from_message(mode.existing_data, "mode.campaign.existing_data"))


def optimizer_message(info: OptimizerInfo, is_default: bool) -> campaign_pb2.Optimizer:
    """The `Optimizer` message."""
    return json_format.ParseDict(info.to_json(is_default), campaign_pb2.Optimizer())


def parameter_message(parameter: Parameter) -> campaign_pb2.ParameterSpec:
    """The `ParameterSpec` message."""
    return json_format.ParseDict(parameter.to_json(), campaign_pb2.ParameterSpec())


def objective_message(objective: Objective) -> campaign_pb2.Objective:
    """The `Objective` message."""
    return json_format.ParseDict(objective.to_json(), campaign_pb2.Objective())


def trial_message(trial: TrialRecord) -> campaign_pb2.Trial:
    """The `Trial` message."""
    return json_format.ParseDict(trial_json(trial), campaign_pb2.Trial())


def campaign_message(campaign: CampaignRecord,
                     view: CampaignView | None = None) -> campaign_pb2.Campaign:
    """The `Campaign` message; `view` adds trials, best trials and insights."""
    msg = campaign_pb2.Campaign(id=campaign.id, display_name=campaign.display_name,
                                run_id=campaign.run_id, workflow=campaign.workflow,
                                creator=campaign.creator, trial_count=campaign.trial_count,
                                goal_reached=campaign.goal_reached)
    json_format.ParseDict(campaign.spec, msg.spec)
    msg.create_time.CopyFrom(timestamp(campaign.created_at))
    msg.update_time.CopyFrom(timestamp(campaign.updated_at))
    if view is not None:
        msg.trials.extend(trial_message(t) for t in view.trials)
        msg.best_trials.extend(trial_message(t) for t in view.best)
        msg.insights.extend(_insight(i) for i in view.insights)
    return msg


def _insight(insight: Insight) -> campaign_pb2.Insight:
    return campaign_pb2.Insight(name=insight.name, description=insight.description,
                                objective=insight.objective, values=insight.values)
