from google.protobuf import field_mask_pb2 as _field_mask_pb2
from ivorygrpc.v1 import instrument_pb2 as _instrument_pb2
from ivorygrpc.v1 import workflow_pb2 as _workflow_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateWorkflowRequest(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class CreateWorkflowResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class GetWorkflowRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetWorkflowResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class ListWorkflowsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "search", "deck", "state", "registered_only", "order_by")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    DECK_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_ONLY_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    search: str
    deck: str
    state: _workflow_pb2.WorkflowState
    registered_only: bool
    order_by: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., search: _Optional[str] = ..., deck: _Optional[str] = ..., state: _Optional[_Union[_workflow_pb2.WorkflowState, str]] = ..., registered_only: _Optional[bool] = ..., order_by: _Optional[str] = ...) -> None: ...

class ListWorkflowsResponse(_message.Message):
    __slots__ = ("workflows", "next_page_token")
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workflows: _containers.RepeatedCompositeFieldContainer[_workflow_pb2.Workflow]
    next_page_token: str
    def __init__(self, workflows: _Optional[_Iterable[_Union[_workflow_pb2.Workflow, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateWorkflowRequest(_message.Message):
    __slots__ = ("workflow", "update_mask", "etag")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    update_mask: _field_mask_pb2.FieldMask
    etag: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateWorkflowResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class DeleteWorkflowRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteWorkflowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListWorkflowVersionsRequest(_message.Message):
    __slots__ = ("name", "page_size", "page_token")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWorkflowVersionsResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[_workflow_pb2.Workflow]
    next_page_token: str
    def __init__(self, versions: _Optional[_Iterable[_Union[_workflow_pb2.Workflow, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class FinalizeWorkflowRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class FinalizeWorkflowResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class CopyWorkflowRequest(_message.Message):
    __slots__ = ("name", "version", "new_name")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    new_name: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., new_name: _Optional[str] = ...) -> None: ...

class CopyWorkflowResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class ValidateWorkflowRequest(_message.Message):
    __slots__ = ("workflow", "name")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    name: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class ValidateWorkflowResponse(_message.Message):
    __slots__ = ("valid", "problems")
    VALID_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    problems: _containers.RepeatedCompositeFieldContainer[ValidationProblem]
    def __init__(self, valid: _Optional[bool] = ..., problems: _Optional[_Iterable[_Union[ValidationProblem, _Mapping]]] = ...) -> None: ...

class ValidationProblem(_message.Message):
    __slots__ = ("step_id", "field", "message", "code")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    field: str
    message: str
    code: str
    def __init__(self, step_id: _Optional[str] = ..., field: _Optional[str] = ..., message: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class StepLocation(_message.Message):
    __slots__ = ("phase", "parent_step_id", "branch", "position")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    PARENT_STEP_ID_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    phase: str
    parent_step_id: str
    branch: str
    position: int
    def __init__(self, phase: _Optional[str] = ..., parent_step_id: _Optional[str] = ..., branch: _Optional[str] = ..., position: _Optional[int] = ...) -> None: ...

class AddStepRequest(_message.Message):
    __slots__ = ("name", "step", "location", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    step: _workflow_pb2.Step
    location: StepLocation
    etag: str
    def __init__(self, name: _Optional[str] = ..., step: _Optional[_Union[_workflow_pb2.Step, _Mapping]] = ..., location: _Optional[_Union[StepLocation, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class AddStepResponse(_message.Message):
    __slots__ = ("workflow", "step_id")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    step_id: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., step_id: _Optional[str] = ...) -> None: ...

class UpdateStepRequest(_message.Message):
    __slots__ = ("name", "step", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    step: _workflow_pb2.Step
    etag: str
    def __init__(self, name: _Optional[str] = ..., step: _Optional[_Union[_workflow_pb2.Step, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateStepResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class MoveStepRequest(_message.Message):
    __slots__ = ("name", "step_id", "location", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    step_id: str
    location: StepLocation
    etag: str
    def __init__(self, name: _Optional[str] = ..., step_id: _Optional[str] = ..., location: _Optional[_Union[StepLocation, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class MoveStepResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class RemoveStepRequest(_message.Message):
    __slots__ = ("name", "step_id", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    step_id: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., step_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class RemoveStepResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class DuplicateStepRequest(_message.Message):
    __slots__ = ("name", "step_id", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    step_id: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., step_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class DuplicateStepResponse(_message.Message):
    __slots__ = ("workflow", "step_id")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    step_id: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., step_id: _Optional[str] = ...) -> None: ...

class SetStepEnabledRequest(_message.Message):
    __slots__ = ("name", "step_id", "enabled", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    step_id: str
    enabled: bool
    etag: str
    def __init__(self, name: _Optional[str] = ..., step_id: _Optional[str] = ..., enabled: _Optional[bool] = ..., etag: _Optional[str] = ...) -> None: ...

class SetStepEnabledResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class GetRunParametersRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetRunParametersResponse(_message.Message):
    __slots__ = ("parameters", "outputs")
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.RepeatedCompositeFieldContainer[RunParameter]
    outputs: _containers.RepeatedCompositeFieldContainer[WorkflowOutput]
    def __init__(self, parameters: _Optional[_Iterable[_Union[RunParameter, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[WorkflowOutput, _Mapping]]] = ...) -> None: ...

class RunParameter(_message.Message):
    __slots__ = ("name", "type", "step_ids")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_IDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _instrument_pb2.TypeInfo
    step_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_instrument_pb2.TypeInfo, _Mapping]] = ..., step_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class WorkflowOutput(_message.Message):
    __slots__ = ("name", "type", "step_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _instrument_pb2.TypeInfo
    step_id: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_instrument_pb2.TypeInfo, _Mapping]] = ..., step_id: _Optional[str] = ...) -> None: ...

class RenderPythonRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class RenderPythonResponse(_message.Message):
    __slots__ = ("source",)
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    source: str
    def __init__(self, source: _Optional[str] = ...) -> None: ...

class ImportWorkflowRequest(_message.Message):
    __slots__ = ("python_source", "ivoryos_json", "name", "save")
    PYTHON_SOURCE_FIELD_NUMBER: _ClassVar[int]
    IVORYOS_JSON_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SAVE_FIELD_NUMBER: _ClassVar[int]
    python_source: str
    ivoryos_json: str
    name: str
    save: bool
    def __init__(self, python_source: _Optional[str] = ..., ivoryos_json: _Optional[str] = ..., name: _Optional[str] = ..., save: _Optional[bool] = ...) -> None: ...

class ImportWorkflowResponse(_message.Message):
    __slots__ = ("workflows",)
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    workflows: _containers.RepeatedCompositeFieldContainer[ImportedWorkflow]
    def __init__(self, workflows: _Optional[_Iterable[_Union[ImportedWorkflow, _Mapping]]] = ...) -> None: ...

class ImportedWorkflow(_message.Message):
    __slots__ = ("workflow", "warnings")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...
