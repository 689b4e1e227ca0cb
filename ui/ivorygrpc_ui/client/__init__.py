"""The UI's only gRPC boundary: every call to the server is made here.

Only this package imports ``grpc`` and the service stubs (``ivorygrpc.v1.*_pb2_grpc``);
other UI modules may use the message types (``*_pb2``) as data (import-linter contracts in
pyproject.toml).

- `connection`: `Connection`, `login`, `resume`, `Role`, `UiError`, `rpc_errors`
- `errors`: how a failed call becomes `UiError` (code, ErrorInfo reason, user text)
- `values`: Value/Struct <-> Python, display helpers (`show`, `show_time`, ...)
- `auth`: logout, change password, users (admin)
- `control`: instruments, methods, direct calls, call records
- `events`: execution status and the run-event stream (used by `state.EventHub`)
- `library`: workflow list, copy, delete (Library page)
- `records`: runs list, run detail, CSV export, delete (Data page)
- `design`, `execute`: the Design and Execute pages' calls
"""
