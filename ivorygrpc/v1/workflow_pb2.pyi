import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkflowState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_STATE_UNSPECIFIED: _ClassVar[WorkflowState]
    WORKFLOW_STATE_EDITING: _ClassVar[WorkflowState]
    WORKFLOW_STATE_FINALIZED: _ClassVar[WorkflowState]

class InputType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INPUT_TYPE_UNSPECIFIED: _ClassVar[InputType]
    INPUT_TYPE_STRING: _ClassVar[InputType]
    INPUT_TYPE_NUMBER: _ClassVar[InputType]
    INPUT_TYPE_INTEGER: _ClassVar[InputType]
    INPUT_TYPE_BOOLEAN: _ClassVar[InputType]
WORKFLOW_STATE_UNSPECIFIED: WorkflowState
WORKFLOW_STATE_EDITING: WorkflowState
WORKFLOW_STATE_FINALIZED: WorkflowState
INPUT_TYPE_UNSPECIFIED: InputType
INPUT_TYPE_STRING: InputType
INPUT_TYPE_NUMBER: InputType
INPUT_TYPE_INTEGER: InputType
INPUT_TYPE_BOOLEAN: InputType

class Workflow(_message.Message):
    __slots__ = ("name", "display_name", "description", "deck", "author", "create_time", "update_time", "etag", "version", "state", "registered", "prep", "main", "cleanup")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DECK_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    PREP_FIELD_NUMBER: _ClassVar[int]
    MAIN_FIELD_NUMBER: _ClassVar[int]
    CLEANUP_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    description: str
    deck: str
    author: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    version: int
    state: WorkflowState
    registered: bool
    prep: _containers.RepeatedCompositeFieldContainer[Step]
    main: _containers.RepeatedCompositeFieldContainer[Step]
    cleanup: _containers.RepeatedCompositeFieldContainer[Step]
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., deck: _Optional[str] = ..., author: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[_Union[WorkflowState, str]] = ..., registered: _Optional[bool] = ..., prep: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., main: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., cleanup: _Optional[_Iterable[_Union[Step, _Mapping]]] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("id", "disabled", "call", "set_variable", "if_else", "while_loop", "repeat", "wait", "pause", "input", "comment", "call_workflow")
    ID_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    SET_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    IF_ELSE_FIELD_NUMBER: _ClassVar[int]
    WHILE_LOOP_FIELD_NUMBER: _ClassVar[int]
    REPEAT_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CALL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    id: str
    disabled: bool
    call: CallStep
    set_variable: SetVariableStep
    if_else: IfElseStep
    while_loop: WhileStep
    repeat: RepeatStep
    wait: WaitStep
    pause: PauseStep
    input: InputStep
    comment: CommentStep
    call_workflow: CallWorkflowStep
    def __init__(self, id: _Optional[str] = ..., disabled: _Optional[bool] = ..., call: _Optional[_Union[CallStep, _Mapping]] = ..., set_variable: _Optional[_Union[SetVariableStep, _Mapping]] = ..., if_else: _Optional[_Union[IfElseStep, _Mapping]] = ..., while_loop: _Optional[_Union[WhileStep, _Mapping]] = ..., repeat: _Optional[_Union[RepeatStep, _Mapping]] = ..., wait: _Optional[_Union[WaitStep, _Mapping]] = ..., pause: _Optional[_Union[PauseStep, _Mapping]] = ..., input: _Optional[_Union[InputStep, _Mapping]] = ..., comment: _Optional[_Union[CommentStep, _Mapping]] = ..., call_workflow: _Optional[_Union[CallWorkflowStep, _Mapping]] = ...) -> None: ...

class ArgumentValue(_message.Message):
    __slots__ = ("literal", "parameter", "variable", "expression")
    LITERAL_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    literal: _struct_pb2.Value
    parameter: str
    variable: str
    expression: str
    def __init__(self, literal: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., parameter: _Optional[str] = ..., variable: _Optional[str] = ..., expression: _Optional[str] = ...) -> None: ...

class CallStep(_message.Message):
    __slots__ = ("instrument", "method", "arguments", "save_as", "once_per_batch")
    class ArgumentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ArgumentValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ArgumentValue, _Mapping]] = ...) -> None: ...
    INSTRUMENT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    SAVE_AS_FIELD_NUMBER: _ClassVar[int]
    ONCE_PER_BATCH_FIELD_NUMBER: _ClassVar[int]
    instrument: str
    method: str
    arguments: _containers.MessageMap[str, ArgumentValue]
    save_as: _containers.RepeatedScalarFieldContainer[str]
    once_per_batch: bool
    def __init__(self, instrument: _Optional[str] = ..., method: _Optional[str] = ..., arguments: _Optional[_Mapping[str, ArgumentValue]] = ..., save_as: _Optional[_Iterable[str]] = ..., once_per_batch: _Optional[bool] = ...) -> None: ...

class SetVariableStep(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: ArgumentValue
    def __init__(self, name: _Optional[str] = ..., value: _Optional[_Union[ArgumentValue, _Mapping]] = ...) -> None: ...

class IfElseStep(_message.Message):
    __slots__ = ("condition", "then_steps", "else_steps")
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    THEN_STEPS_FIELD_NUMBER: _ClassVar[int]
    ELSE_STEPS_FIELD_NUMBER: _ClassVar[int]
    condition: str
    then_steps: _containers.RepeatedCompositeFieldContainer[Step]
    else_steps: _containers.RepeatedCompositeFieldContainer[Step]
    def __init__(self, condition: _Optional[str] = ..., then_steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., else_steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ...) -> None: ...

class WhileStep(_message.Message):
    __slots__ = ("condition", "steps", "max_iterations")
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    MAX_ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    condition: str
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    max_iterations: int
    def __init__(self, condition: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., max_iterations: _Optional[int] = ...) -> None: ...

class RepeatStep(_message.Message):
    __slots__ = ("count", "steps")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    count: ArgumentValue
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    def __init__(self, count: _Optional[_Union[ArgumentValue, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ...) -> None: ...

class WaitStep(_message.Message):
    __slots__ = ("seconds",)
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    seconds: ArgumentValue
    def __init__(self, seconds: _Optional[_Union[ArgumentValue, _Mapping]] = ...) -> None: ...

class PauseStep(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: str
    def __init__(self, message: _Optional[str] = ...) -> None: ...

class InputStep(_message.Message):
    __slots__ = ("name", "prompt", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    prompt: str
    type: InputType
    def __init__(self, name: _Optional[str] = ..., prompt: _Optional[str] = ..., type: _Optional[_Union[InputType, str]] = ...) -> None: ...

class CommentStep(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class CallWorkflowStep(_message.Message):
    __slots__ = ("workflow", "version", "arguments", "save_as")
    class ArgumentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ArgumentValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ArgumentValue, _Mapping]] = ...) -> None: ...
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    SAVE_AS_FIELD_NUMBER: _ClassVar[int]
    workflow: str
    version: int
    arguments: _containers.MessageMap[str, ArgumentValue]
    save_as: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workflow: _Optional[str] = ..., version: _Optional[int] = ..., arguments: _Optional[_Mapping[str, ArgumentValue]] = ..., save_as: _Optional[_Iterable[str]] = ...) -> None: ...
