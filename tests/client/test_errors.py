"""Failed calls raise typed exceptions carrying the status, reason and field violations."""

from __future__ import annotations

import grpc
import pytest

from ivorygrpc.client import Client, errors
from ivorygrpc.v1 import auth_service_pb2, auth_service_pb2_grpc, user_pb2
from tests.fixtures.runs import call
from tests.fixtures.server import USER_PASSWORD, Served


async def test_field_violations_name_every_bad_argument(client: Client) -> None:
    with pytest.raises(errors.InvalidArgument) as info:
        await client.call("lab", "mix", {"a": "x", "color": "GREEN", "extra": 1})
    error = info.value
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    fields = {v.field for v in error.field_violations}
    assert fields == {"a", "x", "color", "extra"}
    assert "a:" in str(error) and isinstance(error, errors.IvorygrpcError)


async def test_not_found_carries_the_reason_and_resource(client: Client) -> None:
    with pytest.raises(errors.NotFound) as info:
        await client.call("nope", "x")
    assert info.value.reason == "INSTRUMENT_NOT_FOUND"
    assert info.value.resource == ("instrument", "nope")
    with pytest.raises(errors.NotFound):
        await client.get_run("no-such-run")


async def test_instrument_errors_name_the_exception_and_the_record(client: Client) -> None:
    from tests.fixtures.runs import deck_module
    deck_module().lab.failures_left = 1
    with pytest.raises(errors.InstrumentError) as info:
        await client.call("lab", "fragile", {"x": 1})
    error = info.value
    assert isinstance(error, errors.Aborted) and error.code is grpc.StatusCode.ABORTED
    assert (error.exception_type, error.exception_message) == (
        "RuntimeError", "the fragile instrument failed")
    assert (await client.get_call(error.call_id)).error.type == "RuntimeError"


async def test_authentication_and_roles(run_lab: Served) -> None:
    anonymous = await Client.connect(run_lab.target)
    with pytest.raises(errors.Unauthenticated) as missing:
        await anonymous.list_instruments()
    assert missing.value.reason == "TOKEN_MISSING"
    with pytest.raises(errors.Unauthenticated) as failed:
        await anonymous.login("admin", "wrong password")
    assert failed.value.reason == "LOGIN_FAILED"
    bad = await Client.connect(run_lab.target, token="not-a-token")
    with pytest.raises(errors.Unauthenticated):
        await bad.current_user()
    admin = auth_service_pb2_grpc.AuthServiceStub(run_lab.channel)
    await admin.CreateUser(auth_service_pb2.CreateUserRequest(
        username="viv", password=USER_PASSWORD, role=user_pb2.ROLE_VIEWER))
    viewer = await Client.connect(run_lab.target, username="viv", password=USER_PASSWORD)
    with pytest.raises(errors.PermissionDenied) as denied:
        await viewer.call("lab", "add", {"a": 1})
    assert denied.value.metadata["required_role"] == "operator"
    for c in (anonymous, bad, viewer):
        await c.close()


async def test_state_errors(client: Client) -> None:
    await client.save_workflow({"name": "w", "main": [call("add", a={"literal": 1})]})
    run = await client.create_run("w")
    await client.wait_for_run(run.id, timeout=30)
    with pytest.raises(errors.FailedPrecondition) as info:
        await client.cancel_run(run.id)
    assert info.value.reason == "RUN_NOT_QUEUED"
    with pytest.raises(errors.InvalidArgument) as invalid:
        await client.create_run("w", rows=[{"unknown": 1}])
    assert invalid.value.field_violations
    with pytest.raises(errors.AlreadyExists):
        await client.create_workflow({"name": "w"})


async def test_an_unreachable_server_is_unavailable() -> None:
    client = await Client.connect("127.0.0.1:1", timeout=5)
    with pytest.raises(errors.Unavailable):
        await client.list_instruments()
    await client.close()
