"""Every `Client` operation through a real server (SQLite), async flavour."""

from __future__ import annotations

import asyncio

import pytest

from ivorygrpc.client import Client
from ivorygrpc.client.errors import (
    AlreadyExists,
    EtagMismatch,
    FailedPrecondition,
    NotFound,
    Unauthenticated,
)
from ivorygrpc.v1 import auth_service_pb2, auth_service_pb2_grpc, run_pb2, user_pb2
from tests.fixtures.runs import call, deck_module, lit, par
from tests.fixtures.server import USER_PASSWORD, Served

DOSE = {"name": "dose", "main": [call("measure", save_as=["m"], x=par("x"))]}


async def test_login_current_user_and_logout(run_lab: Served) -> None:
    client = await Client.connect(run_lab.target, timeout=30)
    with pytest.raises(Unauthenticated) as info:
        await client.current_user()
    assert info.value.reason == "TOKEN_MISSING"
    user = await client.login("admin", "admin-password-for-tests")
    assert user.username == "admin" and client.token
    assert (await client.current_user()).role == user_pb2.ROLE_ADMIN
    await client.logout()
    assert client.token is None
    await client.close()


async def test_a_token_works_without_a_password_and_passwords_change(run_lab: Served) -> None:
    admin = auth_service_pb2_grpc.AuthServiceStub(run_lab.channel)
    await admin.CreateUser(auth_service_pb2.CreateUserRequest(
        username="ada", password=USER_PASSWORD, role=user_pb2.ROLE_OPERATOR))
    ada = await Client.connect(run_lab.target, username="ada", password=USER_PASSWORD)
    same = await Client.connect(run_lab.target, token=ada.token)
    assert (await same.current_user()).username == "ada"
    await ada.change_password(USER_PASSWORD, "a-new-password-1")
    with pytest.raises(Unauthenticated):
        await Client.connect(run_lab.target, username="ada", password=USER_PASSWORD)
    admin_client = await Client.connect(run_lab.target, token=run_lab.token)
    await admin_client.reset_password("ada", "a-reset-password-2")
    await admin_client.close()
    with pytest.raises(Unauthenticated):
        await ada.current_user()  # the reset revoked ada's tokens
    reset = await Client.connect(run_lab.target, username="ada", password="a-reset-password-2")
    assert (await reset.current_user()).username == "ada"
    await reset.close()
    await ada.close()
    await same.close()


async def test_instruments_calls_and_records(client: Client) -> None:
    [lab] = await client.list_instruments()
    assert lab.name == "lab" and "measure" in [m.name for m in lab.methods]
    assert (await client.get_instrument("lab")).service == "ivorygrpc.deck.lab.v1.LabService"
    result = await client.call("lab", "pair", {"x": 2})
    assert result.value == [2, -2] and result.record.state == 2  # CALL_STATE_SUCCEEDED
    first = await client.call("lab", "add", {"a": 1}, request_id="once")
    again = await client.call("lab", "add", {"a": 1}, request_id="once")
    assert (first.value, again.value, again.record.id) == (2, 2, first.record.id)
    assert [c for c in deck_module().lab.calls if c[0] == "add"] == [("add", (1, 1))]
    records = await client.list_calls("lab")
    assert [r.id for r in records[:2]] == [first.record.id, result.record.id]
    assert records[0].request_id == "once"
    assert (await client.get_call(first.record.id)).method == "add"
    assert await client.list_calls(limit=1) == records[:1]
    export = await client.export_schema()
    assert "ivorygrpc/deck/lab/v1/lab.proto" in [f.name for f in export.files]


