"""Work spread over processes, results in order: bulk parsing and index building.

Workers are spawned, not forked (a fork of a threaded process can deadlock), and each
ends when the process that started it is gone, even if it was killed.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")
PARENT_CHECK_S = 0.5


def cores() -> int:
    return os.cpu_count() or 1


def in_order(
    tasks: Iterable[Task],
    run: Callable[[Task], Result],
    workers: int,
    here: Callable[[Task], Result | None] = lambda _task: None,
) -> Iterator[Result]:
    """``run(task)`` for each task in ``workers`` processes, at most ``workers`` + 1 tasks
    ahead of the caller, in the tasks' order. A task for which ``here`` returns a result
    (work that cannot leave this process) takes that result instead. ``run`` must be
    picklable: a module-level function or a partial of one. A dead worker raises
    concurrent.futures.process.BrokenProcessPool."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
    ) as pool:
        ahead: deque[Future[Result] | Result] = deque()

        def start(task: Task) -> None:
            result = here(task)
            ahead.append(pool.submit(run, task) if result is None else result)

        queued = iter(tasks)
        for task in islice(queued, workers + 1):
            start(task)
        while ahead:
            head = ahead.popleft()
            result = head.result() if isinstance(head, Future) else head
            for task in islice(queued, 1):
                start(task)
            yield result


def _exit_with(parent: int) -> None:
    """End this worker when its parent is gone: nothing else would."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
