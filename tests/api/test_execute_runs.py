"""Run semantics through a real server: modes, batches, blocks, values, logs, records, errors.

Every test checks what the instrument received (`lab.calls`: Python values and
types), the events of the run and its record (`GetRun` full view).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import grpc
from google.protobuf import json_format

from ivorygrpc.v1 import design_service_pb2 as design_pb
from ivorygrpc.v1 import design_service_pb2_grpc as design_grpc
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2, workflow_pb2
from tests.fixtures.runs import (
    RUN_DECK,
    call,
    create_run,
    deck_module,
    expr,
    finish,
    lit,
    mode,
    of_kind,
    outputs,
    par,
    paused,
    save_workflow,
    var,
    wait_for_event,
)
from tests.fixtures.server import Served, ServeDeck

PREP, MAIN, CLEANUP = run_pb2.RUN_PHASE_PREP, run_pb2.RUN_PHASE_MAIN, run_pb2.RUN_PHASE_CLEANUP
STEP_ERROR = run_pb2.PAUSE_KIND_STEP_ERROR


# -- workflow building blocks --------------------------------------------------------------------


def with_id(step: dict[str, Any], step_id: str, *, disabled: bool = False) -> dict[str, Any]:
    """`step` with an explicit id (and disabled flag)."""
    return {**step, "id": step_id, **({"disabled": True} if disabled else {})}


def set_var(name: str, value: dict[str, Any], step_id: str = "") -> dict[str, Any]:
    step: dict[str, Any] = {"set_variable": {"name": name, "value": value}}
    return with_id(step, step_id) if step_id else step


def if_else(condition: str, then: list[dict[str, Any]], otherwise: list[dict[str, Any]],
            step_id: str) -> dict[str, Any]:
    return {"id": step_id, "if_else": {"condition": condition, "then_steps": then,
                                       "else_steps": otherwise}}


def while_loop(condition: str, steps: list[dict[str, Any]], step_id: str,
               cap: int = 0) -> dict[str, Any]:
    return {"id": step_id, "while_loop": {"condition": condition, "steps": steps,
                                          "max_iterations": cap}}


def repeat(count: dict[str, Any], steps: list[dict[str, Any]], step_id: str) -> dict[str, Any]:
    return {"id": step_id, "repeat": {"count": count, "steps": steps}}


def comment(text: str, step_id: str) -> dict[str, Any]:
    return {"id": step_id, "comment": {"text": text}}


def call_workflow(workflow: str, step_id: str, save_as: list[str],
                  **arguments: dict[str, Any]) -> dict[str, Any]:
    return {"id": step_id, "call_workflow": {"workflow": workflow, "arguments": arguments,
                                             "save_as": save_as}}


# -- reading runs --------------------------------------------------------------------------------


def stub(served: Served) -> pb_grpc.ExecuteServiceStub:
    return pb_grpc.ExecuteServiceStub(served.channel)


def lab_calls(name: str | None = None) -> list[tuple[Any, ...]]:
    """The arguments the instrument received (of one method, when given)."""
    calls: list[tuple[str, tuple[Any, ...]]] = deck_module().lab.calls
    if name is None:
        return [(n, *args) for n, args in calls]
    return [args for n, args in calls if n == name]


def phase_records(run: run_pb2.Run, phase: int) -> list[dict[str, Any]]:
    """The iteration records of one phase, as dicts (proto field names)."""
    return [json_format.MessageToDict(it, preserving_proto_field_name=True,
                                      always_print_fields_with_no_presence=True)
            for p in run.phases if p.phase == phase for it in p.iterations]


def steps_of(run: run_pb2.Run, phase: int = MAIN) -> list[dict[str, Any]]:
    """Every step record of a phase, in order, as dicts."""
    return [step for it in phase_records(run, phase) for step in it.get("steps", [])]


def struct(message: Any) -> dict[str, Any]:
    result: dict[str, Any] = json_format.MessageToDict(message)
    return result


def boundaries(events: list[run_pb2.RunEvent]) -> list[tuple[Any, ...]]:
    """Phase and iteration boundaries (with index and total), and progress marks."""
    marks: list[tuple[Any, ...]] = []
    for event in events:
        kind = event.WhichOneof("kind")
        body = getattr(event, kind) if kind else None
        if kind in ("phase_started", "phase_finished"):
            marks.append((kind, body.phase))
        elif kind in ("iteration_started", "iteration_finished"):
            marks.append((kind, body.phase, body.index, body.total))
        elif kind == "progress":
            marks.append((kind, body.iteration, body.iterations))
    return marks


def log_messages(events: list[run_pb2.RunEvent]) -> list[tuple[str, str]]:
    return [(line.logger, line.message) for line in of_kind(events, "log")]


async def run_to_end(served: Served, workflow: str,
                     **fields: Any) -> tuple[run_pb2.Run, list[run_pb2.RunEvent]]:
    run = await create_run(served.channel, workflow, **fields)
    done, events = await finish(served.channel, run.id)
    return done, events


async def served_deck(serve_deck: ServeDeck) -> Served:
    return await serve_deck(RUN_DECK)


# -- 1. repeat with batches ----------------------------------------------------------------------


async def test_repeat_runs_batch_samples_with_fresh_contexts(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "rep", main=[
        call("measure", x=par("x"), save_as=["y"], step_id="m"),
        set_var("z", expr("y + #x"), "z"),
    ])
    done, events = await run_to_end(served, "rep", mode=mode(repeat=3, parameters={"x": 1.5}),
                                    batch_size=2)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    sample = {"x": 1.5, "y": 3.0, "z": 4.5}
    assert outputs(done) == [[sample, sample]] * 3
    assert lab_calls() == [("measure", 1.5)] * 6
    assert [[struct(s) for s in it.samples] for it in done.iterations] == [[{"x": 1.5}] * 2] * 3
    assert boundaries(events) == [
        ("phase_started", PREP), ("iteration_started", PREP, 1, 1),
        ("iteration_finished", PREP, 1, 1), ("phase_finished", PREP),
        ("phase_started", MAIN),
        ("progress", 1, 3), ("iteration_started", MAIN, 1, 3), ("iteration_finished", MAIN, 1, 3),
        ("progress", 2, 3), ("iteration_started", MAIN, 2, 3), ("iteration_finished", MAIN, 2, 3),
        ("progress", 3, 3), ("iteration_started", MAIN, 3, 3), ("iteration_finished", MAIN, 3, 3),
        ("progress", 3, 3), ("phase_finished", MAIN),
        ("phase_started", CLEANUP), ("iteration_started", CLEANUP, 1, 1),
        ("iteration_finished", CLEANUP, 1, 1), ("phase_finished", CLEANUP)]
    started = [(s.iteration, s.step_id, s.sample) for s in of_kind(events, "step_started")]
    assert started == [(i, step, sample) for i in (1, 2, 3)
                       for step in ("m", "z") for sample in (0, 1)]
    finished = of_kind(events, "iteration_finished")
    assert [[struct(o) for o in f.outputs] for f in finished if f.phase == MAIN] == [
        [sample, sample]] * 3
    assert done.progress.iterations == 3 and done.progress.iteration == 3
    assert done.progress.fraction == 1.0 and done.progress.phase == CLEANUP
    fractions = [p.fraction for p in of_kind(events, "progress")]
    assert fractions == [0.0, 1 / 3, 2 / 3, 1.0]
    assert done.progress.last_completed_step_id == "z"


# -- 2. parameter rows and CSV -------------------------------------------------------------------

TYPED = [
    call("measure", x=par("x"), save_as=["y"], step_id="m"),
    call("add", a=par("n"), b=lit(1), save_as=["s"], step_id="a"),
    call("paint", color=par("c"), save_as=["p"], step_id="p"),
]
TYPED_OUTPUTS = [
    [{"x": 3.0, "n": 2, "c": "RED", "y": 6.0, "s": 3, "p": "red"},
     {"x": 1.5, "n": 4, "c": "BLUE", "y": 3.0, "s": 5, "p": "blue"}],
    [{"x": 0.0, "n": 0, "c": "RED", "y": 0.0, "s": 1, "p": "red"}],
]


def assert_typed_calls() -> None:
    color = deck_module().Color
    measured, added, painted = lab_calls("measure"), lab_calls("add"), lab_calls("paint")
    assert measured == [(3.0,), (1.5,), (0.0,)]
    assert all(type(x) is float for (x,) in measured)
    assert added == [(2, 1), (4, 1), (0, 1)]
    assert all(type(a) is int and type(b) is int for a, b in added)
    assert painted == [(color.RED,), (color.BLUE,), (color.RED,)]
    assert all(type(c) is color for (c,) in painted)


async def test_parameter_rows_are_split_into_batches_and_typed(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "typed", main=TYPED)
    rows = [{"x": 3, "n": 2, "c": "RED"}, {"x": 1.5, "n": 4.0, "c": "BLUE"},
            {"x": 0, "n": 0, "c": "RED"}]
    done, events = await run_to_end(served, "typed", mode=mode(rows=rows), batch_size=2)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == TYPED_OUTPUTS
    assert_typed_calls()
    main = [e for e in of_kind(events, "iteration_started") if e.phase == MAIN]
    assert [(e.index, e.total, len(e.parameters)) for e in main] == [(1, 2, 2), (2, 2, 1)]
    assert [struct(p) for p in main[1].parameters] == [{"x": 0.0, "n": 0, "c": "RED"}]


async def test_csv_rows_with_type_line_are_converted_once(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "typed", main=TYPED)
    text = "x,n,c\nfloat,int,Color\n3,2,RED\n1.5,4,BLUE\n0,0,RED\n"
    done, _ = await run_to_end(served, "typed", mode=mode(csv=text), batch_size=2)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == TYPED_OUTPUTS
    assert_typed_calls()


async def test_csv_rows_without_type_line(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "typed", main=TYPED)
    text = "c, x ,n\r\nBLUE,2,7\r\n"
    done, _ = await run_to_end(served, "typed", mode=mode(csv=text))
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == [[{"x": 2.0, "n": 7, "c": "BLUE", "y": 4.0, "s": 8, "p": "blue"}]]
    assert lab_calls("measure") == [(2.0,)] and type(lab_calls("measure")[0][0]) is float
    assert lab_calls("add") == [(7, 1)]


# -- 3. once per batch ---------------------------------------------------------------------------


async def test_once_per_batch_runs_once_and_shares_its_outputs(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "batch", main=[
        set_var("v", expr("#n"), "v"),
        call("add", a=var("v"), b=lit(10), save_as=["shared"], once=True, step_id="once"),
        # saving under a name the samples already hold: every sample gets the shared value
        call("add", a=var("v"), b=lit(0), save_as=["v"], once=True, step_id="again"),
        call("measure", x=var("shared"), save_as=["y"], step_id="m"),
    ])
    rows = [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]
    done, events = await run_to_end(served, "batch", mode=mode(rows=rows), batch_size=3)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    # batch 1: samples n=1,2,3 share sample 0's call; batch 2 has one sample (n=4)
    assert lab_calls("add") == [(1, 10), (1, 0), (4, 10), (4, 0)]
    assert lab_calls("measure") == [(11.0,)] * 3 + [(14.0,)]
    assert outputs(done) == [
        [{"n": n, "v": 1, "shared": 11, "y": 22.0} for n in (1, 2, 3)],
        [{"n": 4, "v": 4, "shared": 14, "y": 28.0}]]
    records = [(s["step_id"], s["sample"]) for s in steps_of(done)]
    assert records == [("v", 0), ("v", 1), ("v", 2), ("once", -1), ("again", -1),
                       ("m", 0), ("m", 1), ("m", 2),
                       ("v", 0), ("once", -1), ("again", -1), ("m", 0)]
    once = [s for s in of_kind(events, "step_finished") if s.step_id == "once"]
    assert [(s.sample, struct(s.arguments), s.output.number_value) for s in once] == [
        (-1, {"a": 1, "b": 10}, 11), (-1, {"a": 4, "b": 10}, 14)]


# -- 4. variables, tuple saves, None results -----------------------------------------------------


async def test_variables_expressions_tuple_saves_and_none(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "vars", main=[
        set_var("a", lit(2), "a"),
        set_var("b", expr("a * #x + 1"), "b"),
        call("pair", x=var("b"), save_as=["p", "q"], step_id="pq"),
        call("pair", x=expr("max(a, 3)"), save_as=["", "r"], step_id="r"),
        call("pair", x=lit(0.5), save_as=["whole"], step_id="whole"),
        call("maybe", x=lit(-1), save_as=["none"], step_id="none"),
        call("maybe", x=expr("q"), save_as=["neg"], step_id="neg"),
        set_var("label", expr("'b=' + str(b) + ' a=' + str(a)"), "label"),
    ])
    done, events = await run_to_end(served, "vars", mode=mode(parameters={"x": 4}))
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == [[{"x": 4.0, "a": 2, "b": 9.0, "p": 9.0, "q": -9.0, "r": -3.0,
                               "whole": [0.5, -0.5], "label": "b=9 a=2"}]]
    assert lab_calls() == [("pair", 9.0), ("pair", 3.0), ("pair", 0.5), ("maybe", -1.0),
                           ("maybe", -9.0)]
    assert all(type(args[1]) is float for args in lab_calls())
    finished = {s.step_id: s for s in of_kind(events, "step_finished")}
    assert json_format.MessageToDict(finished["r"].output) == [3.0, -3.0]
    assert finished["none"].output.WhichOneof("kind") == "null_value"
    assert struct(finished["b"].arguments) == {"value": 9.0}


# -- 5. blocks per sample ------------------------------------------------------------------------


async def test_if_else_takes_a_branch_per_sample(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "branch", main=[
        if_else("#x > 2", [call("measure", x=par("x"), save_as=["y"], step_id="big")],
                [call("add", a=lit(0), b=lit(0), save_as=["y"], step_id="small")], "if"),
        call("measure", x=var("y"), save_as=["z"], step_id="after"),
    ])
    rows = [{"x": 1}, {"x": 5}, {"x": 2}]
    done, _ = await run_to_end(served, "branch", mode=mode(rows=rows), batch_size=3)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == [[{"x": 1.0, "y": 0, "z": 0.0}, {"x": 5.0, "y": 10.0, "z": 20.0},
                              {"x": 2.0, "y": 0, "z": 0.0}]]
    assert lab_calls() == [("measure", 5.0), ("add", 0, 0), ("add", 0, 0),
                           ("measure", 0.0), ("measure", 10.0), ("measure", 0.0)]
    conditions = [(s["sample"], s["output"], s["arguments"]) for s in steps_of(done)
                  if s["step_id"] == "if"]
    assert conditions == [(0, False, {"condition": "#x > 2"}), (1, True, {"condition": "#x > 2"}),
                          (2, False, {"condition": "#x > 2"})]
    branches = [(s["step_id"], s["sample"]) for s in steps_of(done) if s["kind"] == "call"]
    assert branches[:3] == [("big", 1), ("small", 0), ("small", 2)]


async def test_while_runs_per_sample_group(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "loop", main=[
        set_var("i", lit(0), "i0"),
        while_loop("i < #n", [set_var("i", expr("i + 1"), "inc"),
                              call("add", a=var("i"), b=par("n"), step_id="body")],
                   "while", cap=3),  # n=3 needs exactly 3 passes: no cap pause
    ])
    done, _ = await run_to_end(served, "loop", mode=mode(rows=[{"n": 1}, {"n": 3}, {"n": 0}]),
                               batch_size=3)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == [[{"n": 1, "i": 1}, {"n": 3, "i": 3}, {"n": 0, "i": 0}]]
    assert lab_calls("add") == [(1, 1), (1, 3), (2, 3), (3, 3)]
    conditions = [(s["sample"], s["output"]) for s in steps_of(done) if s["step_id"] == "while"]
    assert conditions == [(0, True), (1, True), (2, False),  # pass 1
                          (0, False), (1, True),  # pass 2
                          (1, True),  # pass 3
                          (1, False)]
    assert [s["kind"] for s in steps_of(done) if s["step_id"] == "while"] == ["while_loop"] * 7


async def test_while_cap_pauses_and_skip_leaves_the_loop(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "forever", main=[
        while_loop("true", [call("add", a=lit(1), b=lit(1), step_id="body")], "w", cap=3),
        call("add", a=lit(7), b=lit(7), save_as=["after"], step_id="after"),
    ])
    run = await create_run(served.channel, "forever")
    capped = await wait_for_event(served.channel, run.id, paused(STEP_ERROR))
    pause = capped.state_changed.pause
    assert (pause.step_id, pause.error.type, pause.error.step_id) == ("w", "WhileCapReached", "w")
    assert "3" in pause.error.message
    assert lab_calls("add") == [(1, 1)] * 3
    current = await stub(served).GetRun(pb.GetRunRequest(run_id=run.id))
    assert current.run.state == run_pb2.RUN_STATE_PAUSED
    assert current.run.pause.kind == STEP_ERROR
    # retry allows another `cap` passes, then the cap pauses again
    await stub(served).RetryStep(pb.RetryStepRequest(run_id=run.id, pause_id=pause.id))
    again = await wait_for_event(served.channel, run.id, paused(STEP_ERROR),
                                 after_sequence=capped.sequence)
    assert again.state_changed.pause.error.type == "WhileCapReached"
    assert lab_calls("add") == [(1, 1)] * 6
    await stub(served).SkipStep(pb.SkipStepRequest(run_id=run.id,
                                                   pause_id=again.state_changed.pause.id))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert lab_calls("add") == [(1, 1)] * 6 + [(7, 7)]
    assert outputs(done) == [[{"after": 14}]]
    # the cap checks: failed, retried (passed), failed again and skipped
    cap_records = [s for s in steps_of(done) if s["step_id"] == "w" and s["sample"] == -1]
    assert [(r["attempt"], r.get("error", {}).get("type"), r["skipped"]) for r in cap_records] == [
        (1, "WhileCapReached", False), (2, None, False), (1, "WhileCapReached", True)]
    assert all(r["arguments"] == {"max_iterations": 3} for r in cap_records)
    conditions = [s["output"] for s in steps_of(done) if s["step_id"] == "w" and s["sample"] == 0]
    assert conditions == [True] * 7


async def test_repeat_count_from_parameter_and_expression(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "rep_block", main=[
        repeat(par("n"), [call("add", a=par("n"), b=lit(0), step_id="p")], "byparam"),
        repeat(expr("#n * 2 + 1"), [call("add", a=par("n"), b=lit(100), step_id="e")],
               "byexpr"),
    ])
    rows = [{"n": 2}, {"n": 1}, {"n": 0.0}]
    done, events = await run_to_end(served, "rep_block", mode=mode(rows=rows), batch_size=2)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    # each turn runs the body for every sample whose count is not used up yet
    assert lab_calls("add") == [(2, 0), (1, 0), (2, 0)] + [(2, 100), (1, 100)] * 3 + [
        (2, 100), (2, 100), (0, 100)]
    counts = [(s.iteration, s.step_id, s.sample, struct(s.arguments), s.output.number_value)
              for s in of_kind(events, "step_finished") if s.kind == "repeat"]
    assert counts == [(1, "byparam", 0, {"count": 2}, 2), (1, "byparam", 1, {"count": 1}, 1),
                      (1, "byexpr", 0, {"count": 5}, 5), (1, "byexpr", 1, {"count": 3}, 3),
                      (2, "byparam", 0, {"count": 0}, 0), (2, "byexpr", 0, {"count": 1}, 1)]


# -- 6. comments and deck log lines --------------------------------------------------------------


async def test_comment_and_deck_log_lines_are_run_events(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "talk", main=[
        call("measure", x=par("x"), save_as=["y"], step_id="m"),
        comment("x=#x y=#y unknown=#nope #", "c"),
        call("note", text=expr("'hello ' + str(#x)"), step_id="n"),
    ])
    done, events = await run_to_end(served, "talk", mode=mode(rows=[{"x": 1}, {"x": 2.5}]),
                                    batch_size=2)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    lines = log_messages(events)
    assert lines == [("ivorygrpc.run", "x=1.0 y=2.0 unknown=#nope #"),
                     ("ivorygrpc.run", "x=2.5 y=5.0 unknown=#nope #"),
                     ("run_deck", "note: hello 1.0"), ("run_deck", "note: hello 2.5")]
    assert all(line.level == "INFO" for line in of_kind(events, "log"))
    # each deck line is written before its step finishes
    kinds = [(e.WhichOneof("kind"), e.step_finished.step_id) for e in events
             if e.WhichOneof("kind") in ("log", "step_finished")]
    assert kinds[-4:] == [("log", ""), ("step_finished", "n"), ("log", ""), ("step_finished", "n")]
    comments = [s for s in steps_of(done) if s["step_id"] == "c"]
    assert [c["output"] for c in comments] == ["x=1.0 y=2.0 unknown=#nope #",
                                               "x=2.5 y=5.0 unknown=#nope #"]
    paged: list[tuple[int, str, str]] = []
    token = ""
    pages = 0
    while True:
        reply = await stub(served).GetRunLog(pb.GetRunLogRequest(run_id=done.id, page_size=3,
                                                                 page_token=token))
        paged += [(line.sequence, line.line.logger, line.line.message) for line in reply.lines]
        pages += 1
        token = reply.next_page_token
        if not token:
            break
    assert pages == 2
    assert paged == [(e.sequence, e.log.logger, e.log.message) for e in events
                     if e.WhichOneof("kind") == "log"]


# -- 7. calling a registered workflow ------------------------------------------------------------


async def test_call_workflow_runs_the_pinned_version(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    callee_main = [call("measure", x=par("v"), save_as=["d"], step_id="cm"),
                   set_var("e", expr("d + 1"), "ce")]
    await save_workflow(served.channel, "dose", main=callee_main, registered=True)
    await save_workflow(served.channel, "outer", main=[
        call_workflow("dose", "cw", ["dd", "ee"], v=expr("#x * 2")),
        call("measure", x=var("ee"), save_as=["z"], step_id="after"),
    ])
    execute = stub(served)
    await execute.PauseQueue(pb.PauseQueueRequest())
    run = await create_run(served.channel, "outer", mode=mode(parameters={"x": 1}))
    changed = json_format.ParseDict({"name": "dose", "registered": True, "main": [
        call("measure", x=par("v"), save_as=["d"], step_id="cm"),
        set_var("e", expr("d + 1000"), "ce")]}, workflow_pb2.Workflow())
    updated = await design_grpc.DesignServiceStub(served.channel).UpdateWorkflow(
        design_pb.UpdateWorkflowRequest(workflow=changed))
    assert updated.workflow.version == 2
    await execute.ResumeQueue(pb.ResumeQueueRequest())
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == [[{"x": 1.0, "dd": 4.0, "ee": 5.0, "z": 10.0}]]
    assert lab_calls("measure") == [(2.0,), (5.0,)]
    started = [(s.step_id, s.kind, struct(s.arguments)) for s in of_kind(events, "step_started")]
    assert started == [("cw", "call_workflow", {"v": 2.0}), ("cw/cm", "call", {"x": 2.0}),
                       ("cw/ce", "set_variable", {"value": 5.0}), ("after", "call", {"x": 5.0})]
    finished = {s.step_id: s for s in of_kind(events, "step_finished")}
    assert json_format.MessageToDict(finished["cw"].output) == [4.0, 5.0]
    assert finished["cw"].title == "workflow dose"
    # the callee's variables stay inside the call
    assert "d" not in outputs(done)[0][0] and "v" not in outputs(done)[0][0]


async def test_nested_calls_run_per_sample_with_their_own_parameters(
        serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "inner", registered=True, main=[
        call("add", a=par("k"), b=lit(1), save_as=["r"], step_id="ia")])
    await save_workflow(served.channel, "mid", registered=True, main=[
        call_workflow("inner", "mc", ["r2"], k=expr("#k * 10")),
        set_var("out", expr("r2 + 1"), "mo")])
    await save_workflow(served.channel, "outer", main=[
        call_workflow("mid", "oc", ["", "o"], k=par("k"))])
    done, events = await run_to_end(served, "outer", mode=mode(rows=[{"k": 1}, {"k": 2}]),
                                    batch_size=2)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == [[{"k": 1, "o": 12}, {"k": 2, "o": 22}]]
    assert lab_calls("add") == [(10, 1), (20, 1)]
    started = [(s.step_id, s.sample) for s in of_kind(events, "step_started")]
    assert started == [(step_id, sample) for sample in (0, 1)
                       for step_id in ("oc", "oc/mc", "oc/mc/ia", "oc/mo")]


# -- 8. disabled steps, prep and cleanup ---------------------------------------------------------


async def test_disabled_steps_and_separate_prep_and_cleanup_contexts(
        serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(
        served.channel, "phases",
        prep=[call("add", a=lit(1), b=lit(1), save_as=["p"], step_id="prep"),
              with_id(call("add", a=lit(9), b=lit(9)), "prep_off", disabled=True)],
        main=[call("measure", x=par("x"), save_as=["y"], step_id="m"),
              with_id(call("add", a=lit(8), b=lit(8), save_as=["off"]), "off", disabled=True),
              {"id": "block_off", "disabled": True, "repeat": {
                  "count": lit(2), "steps": [call("add", a=lit(6), b=lit(6), step_id="in")]}}],
        cleanup=[call("add", a=lit(5), b=lit(5), save_as=["c"], step_id="clean")])
    done, events = await run_to_end(served, "phases", mode=mode(repeat=2, parameters={"x": 1}))
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert lab_calls() == [("add", 1, 1), ("measure", 1.0), ("measure", 1.0), ("add", 5, 5)]
    assert outputs(done) == [[{"x": 1.0, "y": 2.0}]] * 2
    prep, cleanup = phase_records(done, PREP), phase_records(done, CLEANUP)
    assert [(it["index"], it["parameters"], it["outputs"]) for it in prep] == [
        ("1", [{}], [{"p": 2}])]
    assert [(it["index"], it["parameters"], it["outputs"]) for it in cleanup] == [
        ("1", [{}], [{"c": 10}])]
    ids = {s.step_id for s in of_kind(events, "step_started")}
    assert ids == {"prep", "m", "clean"}


async def test_prep_variables_used_in_main_are_refused_at_submission(
        serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "leak",
                        prep=[set_var("p", lit(1), "p")],
                        main=[call("measure", x=var("p"), step_id="m")])
    try:
        run = await create_run(served.channel, "leak")
    except grpc.aio.AioRpcError as exc:
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "workflow.main[m]" in (exc.details() or "")
        return
    await stub(served).StopRun(pb.StopRunRequest(run_id=run.id, mode=pb.STOP_MODE_NOW))
    await finish(served.channel, run.id)
    raise AssertionError("a run whose main uses a prep variable was accepted")


# -- 9. exports ----------------------------------------------------------------------------------


async def test_export_results_and_steps_csv(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "export", main=[
        call("measure", x=par("x"), save_as=["y"], step_id="m"),
        call("pair", x=var("y"), save_as=["", "neg"], step_id="pair"),
    ], cleanup=[call("add", a=lit(1), b=lit(2), step_id="clean")])
    rows = [{"x": 1}, {"x": 2}, {"x": 3}]
    done, _ = await run_to_end(served, "export", mode=mode(rows=rows), batch_size=2)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    results = await stub(served).ExportRunData(pb.ExportRunDataRequest(
        run_id=done.id, kind=pb.RUN_DATA_KIND_RESULTS))
    assert results.content_type == "text/csv" and results.filename.endswith(".csv")
    assert results.content.decode() == ("iteration,sample,x,y,neg\n"
                                        "1,0,1.0,2.0,-2.0\n"
                                        "1,1,2.0,4.0,-4.0\n"
                                        "2,0,3.0,6.0,-6.0\n")
    steps = await stub(served).ExportRunData(pb.ExportRunDataRequest(
        run_id=done.id, kind=pb.RUN_DATA_KIND_STEPS))
    assert steps.filename.endswith("_steps.csv")
    table = list(csv.DictReader(io.StringIO(steps.content.decode())))
    assert [(r["phase"], r["iteration"], r["step_id"], r["sample"], r["attempt"])
            for r in table] == [
        ("main", "1", "m", "0", "1"), ("main", "1", "m", "1", "1"),
        ("main", "1", "pair", "0", "1"), ("main", "1", "pair", "1", "1"),
        ("main", "2", "m", "0", "1"), ("main", "2", "pair", "0", "1"),
        ("cleanup", "1", "clean", "0", "1")]
    assert [(r["arguments"], r["output"]) for r in table if r["step_id"] == "m"] == [
        ('{"x":1.0}', "2.0"), ('{"x":2.0}', "4.0"), ('{"x":3.0}', "6.0")]
    assert all(r["error_type"] == "" and r["skipped"] == "false" for r in table)
    assert all(r["end_time"] >= r["start_time"] != "" for r in table)


# -- 10. typed errors pause the run --------------------------------------------------------------


async def skip_error(served: Served, run_id: str, after: int = 0) -> run_pb2.RunEvent:
    """Wait for the next step-error pause, check the run is paused, skip the step."""
    event = await wait_for_event(served.channel, run_id, paused(STEP_ERROR), after_sequence=after)
    current = await stub(served).GetRun(pb.GetRunRequest(run_id=run_id))
    assert current.run.state == run_pb2.RUN_STATE_PAUSED
    assert current.run.pause.id == event.state_changed.pause.id
    await stub(served).SkipStep(pb.SkipStepRequest(run_id=run_id,
                                                   pause_id=event.state_changed.pause.id))
    return event


async def test_step_errors_pause_and_skip_goes_on(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "errors", main=[
        set_var("d", expr("1 / (#x - 3)"), "div"),
        call("maybe", x=lit(-1), save_as=["m"], step_id="none"),
        call("measure", x=var("m"), save_as=["y"], step_id="undefined"),
        set_var("s", lit("abc"), "s"),
        call("measure", x=var("s"), save_as=["w"], step_id="wrong"),
        repeat(expr("#x - 4"), [call("add", a=lit(1), b=lit(1))], "count"),
        call("add", a=lit(2), b=lit(3), save_as=["end"], step_id="end"),
    ])
    run = await create_run(served.channel, "errors", mode=mode(parameters={"x": 3}))
    expected = [("div", "ExpressionError", "division by zero"),
                ("undefined", "UndefinedName", "'m'"),
                ("wrong", "InvalidArguments", "x"),
                ("count", "InvalidValue", "repeat count")]
    after = 0
    for step_id, error_type, text in expected:
        event = await skip_error(served, run.id, after)
        pause = event.state_changed.pause
        assert (pause.step_id, pause.error.step_id, pause.error.type) == (
            step_id, step_id, error_type), pause
        assert text in pause.error.message and pause.message == pause.error.message
        assert (pause.phase, pause.iteration, pause.sample) == (MAIN, 1, 0)
        after = event.sequence
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert not done.HasField("error")
    assert outputs(done) == [[{"x": 3.0, "s": "abc", "end": 5}]]
    assert lab_calls() == [("maybe", -1.0), ("add", 2, 3)]
    failed = [(s["step_id"], s["error"]["type"], s["skipped"]) for s in steps_of(done)
              if "error" in s]
    assert failed == [(step_id, error_type, True) for step_id, error_type, _ in expected]
    states = [e.state for e in of_kind(events, "state_changed")]
    assert states == [run_pb2.RUN_STATE_QUEUED, run_pb2.RUN_STATE_RUNNING] + [
        run_pb2.RUN_STATE_PAUSED, run_pb2.RUN_STATE_RUNNING] * 4 + [run_pb2.RUN_STATE_SUCCEEDED]
    # the wrong argument type is recorded with the value that was refused
    wrong = [s for s in of_kind(events, "step_finished") if s.step_id == "wrong"]
    assert struct(wrong[0].arguments) == {"x": "abc"}


async def test_condition_error_pauses_and_stop_ends_the_run(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "bad_if", main=[
        if_else("#x", [call("add", a=lit(1), b=lit(1), step_id="then")], [], "if"),
    ], cleanup=[call("add", a=lit(4), b=lit(4), step_id="clean")])
    run = await create_run(served.channel, "bad_if", mode=mode(parameters={"x": 2}))
    event = await wait_for_event(served.channel, run.id, paused(STEP_ERROR))
    pause = event.state_changed.pause
    assert (pause.step_id, pause.error.type) == ("if", "ExpressionError")
    assert "not true or false" in pause.error.message
    await stub(served).StopRun(pb.StopRunRequest(run_id=run.id, mode=pb.STOP_MODE_NOW,
                                                 cleanup=True))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_STOPPED
    assert lab_calls() == [("add", 4, 4)]  # the branch never ran; the cleanup did


# -- 11. arguments as called ---------------------------------------------------------------------


async def test_step_arguments_are_recorded_as_called(serve_deck: ServeDeck) -> None:
    served = await served_deck(serve_deck)
    await save_workflow(served.channel, "args", main=[
        set_var("k", expr("#n + 1"), "k"),
        call("mix", a=var("k"), x=par("n"), color=lit("COLOR_BLUE"),
             label=expr("'n' + str(k)"), step_id="mix"),
        call("add", a=par("n"), step_id="default"),
        repeat(var("k"), [], "rep"),
        {"id": "wait", "wait": {"seconds": expr("#n / 100")}},
    ])
    done, events = await run_to_end(served, "args", mode=mode(parameters={"n": 2}))
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    color = deck_module().Color
    assert lab_calls() == [("mix", 3, 2.0, color.BLUE, "n3.0"), ("add", 2, 1)]
    _, a, x, c, _ = lab_calls()[0]
    assert (type(a), type(x), type(c)) == (int, float, color)
    started = {s.step_id: struct(s.arguments) for s in of_kind(events, "step_started")}
    finished = {s.step_id: struct(s.arguments) for s in of_kind(events, "step_finished")}
    assert started == finished
    assert started["mix"] == {"a": 3, "x": 2.0, "color": "BLUE", "label": "n3.0"}
    assert started["default"] == {"a": 2}
    assert started["rep"] == {"count": 3}
    assert started["wait"] == {"seconds": 0.02}
    records = {s["step_id"]: s for s in steps_of(done)}
    assert records["mix"]["arguments"] == started["mix"]
    assert records["mix"]["output"] == "n3.0:3:2.0:blue"
