/**
 * The example against a live server (started by tests/tools/test_typescript_client.py,
 * which passes IVORYGRPC_ADDRESS and IVORYGRPC_PASSWORD).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { Code, ConnectError, createClient } from "@connectrpc/connect";

import { literal, login, runExample, transport, type Connection } from "../src/example.js";
import { PumpService } from "../src/gen/ivorygrpc/deck/pump/v1/pump_pb.js";
import { ControlService } from "../src/gen/ivorygrpc/v1/control_service_pb.js";
import { DesignService } from "../src/gen/ivorygrpc/v1/design_service_pb.js";
import { RunState } from "../src/gen/ivorygrpc/v1/run_pb.js";

const connection: Connection = {
  address: process.env.IVORYGRPC_ADDRESS ?? "",
  username: process.env.IVORYGRPC_USERNAME ?? "admin",
  password: process.env.IVORYGRPC_PASSWORD ?? "",
};
assert.ok(connection.address, "IVORYGRPC_ADDRESS is not set");

test("the example logs in, calls the pump, runs a workflow and streams it", async () => {
  const lines: string[] = [];
  const result = await runExample(connection, (line) => lines.push(line));
  assert.ok(result.dispensedMl >= 1.5, `dispensed ${result.dispensedMl}`);
  assert.equal(result.finalState, RunState.SUCCEEDED);
  // Two iterations of 0.25 mL on top of what was dispensed before the run.
  assert.equal(result.stepOutputs.length, 2);
  const [first, second] = result.stepOutputs as number[];
  assert.ok(Math.abs(second - first - 0.25) < 1e-9, `outputs ${result.stepOutputs}`);
  for (const kind of ["stateChanged", "phaseStarted", "stepStarted", "stepFinished"]) {
    assert.ok(result.eventKinds.includes(kind), `no ${kind} in ${result.eventKinds}`);
  }
  assert.ok(lines.some((line) => line.includes("pump.dispense")), lines.join("\n"));
});

test("the deck's typed service refuses a missing required argument", async () => {
  const pump = createClient(PumpService, await login(connection));
  await assert.rejects(pump.dispense({}), (error: unknown) => {
    const connect = ConnectError.from(error);
    assert.equal(connect.code, Code.InvalidArgument);
    assert.match(connect.rawMessage, /volume_ml: is required/);
    return true;
  });
});

test("calls without a token are unauthenticated", async () => {
  const pump = createClient(PumpService, transport(connection.address));
  await assert.rejects(pump.dispense({ volumeMl: 1 }), (error: unknown) => {
    assert.equal(ConnectError.from(error).code, Code.Unauthenticated);
    return true;
  });
});

test("ControlService describes the pump's parameters for thin clients", async () => {
  const control = createClient(ControlService, await login(connection));
  const reply = await control.listInstruments({});
  const names = reply.instruments.map((instrument) => instrument.name);
  assert.ok(names.includes("pump"), `instruments ${names}`);
});

test("validation reports a wrong argument type before anything runs", async () => {
  const design = createClient(DesignService, await login(connection));
  const reply = await design.validateWorkflow({
    source: { case: "workflow", value: {
      name: "ts_invalid",
      main: [{
        id: "bad",
        kind: {
          case: "call",
          value: { instrument: "pump", method: "dispense",
                   arguments: { volume_ml: literal("a lot") } },
        },
      }],
    } },
  });
  assert.equal(reply.valid, false);
  assert.ok(reply.problems.length > 0, "no problems reported");
  assert.ok(reply.problems.some((p) => p.stepId === "bad"), JSON.stringify(reply.problems));
});
