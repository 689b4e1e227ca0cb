"""The dynamic deck proxy: real signatures and docstrings, and a round trip for every row
of the SPEC §2 type table through a real server (async and sync flavours)."""

from __future__ import annotations

import asyncio
import datetime
import enum
import inspect
from typing import Any

import pytest

import ivorygrpc
from ivorygrpc.client import AsyncDeck, Client, connect_async, errors
from tests.decks import client_deck as user_types
from tests.fixtures.server import ADMIN_PASSWORD, Served

UTC = datetime.UTC


@pytest.fixture
async def lab(echo_lab: Served) -> Any:
    deck = await connect_async(echo_lab.target, username="admin", password=ADMIN_PASSWORD)
    yield deck
    await deck.close()


async def test_scalars_round_trip(lab: AsyncDeck) -> None:
    echo = lab.echo
    assert await echo.f(1.25) == 1.25 and await echo.f(2) == 2.0
    assert await echo.i(-(2**40)) == -(2**40)
    assert await echo.s("héllo") == "héllo"
    assert await echo.b(False) is False
    assert await echo.raw(b"\x00\xff") == b"\x00\xff"


async def test_enums_and_literals_round_trip(lab: AsyncDeck) -> None:
    Mode, Level = lab.types.Mode, lab.types.Level
    assert issubclass(Mode, enum.Enum) and [m.name for m in Mode] == ["FAST", "SLOW_DOWN"]
    assert await lab.echo.mode(Mode.SLOW_DOWN) == (Mode.SLOW_DOWN, Level.HIGH)
    # the user's own Enum members, names as text, and IntEnum values all work
    assert await lab.echo.mode(user_types.Mode.FAST, user_types.Level.LOW) == (
        Mode.FAST, Level.LOW)
    assert await lab.echo.mode("SLOW_DOWN", level=5) == (Mode.SLOW_DOWN, Level.HIGH)
    assert await lab.echo.literal() == "slow down"
    assert await lab.echo.literal("2") == "2"
    picked = await lab.echo.pick("fast")
    assert isinstance(picked, enum.Enum) and picked.value == "fast"
    with pytest.raises(errors.InvalidArgument) as info:
        await lab.echo.mode("MEDIUM")
    assert [v.field for v in info.value.field_violations] == ["mode"]


async def test_optionals_and_containers_round_trip(lab: AsyncDeck) -> None:
    assert await lab.echo.maybe() is None
    assert await lab.echo.maybe(None) is None
    assert await lab.echo.maybe(7) == 7
    assert await lab.echo.many([1, 2, 3], {"a", "b"}, (0.5, 1.5)) == [3.0, 2.0, 2.0]
    assert await lab.echo.many([], set(), ()) == [0.0, 0.0, 0.0]


async def test_datetimes_round_trip(lab: AsyncDeck) -> None:
    at = datetime.datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert await lab.echo.when(at) == at + datetime.timedelta(hours=1)
    naive = datetime.datetime(2026, 5, 6, 7, 8, 9)  # naive means UTC
    assert await lab.echo.when(naive) == datetime.datetime(2026, 5, 6, 8, 8, 9, tzinfo=UTC)


async def test_records_round_trip(lab: AsyncDeck) -> None:
    Point = lab.types.Point
    assert issubclass(Point, tuple) and Point._fields == ("x", "y", "label")
    assert await lab.echo.point(Point(x=1.0, y=2.0, label="a")) == Point(2.0, 4.0, "a")
    assert await lab.echo.point(user_types.Point(1.5)) == Point(3.0, 0.0, None)
    assert await lab.echo.point({"x": 1}) == Point(2.0, 0.0, None)
    reading = await lab.echo.reading(user_types.Reading(1.0, "mg"))  # NamedTuple in and out
    assert reading == (2.0, "MG") and (reading.value, reading.unit) == (2.0, "MG")
    assert type(reading).__name__ == "Reading"
    settings = await lab.echo.settings({"rate": 0.5, "modes": ["FAST", "SLOW_DOWN"]})
    Mode = lab.types.Mode
    assert (settings.rate, settings.modes) == (5.0, [Mode.SLOW_DOWN, Mode.FAST])  # TypedDict
    stamp = user_types.Stamped(datetime.datetime(2026, 1, 1, tzinfo=UTC),
                               user_types.Mode.FAST, ["x", "y"], user_types.Point(1, 2))
    back = await lab.echo.stamped(stamp)
    assert (back.when, back.mode, back.tags, back.where) == (
        stamp.when, Mode.FAST, ["x", "y"], lab.types.Point(1.0, 2.0, None))


async def test_json_like_values_round_trip(lab: AsyncDeck) -> None:
    value = [1, 2.5, "x", None, True, {"nested": [1, {"deep": "yes"}]}]
    assert await lab.echo.anything(value, {"k": 1}) == {"value": value, "table": {"k": 1}}
    assert await lab.echo.anything(None, {}) == {"value": None, "table": {}}


