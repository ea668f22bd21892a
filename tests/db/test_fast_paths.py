"""FAST_PATHS, the one switch of kassa's throughput machinery (kassa.fast): what each value
turns on and what it refuses."""

from __future__ import annotations

import pytest

from kassa.core.settings import ConfigurationError, load_settings
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


def test_a_refused_word_is_answered_with_the_pieces_there_are() -> None:
    """`admission`, a piece no more, is refused like any word that is none."""
    listed = "driver, batch, compare_and_set, fast_path, collector"
    with pytest.raises(ConfigurationError, match=f"'-admission' is not on, off, nor a piece \\({listed}\\)"):
        load_settings(_env_file=None, fast_paths="-admission")