async def test_workflow_library(client: Client) -> None:
    created = await client.save_workflow(DOSE)
    assert (created.name, created.version) == ("dose", 1)
    with pytest.raises(AlreadyExists):
        await client.save_workflow(DOSE)
    created.description = "dose once"
    updated = await client.save_workflow(created)  # carries the etag it was read with
    assert (updated.version, updated.description) == (2, "dose once")
    with pytest.raises(EtagMismatch):
        await client.save_workflow(created)  # still the version-1 etag
    overwritten = await client.save_workflow(DOSE, overwrite=True)
    assert overwritten.version == 3
    only_description = await client.update_workflow(
        {"name": "dose", "description": "only this"}, etag=overwritten.etag,
        fields=["description"])
    assert only_description.version == 4 and len(only_description.main) == 1
    assert (await client.get_workflow("dose", version=2)).description == "dose once"
    assert [w.version for w in await client.list_workflow_versions("dose")] == [4, 3, 2, 1]
    await client.create_workflow({"name": "other", "main": []})
    assert [w.name for w in await client.list_workflows()] == ["dose", "other"]
    assert [w.name for w in await client.list_workflows("OTH")] == ["other"]
    assert [w.name for w in await client.list_workflows(limit=1)] == ["dose"]
    assert (await client.validate_workflow("dose")).valid
    bad = await client.validate_workflow({"name": "x", "main": [call("nope")]})
    assert not bad.valid and bad.problems[0].code == "UNKNOWN_METHOD"
    params = await client.run_parameters("dose")
    assert [p.name for p in params.parameters] == ["x"] and params.outputs[0].name == "m"
    assert "lab.measure" in await client.render_python("dose")
    [imported] = await client.import_workflow(
        python_source="def wf():\n    deck.lab.add(a=1)\n", save=True)
    assert imported.workflow.name == "wf" and (await client.get_workflow("wf")).version == 1
    assert (await client.finalize_workflow("other")).state == 2  # FINALIZED
    assert [w.name for w in await client.list_workflows(finalized=True)] == ["other"]
    copy = await client.copy_workflow("other", "other_copy")
    assert copy.state == 1 and copy.version == 1
    await client.delete_workflow("other_copy")
    with pytest.raises(NotFound):
        await client.get_workflow("other_copy")


async def test_runs_in_every_mode_with_records_and_data(client: Client) -> None:
    await client.save_workflow(DOSE)
    repeat = await client.create_run("dose", repeat=2, parameters={"x": 1.5})
    rows = await client.create_run("dose", rows=[{"x": 1}, {"x": 2}], batch_size=2,
                                   display_name="two rows")
    csv = await client.create_run("dose", csv="x\n3\n4\n", request_id="csv-1")
    again = await client.create_run("dose", csv="x\n3\n4\n", request_id="csv-1")
    assert again.id == csv.id
    finished = [await client.wait_for_run(r.id, timeout=30) for r in (repeat, rows, csv)]
    assert [r.state for r in finished] == [run_pb2.RUN_STATE_SUCCEEDED] * 3
    assert finished[1].display_name == "two rows" and finished[1].phases
    assert [r.id for r in await client.list_runs("dose")] == [csv.id, rows.id, repeat.id]
    assert [r.id for r in await client.list_runs(states=[run_pb2.RUN_STATE_SUCCEEDED],
                                                 limit=2)] == [csv.id, rows.id]
    last = await client.last_run("dose")
    assert last is not None and last.id == csv.id
    assert await client.last_run("nothing") is None
    assert (await client.get_run(repeat.id)).state == run_pb2.RUN_STATE_SUCCEEDED
    results = await client.export_run_data(csv.id)
    assert results.splitlines()[0].startswith("iteration") and ",3" in results
    assert "lab.measure" in await client.export_run_data(csv.id, "steps")
    assert isinstance(await client.run_log(csv.id), list)
    await client.delete_run(repeat.id)
    with pytest.raises(NotFound):
        await client.get_run(repeat.id)


async def test_follow_run_yields_every_event_in_order(client: Client) -> None:
    await client.save_workflow(DOSE)
    run = await client.create_run("dose", parameters={"x": 1})
    events = [e async for e in client.follow_run(run.id)]
    kinds = [e.WhichOneof("kind") for e in events]
    assert kinds[0] == "state_changed" and "step_finished" in kinds
    assert events[-1].state_changed.state == run_pb2.RUN_STATE_SUCCEEDED
    sequences = [e.sequence for e in events]
    assert sequences == sorted(set(sequences))
    later = [e async for e in client.follow_run(run.id, after_sequence=sequences[2])]
    assert [e.sequence for e in later] == sequences[3:]


async def test_queue_and_run_control(client: Client) -> None:
    lab = deck_module().lab
    lab.gate.clear()
    await client.save_workflow({"name": "held", "main": [call("hold"), call("add", a=lit(1))]})
    held = await client.create_run("held")
    await _wait_state(client, held.id, run_pb2.RUN_STATE_RUNNING)
    status = await client.execution_status()
    assert status.busy and status.current_run.id == held.id
    with pytest.raises(FailedPrecondition) as busy:
        await client.call("lab", "add", {"a": 1})
    assert busy.value.reason == "INSTRUMENT_BUSY"
    await client.pause_queue()
    first = await client.create_run("held", display_name="first")
    second = await client.create_run("held", display_name="second")
    assert [r.id for r in await client.queue()] == [first.id, second.id]
    await client.move_run(second.id, before=first.id)
    assert [r.id for r in await client.queue()] == [second.id, first.id]
    assert (await client.rename_run(second.id, "renamed")).display_name == "renamed"
    assert (await client.cancel_run(first.id)).state == run_pb2.RUN_STATE_CANCELLED
    await client.pause_run(held.id)
    lab.gate.set()
    await _wait_state(client, held.id, run_pb2.RUN_STATE_PAUSED)
    assert (await client.call("lab", "add", {"a": 1}, override_busy=True)).value == 2
    await client.resume_run(held.id)
    assert (await client.wait_for_run(held.id, timeout=30)).state == (
        run_pb2.RUN_STATE_SUCCEEDED)
    assert (await client.resume_queue()).queue_paused is False
    assert (await client.wait_for_run(second.id, timeout=30)).state == (
        run_pb2.RUN_STATE_SUCCEEDED)
    lab.gate.clear()
    long = await client.create_run("held", repeat=50)
    await _wait_step(client, long.id, "lab.hold")
    await client.stop_run(long.id, "now", cleanup=False, continue_queue=True)
    lab.gate.set()
    stopped = await client.wait_for_run(long.id, timeout=30)
    main = [p for p in stopped.phases if p.phase == run_pb2.RUN_PHASE_MAIN]
    assert stopped.state == run_pb2.RUN_STATE_STOPPED and len(main[0].iterations) == 1


