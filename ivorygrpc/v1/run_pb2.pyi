import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ivorygrpc.v1 import campaign_pb2 as _campaign_pb2
from ivorygrpc.v1 import workflow_pb2 as _workflow_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STATE_UNSPECIFIED: _ClassVar[RunState]
    RUN_STATE_QUEUED: _ClassVar[RunState]
    RUN_STATE_RUNNING: _ClassVar[RunState]
    RUN_STATE_PAUSED: _ClassVar[RunState]
    RUN_STATE_SUCCEEDED: _ClassVar[RunState]
    RUN_STATE_FAILED: _ClassVar[RunState]
    RUN_STATE_STOPPED: _ClassVar[RunState]
    RUN_STATE_CANCELLED: _ClassVar[RunState]
    RUN_STATE_INTERRUPTED: _ClassVar[RunState]

class RunPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_PHASE_UNSPECIFIED: _ClassVar[RunPhase]
    RUN_PHASE_PREP: _ClassVar[RunPhase]
    RUN_PHASE_MAIN: _ClassVar[RunPhase]
    RUN_PHASE_CLEANUP: _ClassVar[RunPhase]

class PauseKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAUSE_KIND_UNSPECIFIED: _ClassVar[PauseKind]
    PAUSE_KIND_OPERATOR: _ClassVar[PauseKind]
    PAUSE_KIND_STEP_ERROR: _ClassVar[PauseKind]
    PAUSE_KIND_PAUSE_STEP: _ClassVar[PauseKind]
    PAUSE_KIND_INPUT: _ClassVar[PauseKind]
RUN_STATE_UNSPECIFIED: RunState
RUN_STATE_QUEUED: RunState
RUN_STATE_RUNNING: RunState
RUN_STATE_PAUSED: RunState
RUN_STATE_SUCCEEDED: RunState
RUN_STATE_FAILED: RunState
RUN_STATE_STOPPED: RunState
RUN_STATE_CANCELLED: RunState
RUN_STATE_INTERRUPTED: RunState
RUN_PHASE_UNSPECIFIED: RunPhase
RUN_PHASE_PREP: RunPhase
RUN_PHASE_MAIN: RunPhase
RUN_PHASE_CLEANUP: RunPhase
PAUSE_KIND_UNSPECIFIED: PauseKind
PAUSE_KIND_OPERATOR: PauseKind
PAUSE_KIND_STEP_ERROR: PauseKind
PAUSE_KIND_PAUSE_STEP: PauseKind
PAUSE_KIND_INPUT: PauseKind

class Run(_message.Message):
    __slots__ = ("id", "display_name", "workflow", "workflow_version", "submitter", "mode", "batch_size", "options", "state", "pause", "progress", "create_time", "start_time", "end_time", "error", "queue_position", "iterations", "phases")
    ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    SUBMITTER_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    id: str
    display_name: str
    workflow: str
    workflow_version: int
    submitter: str
    mode: RunMode
    batch_size: int
    options: RunOptions
    state: RunState
    pause: PauseReason
    progress: RunProgress
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    error: RunError
    queue_position: int
    iterations: _containers.RepeatedCompositeFieldContainer[Iteration]
    phases: _containers.RepeatedCompositeFieldContainer[PhaseRecord]
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ..., workflow: _Optional[str] = ..., workflow_version: _Optional[int] = ..., submitter: _Optional[str] = ..., mode: _Optional[_Union[RunMode, _Mapping]] = ..., batch_size: _Optional[int] = ..., options: _Optional[_Union[RunOptions, _Mapping]] = ..., state: _Optional[_Union[RunState, str]] = ..., pause: _Optional[_Union[PauseReason, _Mapping]] = ..., progress: _Optional[_Union[RunProgress, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[RunError, _Mapping]] = ..., queue_position: _Optional[int] = ..., iterations: _Optional[_Iterable[_Union[Iteration, _Mapping]]] = ..., phases: _Optional[_Iterable[_Union[PhaseRecord, _Mapping]]] = ...) -> None: ...

class Iteration(_message.Message):
    __slots__ = ("samples",)
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    samples: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    def __init__(self, samples: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ...) -> None: ...

class RunMode(_message.Message):
    __slots__ = ("repeat", "rows", "csv", "campaign")
    REPEAT_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    CSV_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    repeat: RepeatMode
    rows: ParameterRows
    csv: CsvRows
    campaign: CampaignMode
    def __init__(self, repeat: _Optional[_Union[RepeatMode, _Mapping]] = ..., rows: _Optional[_Union[ParameterRows, _Mapping]] = ..., csv: _Optional[_Union[CsvRows, _Mapping]] = ..., campaign: _Optional[_Union[CampaignMode, _Mapping]] = ...) -> None: ...

