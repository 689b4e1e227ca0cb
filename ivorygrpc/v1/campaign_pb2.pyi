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

class ParameterKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARAMETER_KIND_UNSPECIFIED: _ClassVar[ParameterKind]
    PARAMETER_KIND_RANGE: _ClassVar[ParameterKind]
    PARAMETER_KIND_CHOICE: _ClassVar[ParameterKind]
    PARAMETER_KIND_FIXED: _ClassVar[ParameterKind]

class SettingType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTING_TYPE_UNSPECIFIED: _ClassVar[SettingType]
    SETTING_TYPE_INT: _ClassVar[SettingType]
    SETTING_TYPE_FLOAT: _ClassVar[SettingType]
    SETTING_TYPE_BOOL: _ClassVar[SettingType]
    SETTING_TYPE_STRING: _ClassVar[SettingType]
    SETTING_TYPE_CHOICE: _ClassVar[SettingType]

class NumberType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NUMBER_TYPE_UNSPECIFIED: _ClassVar[NumberType]
    NUMBER_TYPE_INT: _ClassVar[NumberType]
    NUMBER_TYPE_FLOAT: _ClassVar[NumberType]

class ObjectiveDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBJECTIVE_DIRECTION_UNSPECIFIED: _ClassVar[ObjectiveDirection]
    OBJECTIVE_DIRECTION_MINIMIZE: _ClassVar[ObjectiveDirection]
    OBJECTIVE_DIRECTION_MAXIMIZE: _ClassVar[ObjectiveDirection]

class TrialState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIAL_STATE_UNSPECIFIED: _ClassVar[TrialState]
    TRIAL_STATE_PENDING: _ClassVar[TrialState]
    TRIAL_STATE_COMPLETED: _ClassVar[TrialState]
    TRIAL_STATE_FAILED: _ClassVar[TrialState]

class TrialSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIAL_SOURCE_UNSPECIFIED: _ClassVar[TrialSource]
    TRIAL_SOURCE_OPTIMIZER: _ClassVar[TrialSource]
    TRIAL_SOURCE_EXISTING: _ClassVar[TrialSource]
PARAMETER_KIND_UNSPECIFIED: ParameterKind
PARAMETER_KIND_RANGE: ParameterKind
PARAMETER_KIND_CHOICE: ParameterKind
PARAMETER_KIND_FIXED: ParameterKind
SETTING_TYPE_UNSPECIFIED: SettingType
SETTING_TYPE_INT: SettingType
SETTING_TYPE_FLOAT: SettingType
SETTING_TYPE_BOOL: SettingType
SETTING_TYPE_STRING: SettingType
SETTING_TYPE_CHOICE: SettingType
NUMBER_TYPE_UNSPECIFIED: NumberType
NUMBER_TYPE_INT: NumberType
NUMBER_TYPE_FLOAT: NumberType
OBJECTIVE_DIRECTION_UNSPECIFIED: ObjectiveDirection
OBJECTIVE_DIRECTION_MINIMIZE: ObjectiveDirection
OBJECTIVE_DIRECTION_MAXIMIZE: ObjectiveDirection
TRIAL_STATE_UNSPECIFIED: TrialState
TRIAL_STATE_PENDING: TrialState
TRIAL_STATE_COMPLETED: TrialState
TRIAL_STATE_FAILED: TrialState
TRIAL_SOURCE_UNSPECIFIED: TrialSource
TRIAL_SOURCE_OPTIMIZER: TrialSource
TRIAL_SOURCE_EXISTING: TrialSource

class Optimizer(_message.Message):
    __slots__ = ("name", "display_name", "description", "version", "is_default", "parameter_kinds", "supports_step", "supports_log_scale", "supports_multi_objective", "supports_constraints", "supports_batch", "settings")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_KINDS_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_STEP_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_LOG_SCALE_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_MULTI_OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_BATCH_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    description: str
    version: str
    is_default: bool
    parameter_kinds: _containers.RepeatedScalarFieldContainer[ParameterKind]
    supports_step: bool
    supports_log_scale: bool
    supports_multi_objective: bool
    supports_constraints: bool
    supports_batch: bool
    settings: _containers.RepeatedCompositeFieldContainer[OptimizerSetting]
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., version: _Optional[str] = ..., is_default: _Optional[bool] = ..., parameter_kinds: _Optional[_Iterable[_Union[ParameterKind, str]]] = ..., supports_step: _Optional[bool] = ..., supports_log_scale: _Optional[bool] = ..., supports_multi_objective: _Optional[bool] = ..., supports_constraints: _Optional[bool] = ..., supports_batch: _Optional[bool] = ..., settings: _Optional[_Iterable[_Union[OptimizerSetting, _Mapping]]] = ...) -> None: ...

class OptimizerSetting(_message.Message):
    __slots__ = ("name", "description", "type", "default_value", "choices", "minimum", "maximum")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    type: SettingType
    default_value: _struct_pb2.Value
    choices: _containers.RepeatedScalarFieldContainer[str]
    minimum: float
    maximum: float
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., type: _Optional[_Union[SettingType, str]] = ..., default_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., choices: _Optional[_Iterable[str]] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ...) -> None: ...

