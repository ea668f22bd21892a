"""What `kassa serve` and `kassa worker` tell Python's collector after start-up."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from kassa.fast.collector import YOUNG_THRESHOLD, freeze_what_start_up_made


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's own, whatever ran before in this process
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def collections_while_alive(objects: int) -> int:
    """Young collections Python starts while `objects` more objects are kept alive."""
    started: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 0:
            started.append(1)

    gc.collect()
    gc.callbacks.append(count)
    try:
        alive: list[list[int]] = [[] for _ in range(objects)]  # what requests in flight hold
        del alive
    finally:
        gc.callbacks.remove(count)
    return len(started)


@pytest.mark.usefixtures("collector_restored")
def test_requests_in_flight_no_longer_start_collections() -> None:
    assert collections_while_alive(5_000) >= 5  # Python's own threshold: one every 700
    freeze_what_start_up_made()
    assert gc.get_freeze_count() > 0  # start-up's objects are out of every collection's walk
    assert collections_while_alive(5_000) == 0
    assert collections_while_alive(3 * YOUNG_THRESHOLD) >= 2  # a collection still comes