async def test_stop_after_the_iteration_runs_the_cleanup(client: Client) -> None:
    lab = deck_module().lab
    lab.gate.clear()
    await client.save_workflow({"name": "loop", "main": [call("hold")],
                                "cleanup": [call("note", text=lit("cleaned"))]})
    run = await client.create_run("loop", repeat=5)
    await _wait_step(client, run.id, "lab.hold")
    await client.stop_run(run.id)  # after the iteration; cleanup by default
    lab.gate.set()
    stopped = await client.wait_for_run(run.id, timeout=30)
    main = [p for p in stopped.phases if p.phase == run_pb2.RUN_PHASE_MAIN]
    assert stopped.state == run_pb2.RUN_STATE_STOPPED and len(main[0].iterations) == 1
    assert ("note", ("cleaned",)) in lab.calls


async def test_retry_skip_and_prompts(client: Client) -> None:
    lab = deck_module().lab
    lab.failures_left = 2
    await client.save_workflow({"name": "fragile", "main": [
        call("fragile", step_id="f1", save_as=["a"], x=lit(1.0)),
        call("fragile", step_id="f2", save_as=["b"], x=lit(2.0)),
        {"id": "i", "input": {"name": "v", "prompt": "how much?",
                              "type": "INPUT_TYPE_NUMBER"}},
        {"id": "p", "pause": {"message": "look"}}]})
    run = await client.create_run("fragile")
    pause = await _wait_pause(client, run.id)
    assert pause.kind == run_pb2.PAUSE_KIND_STEP_ERROR and pause.step_id == "f1"
    await client.retry_step(run.id, pause.id)
    pause = await _wait_pause(client, run.id, after=pause.id)  # the retry failed too
    assert pause.kind == run_pb2.PAUSE_KIND_STEP_ERROR and pause.step_id == "f1"
    await client.skip_step(run.id)
    pause = await _wait_pause(client, run.id, after=pause.id)
    assert pause.kind == run_pb2.PAUSE_KIND_INPUT and pause.message == "how much?"
    await client.answer_prompt(run.id, "2.5", pause_id=pause.id)
    pause = await _wait_pause(client, run.id, after=pause.id)
    assert pause.kind == run_pb2.PAUSE_KIND_PAUSE_STEP
    await client.answer_prompt(run.id)
    done = await client.wait_for_run(run.id, timeout=30)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    [sample] = done.phases[1].iterations[0].outputs
    assert (dict(sample)["v"], dict(sample)["b"]) == (2.5, 2.0) and "a" not in dict(sample)
    assert [c for c in lab.calls if c[0] == "fragile"] == [("fragile", (1.0,))] * 2 + [
        ("fragile", (2.0,))]


async def _wait_state(client: Client, run_id: str, state: int) -> None:
    async def until() -> None:
        async for event in client.events(run_id):
            if (event.WhichOneof("kind") == "state_changed"
                    and event.state_changed.state == state):
                return
    await asyncio.wait_for(until(), 10)


async def _wait_step(client: Client, run_id: str, title: str) -> None:
    async def until() -> None:
        async for event in client.events(run_id):
            if event.WhichOneof("kind") == "step_started" and event.step_started.title == title:
                return
    await asyncio.wait_for(until(), 10)


async def _wait_pause(client: Client, run_id: str, after: str = "") -> run_pb2.PauseReason:
    for _ in range(300):
        run = await client.get_run(run_id)
        if run.state == run_pb2.RUN_STATE_PAUSED and run.pause.id != after:
            return run.pause
        await asyncio.sleep(0.02)
    raise AssertionError("the run did not pause")
