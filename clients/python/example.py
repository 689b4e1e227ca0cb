"""Drive an ivorygrpc server from a Python script (against `examples/abstract_sdl.py`).

    ivorygrpc serve examples/abstract_sdl.py            # in another terminal
    IVORYGRPC_PASSWORD=... python clients/python/example.py

Logs in, calls an instrument through the typed deck proxy, saves a workflow,
runs it while printing its events, and prints the results as CSV.
Settings: IVORYGRPC_TARGET (default localhost:50051), IVORYGRPC_USERNAME
(default admin) with IVORYGRPC_PASSWORD, or IVORYGRPC_TOKEN.
"""

from __future__ import annotations

import os

import ivorygrpc
from ivorygrpc.client.errors import InvalidArgument
from ivorygrpc.v1 import run_pb2

WORKFLOW = {
    "name": "example_dose",
    "description": "Dispense a volume per sample, then weigh.",
    "main": [
        {"call": {"instrument": "pump", "method": "dispense",
                  "arguments": {"volume_ml": {"parameter": "volume"}}, "save_as": ["total"]}},
        {"call": {"instrument": "balance", "method": "weigh",
                  "save_as": ["reading"]}},
    ],
}


def main() -> None:
    lab = ivorygrpc.connect(os.environ.get("IVORYGRPC_TARGET", "localhost:50051"),
                            token=os.environ.get("IVORYGRPC_TOKEN"),
                            username=None if os.environ.get("IVORYGRPC_TOKEN") else
                            os.environ.get("IVORYGRPC_USERNAME", "admin"),
                            password=os.environ.get("IVORYGRPC_PASSWORD"))
    with lab:
        client = lab.client  # every non-instrument operation (a SyncClient)
        print("logged in as", client.current_user().username)

        # Typed direct control: real signatures, Python values back.
        print("pump total after 0.5 mL:", lab.pump.dispense(volume_ml=0.5), "mL")
        reading = lab.balance.weigh()
        print(f"balance: {reading.mass_mg} mg (stable: {reading.stable})")
        try:
            lab.pump.dispense(volume_ml=99)
        except InvalidArgument as exc:  # typed errors with every bad field
            print("refused:", [(v.field, v.description) for v in exc.field_violations])

        # Save (or overwrite) the workflow, check it, and run it for three samples.
        workflow = client.save_workflow(WORKFLOW, overwrite=True)
        print(f"saved {workflow.name} v{workflow.version};",
              "valid:", client.validate_workflow(workflow.name).valid)
        run = client.create_run(workflow.name, rows=[{"volume": v} for v in (0.1, 0.2, 0.3)])
        for event in client.follow_run(run.id):  # stored events, then live ones
            kind = event.WhichOneof("kind")
            if kind == "step_finished":
                step = event.step_finished
                print(f"  #{event.sequence} {step.title} sample {step.sample} done")
            elif kind == "state_changed":
                print(f"  #{event.sequence} run is now",
                      run_pb2.RunState.Name(event.state_changed.state))
        print(client.export_run_data(run.id), end="")


if __name__ == "__main__":
    main()