class CampaignSpec(_message.Message):
    __slots__ = ("optimizer", "settings", "parameters", "objectives", "constraints", "seed")
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVES_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    optimizer: str
    settings: _struct_pb2.Struct
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterSpec]
    objectives: _containers.RepeatedCompositeFieldContainer[Objective]
    constraints: _containers.RepeatedScalarFieldContainer[str]
    seed: int
    def __init__(self, optimizer: _Optional[str] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., parameters: _Optional[_Iterable[_Union[ParameterSpec, _Mapping]]] = ..., objectives: _Optional[_Iterable[_Union[Objective, _Mapping]]] = ..., constraints: _Optional[_Iterable[str]] = ..., seed: _Optional[int] = ...) -> None: ...

class ParameterSpec(_message.Message):
    __slots__ = ("name", "range", "choice", "fixed")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    CHOICE_FIELD_NUMBER: _ClassVar[int]
    FIXED_FIELD_NUMBER: _ClassVar[int]
    name: str
    range: RangeSpec
    choice: ChoiceSpec
    fixed: FixedSpec
    def __init__(self, name: _Optional[str] = ..., range: _Optional[_Union[RangeSpec, _Mapping]] = ..., choice: _Optional[_Union[ChoiceSpec, _Mapping]] = ..., fixed: _Optional[_Union[FixedSpec, _Mapping]] = ...) -> None: ...

class RangeSpec(_message.Message):
    __slots__ = ("low", "high", "step", "log_scale", "number_type")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    LOG_SCALE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_TYPE_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    step: float
    log_scale: bool
    number_type: NumberType
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ..., step: _Optional[float] = ..., log_scale: _Optional[bool] = ..., number_type: _Optional[_Union[NumberType, str]] = ...) -> None: ...

class ChoiceSpec(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, values: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ...) -> None: ...

class FixedSpec(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: _struct_pb2.Value
    def __init__(self, value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class Objective(_message.Message):
    __slots__ = ("name", "direction", "weight", "threshold")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    name: str
    direction: ObjectiveDirection
    weight: float
    threshold: float
    def __init__(self, name: _Optional[str] = ..., direction: _Optional[_Union[ObjectiveDirection, str]] = ..., weight: _Optional[float] = ..., threshold: _Optional[float] = ...) -> None: ...

class ExistingData(_message.Message):
    __slots__ = ("rows", "csv_text", "run_ids")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    CSV_TEXT_FIELD_NUMBER: _ClassVar[int]
    RUN_IDS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    csv_text: str
    run_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, rows: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., csv_text: _Optional[str] = ..., run_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Campaign(_message.Message):
    __slots__ = ("id", "display_name", "run_id", "workflow", "spec", "creator", "create_time", "update_time", "trials", "best_trials", "insights", "trial_count", "goal_reached")
    ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    BEST_TRIALS_FIELD_NUMBER: _ClassVar[int]
    INSIGHTS_FIELD_NUMBER: _ClassVar[int]
    TRIAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    GOAL_REACHED_FIELD_NUMBER: _ClassVar[int]
    id: str
    display_name: str
    run_id: str
    workflow: str
    spec: CampaignSpec
    creator: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    best_trials: _containers.RepeatedCompositeFieldContainer[Trial]
    insights: _containers.RepeatedCompositeFieldContainer[Insight]
    trial_count: int
    goal_reached: bool
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ..., run_id: _Optional[str] = ..., workflow: _Optional[str] = ..., spec: _Optional[_Union[CampaignSpec, _Mapping]] = ..., creator: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ..., best_trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ..., insights: _Optional[_Iterable[_Union[Insight, _Mapping]]] = ..., trial_count: _Optional[int] = ..., goal_reached: _Optional[bool] = ...) -> None: ...

class Trial(_message.Message):
    __slots__ = ("number", "state", "source", "parameters", "outputs", "objective_values", "feasible", "error", "iteration", "sample", "create_time", "complete_time")
    class ObjectiveValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_VALUES_FIELD_NUMBER: _ClassVar[int]
    FEASIBLE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ITERATION_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    number: int
    state: TrialState
    source: TrialSource
    parameters: _struct_pb2.Struct
    outputs: _struct_pb2.Struct
    objective_values: _containers.ScalarMap[str, float]
    feasible: bool
    error: str
    iteration: int
    sample: int
    create_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    def __init__(self, number: _Optional[int] = ..., state: _Optional[_Union[TrialState, str]] = ..., source: _Optional[_Union[TrialSource, str]] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., outputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., objective_values: _Optional[_Mapping[str, float]] = ..., feasible: _Optional[bool] = ..., error: _Optional[str] = ..., iteration: _Optional[int] = ..., sample: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Insight(_message.Message):
    __slots__ = ("name", "description", "objective", "values")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    objective: str
    values: _containers.ScalarMap[str, float]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., objective: _Optional[str] = ..., values: _Optional[_Mapping[str, float]] = ...) -> None: ...

class TrialsSuggested(_message.Message):
    __slots__ = ("campaign_id", "trials")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    def __init__(self, campaign_id: _Optional[str] = ..., trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ...) -> None: ...

class TrialsObserved(_message.Message):
    __slots__ = ("campaign_id", "trials", "goal_reached")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    GOAL_REACHED_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    goal_reached: bool
    def __init__(self, campaign_id: _Optional[str] = ..., trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ..., goal_reached: _Optional[bool] = ...) -> None: ...
