from google.protobuf import struct_pb2 as _struct_pb2
from ivorygrpc.v1 import call_record_pb2 as _call_record_pb2
from ivorygrpc.v1 import instrument_pb2 as _instrument_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListInstrumentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInstrumentsResponse(_message.Message):
    __slots__ = ("instruments", "next_page_token")
    INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    instruments: _containers.RepeatedCompositeFieldContainer[_instrument_pb2.Instrument]
    next_page_token: str
    def __init__(self, instruments: _Optional[_Iterable[_Union[_instrument_pb2.Instrument, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetInstrumentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetInstrumentResponse(_message.Message):
    __slots__ = ("instrument",)
    INSTRUMENT_FIELD_NUMBER: _ClassVar[int]
    instrument: _instrument_pb2.Instrument
    def __init__(self, instrument: _Optional[_Union[_instrument_pb2.Instrument, _Mapping]] = ...) -> None: ...

class CallMethodRequest(_message.Message):
    __slots__ = ("instrument", "method", "arguments", "request_id", "override_busy")
    INSTRUMENT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_BUSY_FIELD_NUMBER: _ClassVar[int]
    instrument: str
    method: str
    arguments: _struct_pb2.Struct
    request_id: str
    override_busy: bool
    def __init__(self, instrument: _Optional[str] = ..., method: _Optional[str] = ..., arguments: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., request_id: _Optional[str] = ..., override_busy: _Optional[bool] = ...) -> None: ...

class CallMethodResponse(_message.Message):
    __slots__ = ("result", "call")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    result: _struct_pb2.Value
    call: _call_record_pb2.CallRecord
    def __init__(self, result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., call: _Optional[_Union[_call_record_pb2.CallRecord, _Mapping]] = ...) -> None: ...

class ListCallsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "instrument")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    instrument: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., instrument: _Optional[str] = ...) -> None: ...

class ListCallsResponse(_message.Message):
    __slots__ = ("calls", "next_page_token")
    CALLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[_call_record_pb2.CallRecord]
    next_page_token: str
    def __init__(self, calls: _Optional[_Iterable[_Union[_call_record_pb2.CallRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetCallRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: _call_record_pb2.CallRecord
    def __init__(self, call: _Optional[_Union[_call_record_pb2.CallRecord, _Mapping]] = ...) -> None: ...

class ExportSchemaRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExportSchemaResponse(_message.Message):
    __slots__ = ("file_descriptor_set", "files")
    FILE_DESCRIPTOR_SET_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    file_descriptor_set: bytes
    files: _containers.RepeatedCompositeFieldContainer[ProtoFile]
    def __init__(self, file_descriptor_set: _Optional[bytes] = ..., files: _Optional[_Iterable[_Union[ProtoFile, _Mapping]]] = ...) -> None: ...

class ProtoFile(_message.Message):
    __slots__ = ("name", "content")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    content: str
    def __init__(self, name: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...
