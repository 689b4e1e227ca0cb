from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OperationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_KIND_UNSPECIFIED: _ClassVar[OperationKind]
    OPERATION_KIND_METHOD: _ClassVar[OperationKind]
    OPERATION_KIND_PROPERTY_GET: _ClassVar[OperationKind]
    OPERATION_KIND_PROPERTY_SET: _ClassVar[OperationKind]
OPERATION_KIND_UNSPECIFIED: OperationKind
OPERATION_KIND_METHOD: OperationKind
OPERATION_KIND_PROPERTY_GET: OperationKind
OPERATION_KIND_PROPERTY_SET: OperationKind
PARAMETER_FIELD_NUMBER: _ClassVar[int]
parameter: _descriptor.FieldDescriptor
OPERATION_FIELD_NUMBER: _ClassVar[int]
operation: _descriptor.FieldDescriptor

class ParameterOptions(_message.Message):
    __slots__ = ("required", "default_json", "unit", "minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_JSON_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIVE_MINIMUM_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIVE_MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    required: bool
    default_json: str
    unit: str
    minimum: float
    maximum: float
    exclusive_minimum: float
    exclusive_maximum: float
    def __init__(self, required: _Optional[bool] = ..., default_json: _Optional[str] = ..., unit: _Optional[str] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., exclusive_minimum: _Optional[float] = ..., exclusive_maximum: _Optional[float] = ...) -> None: ...

class OperationOptions(_message.Message):
    __slots__ = ("python_name", "kind", "is_async")
    PYTHON_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    IS_ASYNC_FIELD_NUMBER: _ClassVar[int]
    python_name: str
    kind: OperationKind
    is_async: bool
    def __init__(self, python_name: _Optional[str] = ..., kind: _Optional[_Union[OperationKind, str]] = ..., is_async: _Optional[bool] = ...) -> None: ...
