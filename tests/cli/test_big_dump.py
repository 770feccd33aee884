"""`newsbot load` of a JSON Lines dump far over the 64 MiB cap of formats read whole: it
loads in full, a bad line costs one line, and the loader's memory stays below the dump's
size (measured by the real command in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import PROJECT_DIR

DUMP_BYTES = 400 << 20
BLOCK = " ".join(f"term{n % 997} of the story" for n in range(2000))  # ~8 KB of ASCII
# Runs the command and prints its peak RSS (with its workers', the largest of them).
MEASURED = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(done.stderr)
print(done.stdout)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
sys.exit(done.returncode)
"""


def write_dump(path: Path, bad_line: int) -> int:
    """Articles of ~8 KB until DUMP_BYTES, line ``bad_line`` broken; how many lines."""
    written = lines = 0
    with path.open("w", encoding="ascii") as out:
        while written < DUMP_BYTES:
            lines += 1
            line = '{"title": "broken' if lines == bad_line else json.dumps({
                "url": f"https://example.com/news/{lines}", "title": f"Story {lines}",
                "text": f"Story {lines} opens. {BLOCK}.", "published": "2024-03-01",
            })
            written += out.write(line + "\n")
    return lines


def test_a_dump_over_the_cap_loads_in_flat_memory(tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    lines = write_dump(dump, bad_line=17)
    command = [sys.executable, "-m", "bot.cli", "load", "--no-index",
               "--db", str(tmp_path / "db.json"), str(dump)]
    done = subprocess.run([sys.executable, "-c", MEASURED, *command], capture_output=True,
                          text=True, timeout=600, cwd=PROJECT_DIR, check=False)
    assert done.returncode == 0, done.stderr
    output = done.stdout.splitlines()
    assert output[0] == f"loaded {lines - 1}, updated 0, duplicate 0, rejected 1"
    assert done.stderr.splitlines()[0].startswith(f"rejected {dump}:17: invalid JSON: ")
    peak = int(output[-1])
    assert peak < 0.8 * dump.stat().st_size, f"peak RSS {peak >> 20} MiB"
