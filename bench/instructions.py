"""Instructions a payment costs, counted by callgrind: the one measure on this machine that
does not move with its speed (two runs of the same code within 0.2 %, whatever else runs;
requests a second and even CPU time a request moved by a third within minutes).

`bench/inprocess.py` (a create and a Payme cycle of three calls a payment, one request at a
time, PostgreSQL and Redis) runs under callgrind twice, with 1 round of 40 payments and
with 3; the difference over the 80 payments between them leaves out start-up, imports and
the warm-up, which both runs share. Python runs some 50 times slower under callgrind: about
three minutes a checkout.

    .venv/bin/python -m bench.instructions                # this checkout
    .venv/bin/python -m bench.instructions /tmp/base      # and another, one after the other

Only kassa's process is counted: PostgreSQL's, Redis's and the kernel's work are not
(`make bench` and `bench/ab.py` see them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.inprocess import PER_ROUND

HERE = Path(__file__).resolve().parent.parent
ROUNDS = (1, 3)


def instructions(tree: Path, rounds: int, out: Path) -> int:
    """All the instructions one run of the in-process bench executed."""
    # string hashing fixed: with Python's random seed, dicts and sets probe differently in
    # each run, and the count moved by 1-2 % between runs of the same code
    env = {**os.environ, "BENCH_INPROCESS_ROUNDS": str(rounds), "PYTHONPATH": str(tree),
           "PYTHONHASHSEED": "0"}  # fmt: skip
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
         "-m", "bench.inprocess"],
        cwd=tree, env=env, check=True, capture_output=True,
    )  # fmt: skip
    for line in out.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def per_payment(tree: Path) -> int:
    with tempfile.TemporaryDirectory() as work:
        fewer, more = (instructions(tree, r, Path(work) / f"callgrind.{r}") for r in ROUNDS)
    return (more - fewer) // ((ROUNDS[1] - ROUNDS[0]) * PER_ROUND)


def main() -> None:
    for tree in [HERE, *(Path(arg).resolve() for arg in sys.argv[1:])]:
        print(f"{tree}: {per_payment(tree) / 1e6:.2f} million instructions a payment", flush=True)


if __name__ == "__main__":
    main()
