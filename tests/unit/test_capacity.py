"""The default worker count follows the CPU quota and memory limit of the process's cgroup."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from student_registry import capacity
from student_registry.capacity import MIB, default_workers, memory_limit, usable_cpus
from student_registry.cli import app
from student_registry.settings import Settings

UNLIMITED_V1 = "9223372036854771712"


class Cgroups:
    """A fake /sys/fs/cgroup and /proc/self/cgroup under a temporary directory."""

    def __init__(self, base: Path, *, v2: bool, own: str = "/") -> None:
        self.root = base / "cgroup"
        self.self_cgroup = base / "self-cgroup"
        self.root.mkdir()
        if v2:
            (self.root / "cgroup.controllers").write_text("cpu memory pids\n")
            self.self_cgroup.write_text(f"0::{own}\n")
        else:
            self.self_cgroup.write_text(f"5:memory:{own}\n3:cpu,cpuacct:{own}\n1:pids:/\n")

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")

    def workers(self, cpus: int) -> int:
        return default_workers(cgroup_root=self.root, self_cgroup=self.self_cgroup, cpus=cpus)


@pytest.fixture
def v2(tmp_path: Path) -> Cgroups:
    return Cgroups(tmp_path, v2=True)


@pytest.fixture
def v1(tmp_path: Path) -> Cgroups:
    return Cgroups(tmp_path, v2=False)


@pytest.mark.parametrize(
    ("cpu_max", "workers"),
    [("200000 100000", 2), ("150000 100000", 2), ("50000 100000", 1), ("max 100000", 8)],
)
def test_cgroup_v2_cpu_quota_rounded_up_caps_the_workers(
    v2: Cgroups, cpu_max: str, workers: int
) -> None:
    v2.write("cpu.max", cpu_max)
    v2.write("memory.max", "max")
    assert v2.workers(cpus=8) == workers


def test_a_512_mib_container_on_an_8_cpu_host_gets_the_workers_its_memory_holds(
    v2: Cgroups,
) -> None:
    v2.write("cpu.max", "max 100000")
    v2.write("memory.max", str(512 * MIB))
    # 64 MiB for the master, 64 MiB for each worker.
    assert v2.workers(cpus=8) == 7


def test_fewer_cpus_than_the_memory_holds_are_the_limit(v2: Cgroups) -> None:
    v2.write("memory.max", str(4096 * MIB))
    assert v2.workers(cpus=3) == 3


def test_too_little_memory_still_gives_one_worker(v2: Cgroups) -> None:
    v2.write("memory.max", str(100 * MIB))
    assert v2.workers(cpus=8) == 1


def test_cgroup_v2_limits_of_the_own_group_and_its_ancestors_apply(tmp_path: Path) -> None:
    cgroups = Cgroups(tmp_path, v2=True, own="/system.slice/registry.service")
    cgroups.write("system.slice/registry.service/cpu.max", "300000 100000")
    cgroups.write("system.slice/registry.service/memory.max", "max")
    cgroups.write("system.slice/memory.max", str(256 * MIB))
    root, own = cgroups.root, cgroups.self_cgroup
    assert usable_cpus(cgroup_root=root, self_cgroup=own, cpus=16) == 3
    assert memory_limit(cgroup_root=root, self_cgroup=own) == 256 * MIB
    assert cgroups.workers(cpus=16) == 3


def test_a_group_outside_the_namespace_view_reads_the_top(tmp_path: Path) -> None:
    cgroups = Cgroups(tmp_path, v2=True, own="/../../elsewhere")
    cgroups.write("cpu.max", "100000 100000")
    assert cgroups.workers(cpus=4) == 1


@pytest.mark.parametrize(
    ("quota", "memory", "workers"),
    [
        ("300000", UNLIMITED_V1, 3),
        ("-1", UNLIMITED_V1, 8),
        ("-1", str(256 * MIB), 3),
        ("250000", str(192 * MIB), 2),
    ],
)
def test_cgroup_v1_cfs_quota_and_memory_limit_cap_the_workers(
    v1: Cgroups, quota: str, memory: str, workers: int
) -> None:
    v1.write("cpu,cpuacct/cpu.cfs_quota_us", quota)
    v1.write("cpu,cpuacct/cpu.cfs_period_us", "100000")
    v1.write("memory/memory.limit_in_bytes", memory)
    assert v1.workers(cpus=8) == workers


def test_cgroup_v1_limits_of_the_own_group_apply_where_the_host_hierarchy_is_mounted(
    tmp_path: Path,
) -> None:
    cgroups = Cgroups(tmp_path, v2=False, own="/jobs/42")
    cgroups.write("cpu,cpuacct/cpu.cfs_quota_us", "-1")
    cgroups.write("cpu,cpuacct/jobs/42/cpu.cfs_quota_us", "200000")
    cgroups.write("cpu,cpuacct/jobs/42/cpu.cfs_period_us", "100000")
    cgroups.write("memory/memory.limit_in_bytes", UNLIMITED_V1)
    assert cgroups.workers(cpus=8) == 2


def test_without_cgroup_files_every_usable_cpu_gets_a_worker(tmp_path: Path) -> None:
    root, own = tmp_path / "none", tmp_path / "none-self"
    assert default_workers(cgroup_root=root, self_cgroup=own, cpus=6) == 6
    assert memory_limit(cgroup_root=root, self_cgroup=own) is None


def test_the_cpus_are_those_the_process_may_run_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capacity.os, "sched_getaffinity", lambda _pid: {0, 2, 5}, raising=False)
    assert default_workers(cgroup_root=tmp_path / "none", self_cgroup=tmp_path / "none") == 3


def test_a_large_host_is_capped_at_the_setting_maximum(v2: Cgroups) -> None:
    assert v2.workers(cpus=256) == capacity.MAX_WORKERS


def test_unreadable_values_count_as_no_limit(v2: Cgroups) -> None:
    v2.write("cpu.max", "garbage")
    v2.write("memory.max", "lots")
    assert v2.workers(cpus=4) == 4


def test_settings_default_to_what_the_limits_allow_and_web_concurrency_wins() -> None:
    assert Settings.from_env({}).workers == default_workers()
    assert Settings.from_env({"WEB_CONCURRENCY": "9"}).workers == 9


def test_serve_help_names_the_variables_and_where_the_worker_count_comes_from() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "[env: HOST]" in result.stdout
    assert "[env: WEB_CONCURRENCY; default: as CPUs and memory allow]" in result.stdout
