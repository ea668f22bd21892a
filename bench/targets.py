"""The performance targets kassa holds itself to, read off one `make bench` run: PostgreSQL,
2 processes each, the floor and the peer in the same run, a column for each of
`BENCH_RUNS`. A figure in bold held its target. Read this way, a run on a machine that
wanders is judged by its ranges, not by its best cell.

The targets: Payme at least 1.25 times the peer's payments a second at 16 and 64 clients,
with p99 at 64 no worse than the peer's; create at least half the floor's rate at 16 and 64
clients, with p99 at 64 at most twice the floor's; the full cycle at least 150 payments a
second at 16 clients, none lost or doubled; every API process under 120 MB. The renewal
backlog (at least 200 a second) has its own table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

DATABASE, WORKERS = "postgresql", 2
Cell = dict[str, Any]


def _cell(results: Sequence[Cell], run: int, target: str, scenario: str, clients: int) -> Cell | None:
    return next((r for r in results if r["run"] == run and r["target"] == target and r["clients"] == clients
                 and r["database"] == DATABASE and r["workers"] == WORKERS
                 and (target != "kassa" or r["scenario"] == scenario)), None)  # fmt: skip


def _figure(shown: str, held: bool) -> str:
    return f"**{shown}**" if held else shown


def _ratio(results: Sequence[Cell], run: int, target: str, scenario: str, clients: int) -> float | None:
    """kassa's units a second over the floor's (create) or the peer's (Payme) in the same cell."""
    ours, theirs = _cell(results, run, "kassa", scenario, clients), _cell(results, run, target, scenario, clients)
    if ours is None or theirs is None or not theirs["units_per_s"]:
        return None
    return float(ours["units_per_s"]) / float(theirs["units_per_s"])


def _at_16_and_64(results: Sequence[Cell], run: int, target: str, scenario: str, least: float,
                  shown: str) -> tuple[str, bool] | None:
    """kassa's rate over the floor's or the peer's at 16 and at 64 clients, each at least `least`."""
    ratios = [_ratio(results, run, target, scenario, clients) for clients in (16, 64)]
    if any(r is None for r in ratios):
        return None
    held = [r is not None and r >= least for r in ratios]
    return " / ".join(_figure(format(r, shown), ok) for r, ok in zip(ratios, held, strict=True)), all(held)


def _create_vs_floor(results: Sequence[Cell], run: int) -> tuple[str, bool] | None:
    return _at_16_and_64(results, run, "floor", "create", 0.5, ".0%")


def _create_p99(results: Sequence[Cell], run: int) -> tuple[str, bool] | None:
    ours, floor = _cell(results, run, "kassa", "create", 64), _cell(results, run, "floor", "create", 64)
    if ours is None or floor is None or not floor["p99_ms"]:
        return None
    times = ours["p99_ms"] / floor["p99_ms"]
    return _figure(f"{ours['p99_ms']:.0f} / {floor['p99_ms']:.0f} ({times:.2f}x)", times <= 2), times <= 2


def _payme_vs_peer(results: Sequence[Cell], run: int) -> tuple[str, bool] | None:
    return _at_16_and_64(results, run, "peer", "payme", 1.25, ".2f")


def _payme_p99(results: Sequence[Cell], run: int) -> tuple[str, bool] | None:
    ours, peer = _cell(results, run, "kassa", "payme", 64), _cell(results, run, "peer", "payme", 64)
    if ours is None or peer is None:
        return None
    held = ours["p99_ms"] <= peer["p99_ms"]
    return _figure(f"{ours['p99_ms']:.0f} / {peer['p99_ms']:.0f}", held), held


def _cycle(results: Sequence[Cell], run: int) -> tuple[str, bool] | None:
    cycle = _cell(results, run, "kassa", "cycle", 16)
    if cycle is None:
        return None
    held = cycle["units_per_s"] >= 150 and cycle.get("lost") == 0 and cycle.get("doubled") == 0
    lost = f", {cycle.get('lost')} lost, {cycle.get('doubled')} doubled"
    return _figure(f"{cycle['units_per_s']:.0f}", held) + lost, held


def _memory(results: Sequence[Cell], run: int) -> tuple[str, bool] | None:
    ours = [r["rss_mb"] for r in results if r["run"] == run and r["target"] == "kassa"
            and r["database"] == DATABASE and r["workers"] == WORKERS]  # fmt: skip
    if not ours:
        return None
    return _figure(f"{max(ours)}", max(ours) < 120), max(ours) < 120


TARGETS: list[tuple[str, Callable[[Sequence[Cell], int], tuple[str, bool] | None]]] = [
    ("create vs the floor, 16 / 64 clients (≥ 50 %)", _create_vs_floor),
    ("create p99 at 64 clients, kassa / floor ms (≤ 2x)", _create_p99),
    ("Payme vs the peer, 16 / 64 clients (≥ 1.25x)", _payme_vs_peer),
    ("Payme p99 at 64 clients, kassa / peer ms (no worse)", _payme_p99),
    ("full cycle at 16 clients, payments/s (≥ 150)", _cycle),
    ("largest RSS of an API process, MB (< 120)", _memory),
]


def targets_report(results: Sequence[Cell]) -> str:
    """A row a target, a column a run, and how many runs held it; "" when the run has no
    cell for any target (another database or number of processes)."""
    runs = sorted({r["run"] for r in results})
    rows = []
    for name, read in TARGETS:
        found = [read(results, run) for run in runs]
        if all(f is None for f in found):
            continue
        judged = [f for f in found if f is not None]
        held = sum(1 for _, ok in judged if ok)
        rows.append(f"| {name} | " + " | ".join("" if f is None else f[0] for f in found)
                    + f" | {held} of {len(judged)} |")  # fmt: skip
    if not rows:
        return ""
    head = "| target | " + " | ".join(f"run {run}" for run in runs) + " | held |"
    return ("\n\n**The targets** (PostgreSQL, 2 processes each; bold: held):\n\n" + head + "\n|"
            + "---|" * (len(runs) + 2) + "\n" + "\n".join(rows))  # fmt: skip
