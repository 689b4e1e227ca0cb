/**
 * A typed TypeScript client of ivorygrpc: logs in, calls an instrument through
 * the deck's own generated service, saves a workflow, runs it and streams the
 * run's events until it finishes.
 *
 *   IVORYGRPC_ADDRESS=127.0.0.1:50051 IVORYGRPC_PASSWORD=... npm run example
 *
 * The deck services (`./gen/ivorygrpc/deck/...`) come from the example deck
 * `examples/abstract_sdl.py`: see README.md for `npm run generate:deck`.
 */
import { fromJson, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { pathToFileURL } from "node:url";

import { PumpService } from "./gen/ivorygrpc/deck/pump/v1/pump_pb.js";
import { AuthService } from "./gen/ivorygrpc/v1/auth_service_pb.js";
import { DesignService } from "./gen/ivorygrpc/v1/design_service_pb.js";
import { ExecuteService } from "./gen/ivorygrpc/v1/execute_service_pb.js";
import { RunState } from "./gen/ivorygrpc/v1/run_pb.js";

/** Where the server is and who logs in. */
export interface Connection {
  address: string; // host:port, plaintext HTTP/2 (use an https:// baseUrl for TLS)
  username: string;
  password: string;
}

/** What the example observed. */
export interface ExampleResult {
  dispensedMl: number;
  workflow: string;
  runId: string;
  finalState: RunState;
  stepOutputs: unknown[];
  eventKinds: string[];
}

/** A gRPC (not Connect) transport over HTTP/2 without TLS, sending `token` when set. */
export function transport(address: string, token?: string): Transport {
  const bearer: Interceptor = (next) => async (request) => {
    if (token) request.header.set("authorization", `Bearer ${token}`);
    return await next(request);
  };
  return createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer] });
}

/** Logs in and returns a transport that carries the bearer token. */
export async function login(connection: Connection): Promise<Transport> {
  const auth = createClient(AuthService, transport(connection.address));
  const { token } = await auth.login({
    username: connection.username,
    password: connection.password,
  });
  return transport(connection.address, token);
}

/** Saves a one-step workflow that dispenses `#volume_ml` (version 1). */
async function saveWorkflow(design: Client<typeof DesignService>, name: string): Promise<void> {
  await design.createWorkflow({
    workflow: {
      name,
      description: "Dispense a volume per iteration (TypeScript example).",
      main: [{
        id: "dispense",
        kind: {
          case: "call",
          value: {
            instrument: "pump",
            method: "dispense",
            arguments: { volume_ml: { kind: { case: "parameter", value: "volume_ml" } } },
            saveAs: ["total_ml"],
          },
        },
      }],
    },
  });
}

/** Runs the whole example; `log` receives one line per observation. */
export async function runExample(connection: Connection,
                                 log: (line: string) => void = console.log): Promise<ExampleResult> {
  const authed = await login(connection);

  // A typed call of the deck's own service: DispenseRequest/DispenseResponse.
  const pump = createClient(PumpService, authed);
  const { result: dispensedMl } = await pump.dispense({ volumeMl: 1.5 });
  log(`pump.dispense(volume_ml=1.5) -> ${dispensedMl} mL dispensed so far`);

  const workflow = `ts_example_${Date.now()}`;
  await saveWorkflow(createClient(DesignService, authed), workflow);
  const execute = createClient(ExecuteService, authed);
  const { run } = await execute.createRun({
    workflow,
    mode: {
      kind: {
        case: "repeat",
        value: { count: 2n, parameters: { volume_ml: 0.25 } },
      },
    },
  });
  if (!run) throw new Error("CreateRun returned no run");
  log(`run ${run.id} of ${workflow}: ${RunState[run.state]}`);

  const stepOutputs: unknown[] = [];
  const eventKinds: string[] = [];
  let finalState = run.state;
  const events = execute.streamRunEvents({ runId: run.id, untilFinished: true },
                                         { timeoutMs: 60_000 });
  for await (const { event } of events) {
    if (!event) continue;
    const kind = event.kind;
    if (!kind.case || kind.case === "heartbeat") continue;
    eventKinds.push(kind.case);
    if (kind.case === "stepFinished") {
      const output = kind.value.output ? toJson(ValueSchema, kind.value.output) : null;
      stepOutputs.push(output);
      log(`#${event.sequence} step ${kind.value.title} -> ${JSON.stringify(output)}`);
    } else if (kind.case === "stateChanged") {
      finalState = kind.value.state;
      log(`#${event.sequence} state ${RunState[kind.value.state]}`);
    }
  }
  return { dispensedMl, workflow, runId: run.id, finalState, stepOutputs, eventKinds };
}

/** A literal workflow argument, for clients that build steps by hand. */
export function literal(value: number | string | boolean) {
  return { kind: { case: "literal" as const, value: fromJson(ValueSchema, value) } };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const connection: Connection = {
    address: process.env.IVORYGRPC_ADDRESS ?? "127.0.0.1:50051",
    username: process.env.IVORYGRPC_USERNAME ?? "admin",
    password: process.env.IVORYGRPC_PASSWORD ?? "",
  };
  const result = await runExample(connection);
  console.log(`run ${result.runId} ended ${RunState[result.finalState]}`);
}