class RepeatMode(_message.Message):
    __slots__ = ("count", "parameters")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    count: int
    parameters: _struct_pb2.Struct
    def __init__(self, count: _Optional[int] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ParameterRows(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    def __init__(self, rows: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ...) -> None: ...

class CsvRows(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class CampaignMode(_message.Message):
    __slots__ = ("spec", "iterations", "existing_data", "campaign_id")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    EXISTING_DATA_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    spec: _campaign_pb2.CampaignSpec
    iterations: int
    existing_data: _campaign_pb2.ExistingData
    campaign_id: str
    def __init__(self, spec: _Optional[_Union[_campaign_pb2.CampaignSpec, _Mapping]] = ..., iterations: _Optional[int] = ..., existing_data: _Optional[_Union[_campaign_pb2.ExistingData, _Mapping]] = ..., campaign_id: _Optional[str] = ...) -> None: ...

class RunOptions(_message.Message):
    __slots__ = ("cleanup_on_stop", "continue_queue_on_stop")
    CLEANUP_ON_STOP_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_QUEUE_ON_STOP_FIELD_NUMBER: _ClassVar[int]
    cleanup_on_stop: bool
    continue_queue_on_stop: bool
    def __init__(self, cleanup_on_stop: _Optional[bool] = ..., continue_queue_on_stop: _Optional[bool] = ...) -> None: ...

class PauseReason(_message.Message):
    __slots__ = ("id", "kind", "step_id", "message", "error", "input_type", "phase", "iteration", "sample", "time")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    INPUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    ITERATION_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: PauseKind
    step_id: str
    message: str
    error: RunError
    input_type: _workflow_pb2.InputType
    phase: RunPhase
    iteration: int
    sample: int
    time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[PauseKind, str]] = ..., step_id: _Optional[str] = ..., message: _Optional[str] = ..., error: _Optional[_Union[RunError, _Mapping]] = ..., input_type: _Optional[_Union[_workflow_pb2.InputType, str]] = ..., phase: _Optional[_Union[RunPhase, str]] = ..., iteration: _Optional[int] = ..., sample: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunError(_message.Message):
    __slots__ = ("step_id", "type", "message")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    type: str
    message: str
    def __init__(self, step_id: _Optional[str] = ..., type: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class RunProgress(_message.Message):
    __slots__ = ("phase", "iteration", "iterations", "step_id", "last_completed_step_id", "fraction")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    ITERATION_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_COMPLETED_STEP_ID_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    phase: RunPhase
    iteration: int
    iterations: int
    step_id: str
    last_completed_step_id: str
    fraction: float
    def __init__(self, phase: _Optional[_Union[RunPhase, str]] = ..., iteration: _Optional[int] = ..., iterations: _Optional[int] = ..., step_id: _Optional[str] = ..., last_completed_step_id: _Optional[str] = ..., fraction: _Optional[float] = ...) -> None: ...

class PhaseRecord(_message.Message):
    __slots__ = ("phase", "iterations")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    phase: RunPhase
    iterations: _containers.RepeatedCompositeFieldContainer[IterationRecord]
    def __init__(self, phase: _Optional[_Union[RunPhase, str]] = ..., iterations: _Optional[_Iterable[_Union[IterationRecord, _Mapping]]] = ...) -> None: ...

class IterationRecord(_message.Message):
    __slots__ = ("index", "parameters", "outputs", "steps", "start_time", "end_time")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    index: int
    parameters: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    outputs: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    steps: _containers.RepeatedCompositeFieldContainer[StepRecord]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, index: _Optional[int] = ..., parameters: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., steps: _Optional[_Iterable[_Union[StepRecord, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StepRecord(_message.Message):
    __slots__ = ("step_id", "kind", "title", "sample", "attempt", "arguments", "output", "error", "skipped", "start_time", "end_time")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    kind: str
    title: str
    sample: int
    attempt: int
    arguments: _struct_pb2.Struct
    output: _struct_pb2.Value
    error: RunError
    skipped: bool
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, step_id: _Optional[str] = ..., kind: _Optional[str] = ..., title: _Optional[str] = ..., sample: _Optional[int] = ..., attempt: _Optional[int] = ..., arguments: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., error: _Optional[_Union[RunError, _Mapping]] = ..., skipped: _Optional[bool] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunEvent(_message.Message):
    __slots__ = ("sequence", "run_id", "time", "state_changed", "phase_started", "phase_finished", "iteration_started", "iteration_finished", "step_started", "step_finished", "log", "prompt_requested", "prompt_answered", "progress", "heartbeat", "queue_changed", "trials_suggested", "trials_observed")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    PHASE_STARTED_FIELD_NUMBER: _ClassVar[int]
    PHASE_FINISHED_FIELD_NUMBER: _ClassVar[int]
    ITERATION_STARTED_FIELD_NUMBER: _ClassVar[int]
    ITERATION_FINISHED_FIELD_NUMBER: _ClassVar[int]
    STEP_STARTED_FIELD_NUMBER: _ClassVar[int]
    STEP_FINISHED_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    PROMPT_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    PROMPT_ANSWERED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    TRIALS_SUGGESTED_FIELD_NUMBER: _ClassVar[int]
    TRIALS_OBSERVED_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    run_id: str
    time: _timestamp_pb2.Timestamp
    state_changed: RunStateChanged
    phase_started: PhaseEvent
    phase_finished: PhaseEvent
    iteration_started: IterationEvent
    iteration_finished: IterationEvent
    step_started: StepEvent
    step_finished: StepEvent
    log: LogLine
    prompt_requested: PauseReason
    prompt_answered: PromptAnswered
    progress: RunProgress
    heartbeat: Heartbeat
    queue_changed: QueueChanged
    trials_suggested: _campaign_pb2.TrialsSuggested
    trials_observed: _campaign_pb2.TrialsObserved
    def __init__(self, sequence: _Optional[int] = ..., run_id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state_changed: _Optional[_Union[RunStateChanged, _Mapping]] = ..., phase_started: _Optional[_Union[PhaseEvent, _Mapping]] = ..., phase_finished: _Optional[_Union[PhaseEvent, _Mapping]] = ..., iteration_started: _Optional[_Union[IterationEvent, _Mapping]] = ..., iteration_finished: _Optional[_Union[IterationEvent, _Mapping]] = ..., step_started: _Optional[_Union[StepEvent, _Mapping]] = ..., step_finished: _Optional[_Union[StepEvent, _Mapping]] = ..., log: _Optional[_Union[LogLine, _Mapping]] = ..., prompt_requested: _Optional[_Union[PauseReason, _Mapping]] = ..., prompt_answered: _Optional[_Union[PromptAnswered, _Mapping]] = ..., progress: _Optional[_Union[RunProgress, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., queue_changed: _Optional[_Union[QueueChanged, _Mapping]] = ..., trials_suggested: _Optional[_Union[_campaign_pb2.TrialsSuggested, _Mapping]] = ..., trials_observed: _Optional[_Union[_campaign_pb2.TrialsObserved, _Mapping]] = ...) -> None: ...

class RunStateChanged(_message.Message):
    __slots__ = ("state", "previous", "pause", "error")
    STATE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    state: RunState
    previous: RunState
    pause: PauseReason
    error: RunError
    def __init__(self, state: _Optional[_Union[RunState, str]] = ..., previous: _Optional[_Union[RunState, str]] = ..., pause: _Optional[_Union[PauseReason, _Mapping]] = ..., error: _Optional[_Union[RunError, _Mapping]] = ...) -> None: ...

class PhaseEvent(_message.Message):
    __slots__ = ("phase",)
    PHASE_FIELD_NUMBER: _ClassVar[int]
    phase: RunPhase
    def __init__(self, phase: _Optional[_Union[RunPhase, str]] = ...) -> None: ...

class IterationEvent(_message.Message):
    __slots__ = ("phase", "index", "total", "parameters", "outputs")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    phase: RunPhase
    index: int
    total: int
    parameters: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    outputs: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    def __init__(self, phase: _Optional[_Union[RunPhase, str]] = ..., index: _Optional[int] = ..., total: _Optional[int] = ..., parameters: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ...) -> None: ...

class StepEvent(_message.Message):
    __slots__ = ("step_id", "kind", "title", "phase", "iteration", "sample", "attempt", "arguments", "output", "error", "duration", "skipped")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    ITERATION_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    kind: str
    title: str
    phase: RunPhase
    iteration: int
    sample: int
    attempt: int
    arguments: _struct_pb2.Struct
    output: _struct_pb2.Value
    error: RunError
    duration: _duration_pb2.Duration
    skipped: bool
    def __init__(self, step_id: _Optional[str] = ..., kind: _Optional[str] = ..., title: _Optional[str] = ..., phase: _Optional[_Union[RunPhase, str]] = ..., iteration: _Optional[int] = ..., sample: _Optional[int] = ..., attempt: _Optional[int] = ..., arguments: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., error: _Optional[_Union[RunError, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., skipped: _Optional[bool] = ...) -> None: ...

class LogLine(_message.Message):
    __slots__ = ("level", "logger", "message")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    LOGGER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    level: str
    logger: str
    message: str
    def __init__(self, level: _Optional[str] = ..., logger: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class PromptAnswered(_message.Message):
    __slots__ = ("pause_id", "user", "value")
    PAUSE_ID_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    pause_id: str
    user: str
    value: _struct_pb2.Value
    def __init__(self, pause_id: _Optional[str] = ..., user: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueueChanged(_message.Message):
    __slots__ = ("paused", "change", "run_id")
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    paused: bool
    change: str
    run_id: str
    def __init__(self, paused: _Optional[bool] = ..., change: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...
