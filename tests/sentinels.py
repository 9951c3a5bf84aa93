"""A primary, a replica and three Sentinels on free loopback ports, owned by the test run.

Given the users and passwords of deploy/redis/make-secrets, they ask for them as compose.ha.yaml's
do: the nodes load its ACL file and replicas log in with replication.conf; the Sentinels load
theirs and log in as the sentinel user to one another and to the nodes.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.redis_secrets import password
from tests.redis_server import free_port

MASTER = "registry"
# Sentinel calls a primary down after this long without an answer.
DOWN_AFTER_MS = 1000


def _wait_until(check: object, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if callable(check) and check():
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


class SentinelGroup:
    """redis-server processes: a primary, two replicas of it, and three Sentinels watching them.

    Two replicas, so that after a failover the new primary still has one to confirm writes.
    """

    def __init__(self, secrets: Path | None = None) -> None:
        self.secrets = secrets
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="sr-sentinel-"))
        self.data_ports = [free_port() for _ in range(3)]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def sentinels(self) -> tuple[tuple[str, int], ...]:
        """Where the Sentinels listen."""
        return tuple(("127.0.0.1", port) for port in self.sentinel_ports)

    def _client(self, port: int, *, sentinel: bool = False) -> redis.Redis:
        """A client of one process, as its administrator when passwords are asked."""
        if self.secrets is None:
            return redis.Redis(port=port, socket_connect_timeout=0.2, decode_responses=True)
        user = "sentinel" if sentinel else "admin"
        return redis.Redis(
            port=port,
            username=user,
            password=password(self.secrets, user),
            socket_connect_timeout=0.2,
            decode_responses=True,
        )

    def _spawn(self, port: int, *args: str) -> None:
        self.processes[port] = subprocess.Popen(
            [self.binary, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start_data(self, port: int, *, replica_of: int | None = None) -> None:
        """Start one data node (again), as a replica of `replica_of` if given."""
        workdir = self.dir / str(port)
        workdir.mkdir(exist_ok=True)
        args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir)]
        args += ["--appendonly", "no", "--save", ""]
        if self.secrets is not None:
            secrets = self.secrets / "redis"
            args = [str(secrets / "replication.conf"), *args]
            args += ["--aclfile", str(secrets / "users.acl")]
        if replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        self._spawn(port, *args)
        client = self._client(port)
        _wait_until(client.ping, seconds=10, what=f"redis-server on {port}")
        client.close()

    def start(self) -> None:
        """Start the primary, its replicas once in sync, then the Sentinels once they see all."""
        primary, *replicas = self.data_ports
        self.start_data(primary)
        for replica in replicas:
            self.start_data(replica, replica_of=primary)
        client = self._client(primary)
        _wait_until(
            lambda: (
                client.info("replication")["connected_slaves"] == len(replicas)
                and all(
                    client.info("replication")[f"slave{i}"]["state"] == "online"
                    for i in range(len(replicas))
                )
            ),
            seconds=10,
            what="the replica's first sync",
        )
        client.close()
        for port in self.sentinel_ports:
            conf = self.dir / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.dir}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n"
                f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER} 10000\n{self._sentinel_auth()}"
            )
            self._spawn(port, str(conf), "--sentinel")
        for port in self.sentinel_ports:
            sentinel = self._client(port, sentinel=True)
            _wait_until(
                lambda s=sentinel: (
                    int(s.sentinel_master(MASTER)["num-slaves"]) == len(replicas)
                    and int(s.sentinel_master(MASTER)["num-other-sentinels"]) == 2
                ),
                seconds=15,
                what="the Sentinels to see the replica and each other",
            )
            sentinel.close()

    def _sentinel_auth(self) -> str:
        """The lines of a Sentinel's configuration that make it ask for and give passwords."""
        if self.secrets is None:
            return ""
        secret = password(self.secrets, "sentinel")
        return (
            f"aclfile {self.secrets / 'sentinel' / 'users.acl'}\n"
            f"sentinel sentinel-user sentinel\nsentinel sentinel-pass {secret}\n"
            f"sentinel auth-user {MASTER} sentinel\nsentinel auth-pass {MASTER} {secret}\n"
        )

    def primary_port(self) -> int:
        """The port of the primary the Sentinels name now."""
        sentinel = self._client(self.sentinel_ports[0], sentinel=True)
        try:
            _host, port = sentinel.sentinel_get_master_addr_by_name(MASTER)
        finally:
            sentinel.close()
        return int(port)

    def kill(self, port: int) -> None:
        """Kill a process at once (SIGKILL), as a crash would."""
        process = self.processes.pop(port)
        process.kill()
        process.wait(timeout=10)

    def cleanup(self) -> None:
        """Stop every process and remove their files."""
        for process in self.processes.values():
            process.kill()
            process.wait(timeout=10)
        self.processes.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def running_group(secrets: Path | None = None) -> Iterator[SentinelGroup]:
    """A started group (asking for the passwords of `secrets`, if given), cleaned up after."""
    group = SentinelGroup(secrets)
    try:
        group.start()
        yield group
    finally:
        group.cleanup()
