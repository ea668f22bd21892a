"""A PostgreSQL cluster and a Redis server of the tests' own, for the fault suite.

Tests are guests on the machine: when they must kill or restart a database or stop Redis,
they do it to servers they started themselves, in a temporary directory on free ports, and
stop them when done. PostgreSQL comes from Debian's `initdb`/`pg_ctl` (run as the
`postgres` user when the tests run as root, as initdb refuses root), Redis from
`redis-server`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin(name: str) -> str:
    """Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<major>/bin."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package")
    return on_path


@dataclass
class PostgresCluster:
    """`initdb` into a directory of its own, trust authentication, fsync off (data that
    matters lives elsewhere), listening on 127.0.0.1 only."""

    directory: Path
    port: int
    _user: str | None = None

    @classmethod
    def create(cls, parent: Path) -> PostgresCluster:
        directory = parent / "pgdata"
        directory.mkdir(parents=True)
        cluster = cls(directory, free_port())
        if os.geteuid() == 0:
            cluster._user = "postgres"
            entry = pwd.getpwnam("postgres")
            for path in (parent, directory):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        cluster._run(_postgres_bin("initdb"), "-D", str(directory), "-U", "postgres", "--auth=trust",
                     "--no-sync", "-E", "UTF8", "--locale=C")
        return cluster

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.directory.parent)

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -F"
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.directory), "-o", options, "-w",
                  "-l", str(self.directory / "server.log"), "-m", "fast", action)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        self._ctl("stop")

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class RedisServer:
    """`redis-server` on a free port, nothing saved."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, parent: Path) -> RedisServer:
        directory = parent / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory, free_port())

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: install Debian's redis-server package")
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"
