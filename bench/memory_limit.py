"""Run this process under a memory limit that counts page cache too (a Linux memory cgroup).

RSS alone cannot say whether a server fits in N GB: mapped index pages are counted while
they are resident, though the kernel drops them under pressure. A cgroup's limit is what a
container or a small VM enforces: anonymous memory and the page cache charged together, the
kernel reclaiming clean file pages at the limit. Answering under it measures what serving in
that much memory costs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

V1 = Path("/sys/fs/cgroup/memory")
V2 = Path("/sys/fs/cgroup")
GROUP_VARIABLE = "NEWSBOT_BENCH_MEMORY_GROUP"


def limited(megabytes: int) -> MemoryLimit:
    """This script re-run inside a new cgroup limited to ``megabytes`` (the interpreter's
    own pages counted from its start), or, once re-run, the group it runs in."""
    if GROUP_VARIABLE in os.environ:
        return MemoryLimit(Path(os.environ[GROUP_VARIABLE]), megabytes)
    group, limit_file = _create(f"newsbot-bench-{os.getpid()}")
    (group / limit_file).write_text(str(megabytes << 20))
    (group / "cgroup.procs").write_text(str(os.getpid()))
    os.environ[GROUP_VARIABLE] = str(group)
    os.execv(sys.executable, [sys.executable, *sys.argv])


def evict(directory: Path) -> None:
    """Ask the kernel to drop the cached pages of the files under ``directory`` (pages
    cached earlier stay charged to whichever group read them first, so a limited run must
    read its files itself; pages another process has mapped stay)."""
    for path in directory.parent.glob(f"{directory.name}*"):
        for file in [path] if path.is_file() else path.rglob("*"):
            if file.is_file():
                fd = os.open(file, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)


class MemoryLimit:
    def __init__(self, group: Path, megabytes: int) -> None:
        self.group = group
        self.megabytes = megabytes

    def peak_mb(self) -> float | None:
        """The most the group has used (anonymous + page cache), if the kernel says."""
        for name in ("memory.max_usage_in_bytes", "memory.peak"):
            with contextlib.suppress(OSError):
                return int((self.group / name).read_text()) / (1 << 20)
        return None


def _create(name: str) -> tuple[Path, str]:
    """A new cgroup under this process's own (v1 memory hierarchy, else v2) and its limit
    file; the groups earlier runs left empty are removed first."""
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    parent, limit_file = V2 / lines[0].split(":", 2)[2].lstrip("/"), "memory.max"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if V1.is_dir() and "memory" in controllers.split(","):
            parent, limit_file = V1 / path.lstrip("/"), "memory.limit_in_bytes"
    for stale in parent.glob("newsbot-bench-*"):
        with contextlib.suppress(OSError):  # refused while a process is in it
            stale.rmdir()
    (parent / name).mkdir()
    return parent / name, limit_file
