"""Federation across hosts: lab B in its own network namespace, reached over a veth pair.

Needs root and iproute2 (`ip netns`); skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from google.protobuf import json_format, struct_pb2

from ivorygrpc.v1 import control_service_pb2 as control_pb
from ivorygrpc.v1 import control_service_pb2_grpc as control_grpc
from tests.federation.remote_server import LabB
from tests.fixtures.server import ROOT, ServeDeck

LAB_A_DECK = ROOT / "tests" / "federation" / "lab_a_deck.py"


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10,
                          check=False)


@pytest.fixture
def namespace() -> Iterator[tuple[str, str]]:
    """A network namespace linked to this one by a veth pair: (name, its address)."""
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (`ip`) is not installed")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root")
    tag = os.getpid() % 100000
    name, outer, inner = f"ivg{tag}", f"ivg{tag}a", f"ivg{tag}b"
    subnet = f"10.231.{tag % 250}"
    created = _ip("netns", "add", name)
    if created.returncode != 0:
        pytest.skip(f"this machine does not allow `ip netns add`: {created.stderr.strip()}")
    try:
        for step in (("link", "add", outer, "type", "veth", "peer", "name", inner),
                     ("link", "set", inner, "netns", name),
                     ("addr", "add", f"{subnet}.1/30", "dev", outer),
                     ("link", "set", outer, "up"),
                     ("netns", "exec", name, "ip", "addr", "add", f"{subnet}.2/30", "dev", inner),
                     ("netns", "exec", name, "ip", "link", "set", inner, "up"),
                     ("netns", "exec", name, "ip", "link", "set", "lo", "up")):
            result = _ip(*step)
            if result.returncode != 0:
                pytest.skip(f"`ip {' '.join(step)}` failed: {result.stderr.strip()}")
        yield name, f"{subnet}.2"
    finally:
        _ip("netns", "del", name)  # removes the inner end, and with it the pair
        _ip("link", "del", outer)  # in case the pair outlived the namespace


@pytest.fixture
async def lab_b_in_namespace(namespace: tuple[str, str], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LabB]:
    name, address = namespace
    lab = LabB(tmp_path / "lab_b", host=address, prefix=("ip", "netns", "exec", name))
    async with lab.running():
        monkeypatch.setenv("LAB_B_TARGET", lab.target)
        monkeypatch.setenv("LAB_B_TOKEN", lab.token)
        yield lab


async def test_lab_a_uses_an_instrument_of_lab_b_on_another_host(
        lab_b_in_namespace: LabB, namespace: tuple[str, str], serve_deck: ServeDeck) -> None:
    lab_b = lab_b_in_namespace
    assert lab_b.process is not None
    identify = _ip("netns", "identify", str(lab_b.process.pid))
    assert identify.stdout.strip() == namespace[0]  # B really runs in the other namespace

    lab_a = await serve_deck(LAB_A_DECK)
    reply = await control_grpc.ControlServiceStub(lab_a.channel).CallMethod(
        control_pb.CallMethodRequest(instrument="remote_balance", method="add",
                                     arguments=json_format.ParseDict({"mass_mg": 2.5},
                                                                     struct_pb2.Struct())))
    assert json_format.MessageToDict(reply.result) == 102.5
    on_b = await control_grpc.ControlServiceStub(lab_b.channel()).ListCalls(
        control_pb.ListCallsRequest(instrument="balance"))
    assert [(c.method, json_format.MessageToDict(c.arguments)) for c in on_b.calls] == [
        ("add", {"mass_mg": 2.5})]
