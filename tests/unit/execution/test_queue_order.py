"""QueueOrder: the in-memory queue order (position, id), checked against a plain list."""

from __future__ import annotations

import random

import pytest

from ivorygrpc.execution.queue_order import GAP, QueueOrder


def ranks(order: QueueOrder) -> list[int]:
    return [order.rank(run_id) for run_id in order]


def test_add_remove_rank_and_front() -> None:
    order = QueueOrder([("c", 3 * GAP), ("a", GAP), ("b", 2 * GAP)])
    assert list(order) == ["a", "b", "c"] and len(order) == 3
    assert ranks(order) == [1, 2, 3] and order.rank("zz") == 0
    assert order.first() == "a" and order.last_position() == 3 * GAP
    assert order.remove("b") == 2 * GAP and order.remove("b") is None
    assert "b" not in order and order.position("b") is None and order.rank("c") == 2
    order.add("b", 2 * GAP)
    assert list(order) == ["a", "b", "c"]
    with pytest.raises(ValueError):
        order.add("b", 9 * GAP)
    assert order.pop_first() == "a" and order.first() == "b"
    assert QueueOrder().first() is None and QueueOrder().last_position() == 0


def test_equal_positions_order_by_id_like_the_store() -> None:
    order = QueueOrder([("y", 0), ("x", 0), ("w", 5)])
    assert list(order) == ["x", "y", "w"] and ranks(order) == [1, 2, 3]


def test_move_changes_one_position_while_there_is_room() -> None:
    order = QueueOrder([(r, (i + 1) * GAP) for i, r in enumerate("abcd")])
    assert order.move("d", "b", after=False) == {"d": GAP + GAP // 2}
    assert list(order) == ["a", "d", "b", "c"]
    assert order.move("a", "c", after=True) == {"a": 4 * GAP}
    assert list(order) == ["d", "b", "c", "a"]
    assert order.move("a", "d", after=False) == {"a": GAP // 2}
    assert list(order) == ["a", "d", "b", "c"]
    for bad in (("a", "a"), ("a", "zz"), ("zz", "a")):
        with pytest.raises(ValueError):
            order.move(bad[0], bad[1], after=False)
    assert list(order) == ["a", "d", "b", "c"]


def test_move_renumbers_when_the_neighbours_leave_no_room() -> None:
    order = QueueOrder([("a", 10), ("b", 11), ("c", 12)])
    changed = order.move("c", "b", after=False)
    assert list(order) == ["a", "c", "b"]
    assert changed == {"a": GAP, "c": 2 * GAP, "b": 3 * GAP}
    assert [order.position(r) for r in order] == [GAP, 2 * GAP, 3 * GAP]


def test_many_random_edits_match_a_plain_list() -> None:
    rng = random.Random(8)
    order = QueueOrder()
    model: list[str] = []
    tail = 0
    for step in range(3000):
        action = rng.random()
        if action < 0.3 or len(model) < 2:
            tail += GAP
            run_id = f"r{step}"
            order.add(run_id, tail)
            model.append(run_id)
        elif action < 0.8:
            run_id, target = rng.sample(model, 2)
            after = rng.random() < 0.5
            changed = order.move(run_id, target, after=after)
            tail = max(tail, order.last_position())
            model.remove(run_id)
            model.insert(model.index(target) + after, run_id)
            assert all(order.position(r) == p for r, p in changed.items())
        elif action < 0.95:
            run_id = rng.choice(model)
            assert order.remove(run_id) is not None
            model.remove(run_id)
        else:
            assert order.pop_first() == model.pop(0)
        assert list(order) == model
    assert ranks(order) == list(range(1, len(model) + 1))
    positions = [order.position(r) for r in order]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
