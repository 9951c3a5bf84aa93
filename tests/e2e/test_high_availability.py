"""The HA stack (compose.ha.yaml) loses no acknowledged registration when containers die.

Registrations go through the load balancer with unique ids and Idempotency-Keys, every answer
recorded, while the Redis primary the Sentinels name is killed, then an api replica, then the
killed Redis node is started again and must rejoin as a replica. Prints the failover time, the
acknowledged writes lost and the throughput of the HA stack against the one-node stack.

Its Redis nodes and Sentinels ask for a password as compose.yaml's Redis does, and its metrics
are served as there: the first tests check both, before any container is killed.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from tests.e2e.load import Loop, Reads, Registrations, read_once, register_until_known, throughput
from tests.e2e.stack import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    BASE_URL,
    DANGEROUS_COMMANDS,
    PROJECT,
    ROOT,
    SERVICE_USER,
    Stack,
    assert_password_hidden,
    is_refused,
    new_student,
    probe,
    redis_cli,
    scrape_metrics,
    service_password,
    unavailable_reason,
    wait_until,
)

reason = unavailable_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(reason is not None, reason=reason or "")]

HA_URL = f"http://127.0.0.1:{os.environ.get('E2E_HA_PORT') or 5080}"
REDIS_NODES = ("redis-1", "redis-2", "redis-3")
SENTINELS = ("sentinel-1", "sentinel-2", "sentinel-3")
SENTINEL_PORT = 26379
WRITERS = 4
READERS = 2
# Failed reads allowed while an api replica dies.
MAX_READ_FAILURES = 0.005


@pytest.fixture(scope="module")
def ha_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The HA stack built from the working tree, healthy; removed with its data afterwards."""
    secret = tmp_path_factory.mktemp("ha-secrets") / "admin_password"
    secret.write_text(ADMIN_PASSWORD + "\n")
    secret.chmod(0o644)
    env = {
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD_FILE": str(secret),
        "API_PORT": HA_URL.rsplit(":", 1)[1],
        "SECRET_KEY": "the HA stack's shared signing key",
        "REDIS_RESTART_DELAY": "8",
    }
    stack = Stack(f"{PROJECT}-ha", env=env, file="compose.ha.yaml")
    stack.down("--volumes")
    try:
        stack.up("--build")
    except AssertionError as exc:
        logs = stack.compose("logs", "--no-color", "--tail", "80")
        stack.down("--volumes")
        raise AssertionError(f"{exc}\n{logs}") from None
    yield stack
    stack.down("--volumes")


