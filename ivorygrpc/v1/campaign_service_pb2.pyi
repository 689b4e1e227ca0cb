from google.protobuf import struct_pb2 as _struct_pb2
from ivorygrpc.v1 import campaign_pb2 as _campaign_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListOptimizersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListOptimizersResponse(_message.Message):
    __slots__ = ("optimizers",)
    OPTIMIZERS_FIELD_NUMBER: _ClassVar[int]
    optimizers: _containers.RepeatedCompositeFieldContainer[_campaign_pb2.Optimizer]
    def __init__(self, optimizers: _Optional[_Iterable[_Union[_campaign_pb2.Optimizer, _Mapping]]] = ...) -> None: ...

class GetParameterSpaceRequest(_message.Message):
    __slots__ = ("workflow", "workflow_version")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    workflow: str
    workflow_version: int
    def __init__(self, workflow: _Optional[str] = ..., workflow_version: _Optional[int] = ...) -> None: ...

class GetParameterSpaceResponse(_message.Message):
    __slots__ = ("parameters", "objectives", "notes")
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVES_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.RepeatedCompositeFieldContainer[_campaign_pb2.ParameterSpec]
    objectives: _containers.RepeatedCompositeFieldContainer[_campaign_pb2.Objective]
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, parameters: _Optional[_Iterable[_Union[_campaign_pb2.ParameterSpec, _Mapping]]] = ..., objectives: _Optional[_Iterable[_Union[_campaign_pb2.Objective, _Mapping]]] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateCampaignRequest(_message.Message):
    __slots__ = ("display_name", "spec", "existing_data", "request_id")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    EXISTING_DATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    spec: _campaign_pb2.CampaignSpec
    existing_data: _campaign_pb2.ExistingData
    request_id: str
    def __init__(self, display_name: _Optional[str] = ..., spec: _Optional[_Union[_campaign_pb2.CampaignSpec, _Mapping]] = ..., existing_data: _Optional[_Union[_campaign_pb2.ExistingData, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class GetCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class GetCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class ListCampaignsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "run_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    run_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class ListCampaignsResponse(_message.Message):
    __slots__ = ("campaigns", "next_page_token")
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[_campaign_pb2.Campaign]
    next_page_token: str
    def __init__(self, campaigns: _Optional[_Iterable[_Union[_campaign_pb2.Campaign, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SuggestTrialsRequest(_message.Message):
    __slots__ = ("campaign_id", "count")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    count: int
    def __init__(self, campaign_id: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class SuggestTrialsResponse(_message.Message):
    __slots__ = ("trials",)
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[_campaign_pb2.Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[_campaign_pb2.Trial, _Mapping]]] = ...) -> None: ...

class ReportTrialsRequest(_message.Message):
    __slots__ = ("campaign_id", "results")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    results: _containers.RepeatedCompositeFieldContainer[TrialResult]
    def __init__(self, campaign_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[TrialResult, _Mapping]]] = ...) -> None: ...

class TrialResult(_message.Message):
    __slots__ = ("number", "outputs", "failed", "error")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    number: int
    outputs: _struct_pb2.Struct
    failed: bool
    error: str
    def __init__(self, number: _Optional[int] = ..., outputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., failed: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...

class ReportTrialsResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class DeleteCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class DeleteCampaignResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
