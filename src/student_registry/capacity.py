"""How many worker processes fit: the CPUs this process may use and the memory it may take.

Inside a container `os.cpu_count()` is the host's count; the container's share is in its
cgroup: `cpu.max` and `memory.max` (cgroup v2, in the process's group and its ancestors), or
`cpu.cfs_quota_us` / `cpu.cfs_period_us` and `memory.limit_in_bytes` (cgroup v1).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TypeVar

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")
MIB = 1024 * 1024
# A worker holds about 60 MiB once warm and the master less: each is budgeted 64 MiB, so a
# memory limit never gets more processes than it can hold.
WORKER_MEMORY = 64 * MIB
MASTER_MEMORY = 64 * MIB
MAX_WORKERS = 64

NumberT = TypeVar("NumberT", int, float)


def default_workers(
    *, cgroup_root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP, cpus: int | None = None
) -> int:
    """One worker per usable CPU, as many as the memory limit holds, from 1 to MAX_WORKERS."""
    workers = usable_cpus(cgroup_root=cgroup_root, self_cgroup=self_cgroup, cpus=cpus)
    memory = memory_limit(cgroup_root=cgroup_root, self_cgroup=self_cgroup)
    if memory is not None:
        workers = min(workers, (memory - MASTER_MEMORY) // WORKER_MEMORY)
    return max(1, min(workers, MAX_WORKERS))


def usable_cpus(
    *, cgroup_root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP, cpus: int | None = None
) -> int:
    """The CPUs this process may run on, lowered to its CPU quota rounded up."""
    cpus = cpus or _affinity()
    groups = _groups(cgroup_root, self_cgroup, "cpu")
    if _is_v2(cgroup_root):
        quota = _least(_v2_quota(group / "cpu.max") for group in groups)
    else:
        quota = _least(_v1_quota(group) for group in groups)
    return cpus if quota is None else max(1, min(cpus, math.ceil(quota)))


def memory_limit(*, cgroup_root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> int | None:
    """The bytes this process's cgroup may hold, or None without a limit."""
    name = "memory.max" if _is_v2(cgroup_root) else "memory.limit_in_bytes"
    groups = _groups(cgroup_root, self_cgroup, "memory")
    return _least(_number(_read(group / name)) for group in groups)


def _affinity() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _is_v2(root: Path) -> bool:
    return (root / "cgroup.controllers").is_file()


def _groups(root: Path, self_cgroup: Path, controller: str) -> list[Path]:
    """The process's cgroup directories for a controller, and their ancestors: a limit set
    anywhere above applies too. A directory that does not exist reads as no limit."""
    parts = PurePosixPath(_own_group(root, self_cgroup, controller)).parts[1:]
    if ".." in parts:
        # The group lies outside this cgroup namespace's view: only its top can be read.
        parts = ()
    if _is_v2(root):
        tops = [root]
    else:
        # cgroup v1 mounts one hierarchy per controller, named cpu or cpu,cpuacct for instance.
        names = dict.fromkeys([controller, *(_read_dir(root) or [])])
        tops = [root / name for name in names if controller in name.split(",")]
    return [top.joinpath(*parts[:depth]) for top in tops for depth in range(len(parts), -1, -1)]


def _own_group(root: Path, self_cgroup: Path, controller: str) -> str:
    """The process's group, from lines like `0::/path` (v2) or `4:memory:/path` (v1)."""
    v2 = _is_v2(root)
    for line in (_read(self_cgroup) or "").splitlines():
        _, _, entry = line.partition(":")
        controllers, _, group = entry.partition(":")
        if group and (not controllers if v2 else controller in controllers.split(",")):
            return group
    return "/"


def _v2_quota(path: Path) -> float | None:
    fields = (_read(path) or "").split()
    if len(fields) != 2:
        return None
    quota, period = _number(fields[0]), _number(fields[1])
    return quota / period if quota and period else None


def _v1_quota(group: Path) -> float | None:
    quota = _number(_read(group / "cpu.cfs_quota_us"))
    period = _number(_read(group / "cpu.cfs_period_us"))
    return quota / period if quota and quota > 0 and period else None


def _number(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None  # "max": no limit


def _least(values: Iterable[NumberT | None]) -> NumberT | None:
    return min((v for v in values if v is not None), default=None)


def _read_dir(path: Path) -> list[str] | None:
    try:
        return sorted(entry.name for entry in path.iterdir())
    except OSError:
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
