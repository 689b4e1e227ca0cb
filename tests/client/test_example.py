"""clients/python/example.py runs against a live server of the example deck."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.fixtures.server import ADMIN_PASSWORD, ROOT, Served

EXAMPLE = ROOT / "clients" / "python" / "example.py"


async def test_the_example_script_runs_end_to_end(served: Served) -> None:
    env = {**os.environ, "IVORYGRPC_TARGET": served.target, "IVORYGRPC_USERNAME": "admin",
           "IVORYGRPC_PASSWORD": ADMIN_PASSWORD}
    env.pop("IVORYGRPC_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert "logged in as admin" in text
    assert "pump total after 0.5 mL: 0.5 mL" in text
    assert "refused: [('volume_ml'," in text
    assert "saved example_dose v1; valid: True" in text
    assert text.count("pump.dispense sample") == 3
    assert "run is now RUN_STATE_SUCCEEDED" in text
    header, *rows = text[text.index("iteration,"):].splitlines()
    assert "volume" in header and "reading" in header and len(rows) == 3