async def test_defaults_apply_and_show_in_the_signature(lab: AsyncDeck) -> None:
    signature = inspect.signature(lab.echo.defaults)
    params = signature.parameters
    assert list(params) == ["volume", "name", "point", "when", "levels", "strict"]
    assert params["volume"].default == 1.5 and params["volume"].annotation is float
    assert params["name"].default == "water"
    assert params["point"].default is None
    assert params["when"].default == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert params["levels"].default == [lab.types.Level.LOW]
    assert params["strict"].default is inspect.Parameter.empty
    assert params["strict"].kind is inspect.Parameter.KEYWORD_ONLY
    assert signature.return_annotation is str
    expected = "1.5|water|None|2026-01-02T03:04:05+00:00|['LOW']|True"
    assert await lab.echo.defaults(strict=True) == expected
    assert await lab.echo.defaults(None, None, None, None, None, strict=True) == expected
    assert await lab.echo.defaults(2.0, "ink", {"x": 1}, levels=[5], strict=False) == (
        "2.0|ink|Point(x=1.0, y=0.0, label=None)|2026-01-02T03:04:05+00:00|['HIGH']|False")
    with pytest.raises(TypeError):
        await lab.echo.defaults()  # `strict` is required, as in Python


async def test_results_none_scalar_and_fixed_tuple(lab: AsyncDeck) -> None:
    assert await lab.echo.nothing() is None
    assert await lab.echo.pair(1.5) == (1.5, "1.5")
    assert inspect.signature(lab.echo.pair).return_annotation == tuple[float, str]
    assert inspect.signature(lab.echo.nothing).return_annotation is None


async def test_signatures_and_docstrings_come_from_the_descriptors(lab: AsyncDeck) -> None:
    mode = inspect.signature(lab.echo.mode)
    assert list(mode.parameters) == ["mode", "level"]
    assert mode.parameters["mode"].annotation is lab.types.Mode
    assert mode.parameters["level"].default is lab.types.Level.HIGH
    assert inspect.signature(lab.echo.maybe).parameters["n"].annotation == int | None
    assert inspect.signature(lab.echo.many).parameters["b"].annotation == list[str]
    assert inspect.iscoroutinefunction(lab.echo.f)
    doc = lab.echo.defaults.__doc__
    assert doc.startswith("Every argument has a default except `strict`.")
    assert "volume: `float`, default `1.5`, unit mL, range [0, 25]." in doc
    assert "strict: `bool`, required." in doc
    assert lab.echo.__doc__ == "Returns what it gets, typed."
    assert lab.types.Mode.__doc__ == "Choices of `Mode`."  # the server's enum comment
    assert sorted(lab) == ["blocks", "echo"] and lab["echo"] is lab.echo
    with pytest.raises(AttributeError, match="has no instrument 'pump'"):
        lab.pump  # noqa: B018


async def test_properties_blocks_and_async_methods(lab: AsyncDeck) -> None:
    assert await lab.echo.get_speed() == 1.0
    assert await lab.echo.set_speed(2.5) is None
    assert await lab.echo.get_speed() == 2.5
    assert await lab.blocks.double(4) == 8.0
    assert await lab.echo.later() == "later"


async def test_calls_carry_request_ids_and_errors_are_typed(lab: AsyncDeck) -> None:
    await lab.echo.i(1)
    await lab.echo.i(1)
    records = await lab.client.list_calls("echo", limit=2)
    ids = {r.request_id for r in records}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)
    with pytest.raises(errors.InstrumentError) as info:
        await lab.echo.fail()
    assert info.value.exception_message == "echo failed on purpose"
    with pytest.raises(errors.InvalidArgument) as bad:
        await lab.echo.f("1.5")  # refused before it is sent
    assert bad.value.field_violations == (errors.FieldViolation("x", "expected float, got str"),)
    with pytest.raises(errors.InvalidArgument) as missing:
        await lab.echo.f(None)  # None is "not sent": the server names the required field
    assert [v.field for v in missing.value.field_violations] == ["x"]


async def test_the_sync_flavour(echo_lab: Served) -> None:
    def script() -> list[Any]:
        with ivorygrpc.connect(echo_lab.target, username="admin",
                               password=ADMIN_PASSWORD) as lab:
            out = [lab.echo.f(1.5), lab.echo.mode("FAST"), lab.echo.speed]
            lab.echo.speed = 4.0  # a Python property in the sync flavour
            out += [lab.echo.get_speed(), lab.blocks.double(1.0), lab.echo.later(),
                    inspect.signature(lab.echo.defaults) == inspect.signature(lab.echo.defaults),
                    inspect.iscoroutinefunction(lab.echo.f),
                    [c.method for c in lab.client.list_calls("echo", limit=2)]]
            with pytest.raises(errors.InstrumentError):
                lab.echo.fail()
            return out

    out = await asyncio.to_thread(script)
    assert out[0] == 1.5 and out[1][0].name == "FAST" and out[2] == 1.0
    assert out[3:] == [4.0, 2.0, "later", True, False, ["later", "get_speed"]]


async def test_override_busy_reaches_the_server(echo_lab: Served) -> None:
    client = await Client.connect(echo_lab.target, token=echo_lab.token)
    lab = await client.deck(override_busy=True)
    assert await lab.echo.i(3) == 3
    [record] = await client.list_calls("echo", limit=1)
    assert record.method == "i"
    await client.close()
