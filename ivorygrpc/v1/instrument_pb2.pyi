from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InstrumentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSTRUMENT_KIND_UNSPECIFIED: _ClassVar[InstrumentKind]
    INSTRUMENT_KIND_OBJECT: _ClassVar[InstrumentKind]
    INSTRUMENT_KIND_BLOCKS: _ClassVar[InstrumentKind]

class MethodKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METHOD_KIND_UNSPECIFIED: _ClassVar[MethodKind]
    METHOD_KIND_METHOD: _ClassVar[MethodKind]
    METHOD_KIND_PROPERTY_GET: _ClassVar[MethodKind]
    METHOD_KIND_PROPERTY_SET: _ClassVar[MethodKind]

class ValueKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VALUE_KIND_UNSPECIFIED: _ClassVar[ValueKind]
    VALUE_KIND_DOUBLE: _ClassVar[ValueKind]
    VALUE_KIND_INT64: _ClassVar[ValueKind]
    VALUE_KIND_STRING: _ClassVar[ValueKind]
    VALUE_KIND_BOOL: _ClassVar[ValueKind]
    VALUE_KIND_BYTES: _ClassVar[ValueKind]
    VALUE_KIND_ENUM: _ClassVar[ValueKind]
    VALUE_KIND_RECORD: _ClassVar[ValueKind]
    VALUE_KIND_TIMESTAMP: _ClassVar[ValueKind]
    VALUE_KIND_ANY: _ClassVar[ValueKind]

class ReturnKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETURN_KIND_UNSPECIFIED: _ClassVar[ReturnKind]
    RETURN_KIND_NONE: _ClassVar[ReturnKind]
    RETURN_KIND_SCALAR: _ClassVar[ReturnKind]
    RETURN_KIND_TUPLE: _ClassVar[ReturnKind]
    RETURN_KIND_RECORD: _ClassVar[ReturnKind]
INSTRUMENT_KIND_UNSPECIFIED: InstrumentKind
INSTRUMENT_KIND_OBJECT: InstrumentKind
INSTRUMENT_KIND_BLOCKS: InstrumentKind
METHOD_KIND_UNSPECIFIED: MethodKind
METHOD_KIND_METHOD: MethodKind
METHOD_KIND_PROPERTY_GET: MethodKind
METHOD_KIND_PROPERTY_SET: MethodKind
VALUE_KIND_UNSPECIFIED: ValueKind
VALUE_KIND_DOUBLE: ValueKind
VALUE_KIND_INT64: ValueKind
VALUE_KIND_STRING: ValueKind
VALUE_KIND_BOOL: ValueKind
VALUE_KIND_BYTES: ValueKind
VALUE_KIND_ENUM: ValueKind
VALUE_KIND_RECORD: ValueKind
VALUE_KIND_TIMESTAMP: ValueKind
VALUE_KIND_ANY: ValueKind
RETURN_KIND_UNSPECIFIED: ReturnKind
RETURN_KIND_NONE: ReturnKind
RETURN_KIND_SCALAR: ReturnKind
RETURN_KIND_TUPLE: ReturnKind
RETURN_KIND_RECORD: ReturnKind

class Instrument(_message.Message):
    __slots__ = ("name", "kind", "class_name", "description", "service", "methods")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: InstrumentKind
    class_name: str
    description: str
    service: str
    methods: _containers.RepeatedCompositeFieldContainer[Method]
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[InstrumentKind, str]] = ..., class_name: _Optional[str] = ..., description: _Optional[str] = ..., service: _Optional[str] = ..., methods: _Optional[_Iterable[_Union[Method, _Mapping]]] = ...) -> None: ...

class Method(_message.Message):
    __slots__ = ("name", "rpc", "full_method", "kind", "description", "is_async", "parameters", "returns")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RPC_FIELD_NUMBER: _ClassVar[int]
    FULL_METHOD_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IS_ASYNC_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    name: str
    rpc: str
    full_method: str
    kind: MethodKind
    description: str
    is_async: bool
    parameters: _containers.RepeatedCompositeFieldContainer[Parameter]
    returns: ReturnShape
    def __init__(self, name: _Optional[str] = ..., rpc: _Optional[str] = ..., full_method: _Optional[str] = ..., kind: _Optional[_Union[MethodKind, str]] = ..., description: _Optional[str] = ..., is_async: _Optional[bool] = ..., parameters: _Optional[_Iterable[_Union[Parameter, _Mapping]]] = ..., returns: _Optional[_Union[ReturnShape, _Mapping]] = ...) -> None: ...

class Parameter(_message.Message):
    __slots__ = ("name", "type", "required", "default_value", "unit", "minimum", "maximum")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: TypeInfo
    required: bool
    default_value: _struct_pb2.Value
    unit: str
    minimum: float
    maximum: float
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[TypeInfo, _Mapping]] = ..., required: _Optional[bool] = ..., default_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., unit: _Optional[str] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ...) -> None: ...

class TypeInfo(_message.Message):
    __slots__ = ("python", "kind", "repeated", "nullable", "choices", "proto_type", "fields")
    PYTHON_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REPEATED_FIELD_NUMBER: _ClassVar[int]
    NULLABLE_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    PROTO_TYPE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    python: str
    kind: ValueKind
    repeated: bool
    nullable: bool
    choices: _containers.RepeatedScalarFieldContainer[str]
    proto_type: str
    fields: _containers.RepeatedCompositeFieldContainer[RecordField]
    def __init__(self, python: _Optional[str] = ..., kind: _Optional[_Union[ValueKind, str]] = ..., repeated: _Optional[bool] = ..., nullable: _Optional[bool] = ..., choices: _Optional[_Iterable[str]] = ..., proto_type: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[RecordField, _Mapping]]] = ...) -> None: ...

class RecordField(_message.Message):
    __slots__ = ("name", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: TypeInfo
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[TypeInfo, _Mapping]] = ...) -> None: ...

class ReturnShape(_message.Message):
    __slots__ = ("kind", "fields")
    KIND_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    kind: ReturnKind
    fields: _containers.RepeatedCompositeFieldContainer[RecordField]
    def __init__(self, kind: _Optional[_Union[ReturnKind, str]] = ..., fields: _Optional[_Iterable[_Union[RecordField, _Mapping]]] = ...) -> None: ...