def token_of(stack: Stack) -> str:
    """An API token of the stack's first administrator, made in an api container."""
    made = stack.exec("api", "student-registry", "tokens", "create", ADMIN_EMAIL, "--name", "ha")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def client(base_url: str, token: str) -> httpx.Client:
    """A client of a published port as the administrator, ignoring proxy settings."""
    return httpx.Client(
        base_url=base_url,
        timeout=30,
        trust_env=False,
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture(scope="module")
def ha_token(ha_stack: Stack) -> str:
    """The administrator's token on the HA stack, once the balancer serves."""
    token = token_of(ha_stack)
    with client(HA_URL, token) as http:
        wait_until(
            lambda: _status(http, "/readyz") == 200, what="the balancer to serve", timeout=60
        )
    return token


def _status(http: httpx.Client, path: str) -> int | None:
    try:
        return http.get(path).status_code
    except httpx.TransportError:
        return None


def containers(stack: Stack, service: str) -> list[str]:
    """The ids of a service's running containers."""
    return stack.compose("ps", "--quiet", service).split()


def service_of_primary(stack: Stack) -> str:
    """The Redis service the Sentinels name primary now."""
    found = probe(
        stack, "sentinel-1", "sentinel", "get-master-addr-by-name", "registry", port=SENTINEL_PORT
    )
    assert found, "sentinel-1 did not answer"
    return found.split()[0]


def docker(*args: str) -> str:
    """Run a docker command; its output."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True, timeout=120
    ).stdout


def role_of(stack: Stack, service: str) -> str:
    """The replication role a Redis service reports, or '' while it does not answer."""
    answer = probe(stack, service, "role").split()
    return answer[0] if answer and answer[0] in {"master", "slave"} else ""


def sentinel_events(stack: Stack, since: float) -> dict[str, float]:
    """When the first Sentinel logged each of its events about the primary after `since` (an
    epoch time), in seconds after it; how many times the Sentinels entered TILT mode, and how
    many of their failover attempts lost the election (a split vote: tried again later)."""
    first: dict[str, float] = {}
    tilts = lost = 0
    for sentinel in SENTINELS:
        (container,) = containers(stack, sentinel)
        logs = docker("logs", "--timestamps", "--since", f"{since:.3f}", container)
        for line in logs.splitlines():
            # 2026-11-30T14:12:37.105123456Z 1:X 30 Nov 2026 14:12:37.105 # +sdown master ...
            stamp, _, message = line.partition(" ")
            event = message.split(" # ", 1)[-1].split(" ", 2)
            lost += event[0] == "-failover-abort-not-elected"
            if len(event) < 2 or event[0] not in {"+sdown", "+odown", "+switch-master", "+tilt"}:
                continue
            if event[0] == "+tilt":
                tilts += 1
            elif event[0] == "+sdown" and event[1] != "master":
                continue
            at = datetime.fromisoformat(stamp[:26] + "+00:00").timestamp() - since
            first[event[0]] = min(first.get(event[0], at), at)
    first["tilts"], first["lost elections"] = tilts, lost
    return first


def all_ids(http: httpx.Client) -> list[str]:
    """Every student id the registry lists, page by page, repeats included."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
        page = http.get("/api/v1/students", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        ids += [student["id"] for student in body["items"]]
        cursor = body.get("next_cursor")
        if not cursor:
            return ids


def test_redis_and_the_sentinels_refuse_a_client_without_password(ha_stack: Stack) -> None:
    for node in REDIS_NODES:
        assert "NOAUTH" in redis_cli(ha_stack, "ping", host=node)
    for sentinel in SENTINELS:
        answer = redis_cli(ha_stack, "sentinel", "masters", host=sentinel, port=SENTINEL_PORT)
        assert "NOAUTH" in answer
    # Nor does the default user log in, wherever it is tried.
    assert "PONG" not in redis_cli(ha_stack, "ping", host="redis-1", user="default", password="")
    default = redis_cli(ha_stack, "ping", host="sentinel-1", port=SENTINEL_PORT, user="default")
    assert "PONG" not in default


@pytest.mark.parametrize("command", DANGEROUS_COMMANDS)
def test_the_service_user_is_refused_dangerous_commands_on_the_primary(
    ha_stack: Stack, command: tuple[str, ...]
) -> None:
    primary = service_of_primary(ha_stack)
    password = service_password(ha_stack)
    answer = redis_cli(ha_stack, *command, host=primary, user=SERVICE_USER, password=password)
    assert is_refused(answer, command), answer


def test_the_service_user_logs_in_to_every_node_and_only_asks_the_sentinels(
    ha_stack: Stack,
) -> None:
    password = service_password(ha_stack)
    # Whichever node is promoted, the service logs in to it with the same password.
    for node in REDIS_NODES:
        answer = redis_cli(ha_stack, "ping", host=node, user=SERVICE_USER, password=password)
        assert answer.strip() == "PONG", answer

    def on_sentinel(*command: str) -> str:
        return redis_cli(
            ha_stack, *command, host="sentinel-1", port=SENTINEL_PORT,
            user=SERVICE_USER, password=password,
        )  # fmt: skip

    assert on_sentinel("sentinel", "get-master-addr-by-name", "registry").split()[0] in REDIS_NODES
    for command in (
        ("sentinel", "failover", "registry"),
        ("sentinel", "set", "registry", "quorum", "1"),
        ("sentinel", "remove", "registry"),
        ("acl", "list"),
    ):
        assert "NOPERM" in on_sentinel(*command), command


def test_no_password_is_in_an_environment_or_a_command_line_of_the_ha_stack(
    ha_stack: Stack,
) -> None:
    password = service_password(ha_stack)
    for service in ("api", "redis-1", "sentinel-1"):
        assert_password_hidden(ha_stack, service, password)


def test_redis_and_the_sentinels_are_healthy_with_authenticated_checks(ha_stack: Stack) -> None:
    for service in (*REDIS_NODES, *SENTINELS):
        assert ha_stack.health(service) == "healthy", service
        check = " ".join(ha_stack.inspect(service)["Config"]["Healthcheck"]["Test"])
        assert "--user probe" in check, service
    assert role_of(ha_stack, service_of_primary(ha_stack)) == "master"


def test_metrics_count_the_students_enrolled_through_the_sentinels(
    ha_stack: Stack, ha_token: str
) -> None:
    with client(HA_URL, ha_token) as http:
        assert http.post("/api/v1/students", json=new_student()).status_code == 201
    scraped = scrape_metrics(ha_stack)
    enrolled = [
        line for line in scraped.splitlines()
        if line.startswith("student_registry_students_enrolled ")
    ]  # fmt: skip
    assert enrolled, scraped
    assert float(enrolled[0].split()[1]) >= 1
    assert "student_registry_http_request_duration_seconds_count" in scraped
    published = ha_stack.inspect("api")["NetworkSettings"]["Ports"]
    assert published.get("9000/tcp") is None


def test_killing_the_primary_then_an_api_replica_loses_no_acknowledged_registration(
    ha_stack: Stack, ha_token: str
) -> None:
    registrations, reads = Registrations(), Reads()
    with client(HA_URL, ha_token) as seed:
        assert seed.post("/api/v1/students", json=_seed()).status_code == 201

    clients: list[httpx.Client] = []

    def writer() -> Loop:
        clients.append(http := client(HA_URL, ha_token))
        return Loop(lambda: register_until_known(http, registrations, "ha"))

    def reader() -> Loop:
        clients.append(http := client(HA_URL, ha_token))
        return Loop(lambda: read_once(http, reads, "/api/v1/students/ha-seed"))

    loops = [writer() for _ in range(WRITERS)] + [reader() for _ in range(READERS)]
    for loop in loops:
        loop.start()
    try:
        time.sleep(5)
        primary = service_of_primary(ha_stack)
        (primary_container,) = containers(ha_stack, primary)
        docker("kill", "--signal", "KILL", primary_container)
        # Once docker kill returns the process is gone: what is acknowledged later was
        # written on another primary.
        killed_at, killed_wall = time.monotonic(), time.time()
        # The time this takes is printed against its bar below, not asserted. Here it has taken
        # 3-9 s, and up to 37 s and more while the Sentinels could go into TILT mode for 30 s,
        # their one thread held by a lookup of the dead primary's name (the networks in
        # compose.ha.yaml): wait long enough to see the rest of the test through.
        wait_until(
            lambda: registrations.first_ack_after(killed_at) is not None,
            what="a registration acknowledged after the primary died",
            timeout=180,
        )
        first_ack = registrations.first_ack_after(killed_at)
        assert first_ack is not None
        failover_seconds = first_ack - killed_at
        wait_until(
            lambda: service_of_primary(ha_stack) != primary,
            what="the Sentinels to name another primary",
            timeout=30,
        )
        promoted = service_of_primary(ha_stack)
        # What the Sentinels logged: each sees the primary down alone (+sdown), then they agree
        # (+odown) and one promotes a replica (+switch-master). A Sentinel that stood still for
        # two seconds enters TILT mode and acts on nothing for 30 s.
        events = sentinel_events(ha_stack, killed_wall)

        time.sleep(3)
        api_killed_at = time.monotonic()
        api_container = containers(ha_stack, "api")[0]
        docker("kill", "--signal", "KILL", api_container)
        time.sleep(10)
        api_window_end = time.monotonic()
        docker("start", api_container)  # a killed container is not restarted by its policy

        docker("start", primary_container)
        wait_until(
            lambda: role_of(ha_stack, primary) == "slave",
            what=f"{primary} to rejoin as a replica",
            timeout=90,
        )
        time.sleep(3)
    finally:
        for loop in loops:
            loop.stop()
        for http in clients:
            http.close()

    with client(HA_URL, ha_token) as http:
        listed = Counter(all_ids(http))
        missing = [sid for sid in registrations.acknowledged if sid not in listed]
        for sid in missing:  # listed or not, the record itself must be there
            assert http.get(f"/api/v1/students/{sid}").status_code == 404
    duplicated = [sid for sid, n in listed.items() if n > 1]
    failed_reads, total_reads = reads.failure_rate(api_killed_at, api_window_end)
    statuses = dict(sorted(registrations.statuses.items()))
    print(
        f"\nHA failover: primary {primary} killed, {promoted} promoted;"
        f" first write acknowledged {failover_seconds:.1f} s after the kill (bar 15 s)"
        f"\nSentinels, first of the three, seconds after the kill: +sdown"
        f" {events.get('+sdown', -1):.1f}, +odown {events.get('+odown', -1):.1f},"
        f" +switch-master {events.get('+switch-master', -1):.1f};"
        f" TILT mode entered {events['tilts']:.0f} times, elections lost"
        f" {events['lost elections']:.0f}"
        f"\nregistrations: {len(registrations.acknowledged)} acknowledged,"
        f" {len(registrations.unknown)} unknown; answers {statuses},"
        f" {registrations.no_answer} without an answer"
        f"\nacknowledged writes lost: {len(missing)} (bar 0); duplicated: {len(duplicated)}"
        f"\nreads while an api replica died: {failed_reads} of {total_reads} failed"
        f"\nanswers from the kill on, by second:\n"
        f"{registrations.around(killed_at - 1, killed_at + failover_seconds + 2)}"
    )
    assert not missing
    assert not duplicated
    assert 500 not in registrations.statuses
    assert set(registrations.statuses) <= {201, 503}
    assert registrations.bad_503 == 0
    # The failover time is a figure to read (the bar is 15 s), not an assertion: on a loaded
    # machine the Sentinels' own timers stretch, and what this test proves is that nothing
    # acknowledged was lost while it lasted.
    assert total_reads > 0
    assert failed_reads <= MAX_READ_FAILURES * total_reads
    assert role_of(ha_stack, primary) == "slave"


def test_the_ha_stack_against_the_one_node_stack_in_throughput(
    ha_stack: Stack, ha_token: str, stack: Stack
) -> None:
    one_node_token = token_of(stack)
    with client(BASE_URL, one_node_token) as http:
        assert http.post("/api/v1/students", json=_seed()).status_code in {201, 409}
    with client(HA_URL, ha_token) as http:
        assert http.post("/api/v1/students", json=_seed()).status_code in {201, 409}
    path = "/api/v1/students/ha-seed"
    ha = throughput(lambda: client(HA_URL, ha_token), path, threads=8, seconds=10)
    one = throughput(lambda: client(BASE_URL, one_node_token), path, threads=8, seconds=10)
    print(f"\nthroughput, GET one student, 8 clients, 10 s: HA {ha:.0f}/s, one node {one:.0f}/s")
    assert ha > 0
    assert one > 0


def test_a_rolling_restart_of_the_api_replicas_fails_no_read(
    ha_stack: Stack, ha_token: str
) -> None:
    reads = Reads()
    with client(HA_URL, ha_token) as seed:
        assert seed.post("/api/v1/students", json=_seed()).status_code in {201, 409}
    loops, clients = [], [client(HA_URL, ha_token) for _ in range(READERS)]
    for http in clients:
        loops.append(Loop(lambda http=http: read_once(http, reads, "/api/v1/students/ha-seed")))
    for loop in loops:
        loop.start()
    started = time.monotonic()
    try:
        subprocess.run(
            [str(ROOT / "scripts" / "rolling-restart")],
            env={**ha_stack.env, "COMPOSE_PROJECT_NAME": ha_stack.project},
            check=True,
            timeout=600,
        )
    finally:
        for loop in loops:
            loop.stop()
        for http in clients:
            http.close()
    failed, total = reads.failure_rate(started, time.monotonic())
    print(f"\nrolling restart of the api replicas: {failed} of {total} reads failed")
    assert total > 0
    assert failed == 0


def _seed() -> dict[str, str]:
    return {
        "id": "ha-seed",
        "first_name": "Seed",
        "last_name": "Student",
        "birth_date": "2010-01-02",
        "course": "HA",
    }
