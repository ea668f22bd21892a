"""FAST_PATHS, the one switch of kassa's throughput machinery (kassa.fast): what each value
turns on, what it refuses, and the door it leaves when `admission` is off."""

from __future__ import annotations

import pytest

from kassa.core.settings import ConfigurationError, Settings, load_settings
from kassa.fast import switch


@pytest.mark.parametrize(("value", "pieces"), [
    ("on", set(switch.PIECES)),
    ("", set(switch.PIECES)),
    ("off", set()),
    ("-driver", set(switch.PIECES) - {"driver"}),
    ("-driver, -batch", set(switch.PIECES) - {"driver", "batch"}),
    ("off,driver", {"driver"}),
    ("off,+batch,compare_and_set", {"batch", "compare_and_set"}),
    ("OFF,Driver,on", set(switch.PIECES)),
])  # fmt: skip
def test_a_value_is_read_from_left_to_right_from_everything_on(value: str, pieces: set[str]) -> None:
    assert switch.parse(value) == pieces


def test_a_word_that_is_no_piece_stops_kassa_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="FAST_PATHS: '-drive' is not on, off, nor a piece"):
        load_settings(_env_file=None, fast_paths="-drive")


def test_without_admission_the_door_stands_only_where_api_concurrency_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("API_CONCURRENCY", raising=False)
    assert Settings(_env_file=None, fast_paths="on").door_places == 32
    assert Settings(_env_file=None, fast_paths="-admission").door_places == 0
    assert Settings(_env_file=None, fast_paths="off", api_concurrency=8).door_places == 8
    assert Settings(_env_file=None, fast_paths="off").model_copy(update={"api_concurrency": 4}).door_places == 4
    assert Settings(_env_file=None, fast_paths="on", api_concurrency=0).door_places == 0
