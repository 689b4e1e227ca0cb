"""Lab A's deck: a local instrument plus lab B's balance as `remote_balance`.

The test sets LAB_B_TARGET and LAB_B_TOKEN (and may set LAB_B_DEADLINE) before the
deck loads.
"""

from __future__ import annotations

import os
import threading

import ivorygrpc


class Lab:
    """Lab A's own instrument."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()

    def hold(self) -> None:
        """Wait until the test opens the gate."""
        if not self.gate.wait(30):
            raise TimeoutError("the gate stayed closed")


lab = Lab()
remote_balance = ivorygrpc.remote(os.environ["LAB_B_TARGET"], "balance",
                                  token=os.environ["LAB_B_TOKEN"],
                                  deadline=float(os.environ.get("LAB_B_DEADLINE", "10")),
                                  connect_timeout=10)
