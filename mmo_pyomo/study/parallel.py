"""Running the study's runs on Dask: a local cluster by default, or an existing scheduler."""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mmo_pyomo.errors import MMOError

log = logging.getLogger(__name__)


def plan_workers(workers: int | None, threads: int, cores: int | None = None) -> int:
    """Workers such that workers × solver threads never exceeds the cores."""
    cores = cores or os.cpu_count() or 1
    if threads > cores:
        raise MMOError(f"{threads} solver threads exceed the {cores} cores of this machine",
                       f"use --threads {cores} or fewer")
    most = max(1, cores // threads)
    if workers is None:
        return most
    if workers * threads > cores:
        log.warning("%d workers × %d threads would oversubscribe %d cores; using %d workers",
                    workers, threads, cores, most)
        return most
    return max(1, workers)


def run_all(tasks: Sequence[tuple], func: Callable[..., dict[str, Any]], on_result: Callable[[dict], None], *,
            workers: int, scheduler: str | None = None, progress: bool = True) -> int:
    """Run ``func(*task)`` for every task on Dask, calling ``on_result`` as each one finishes.

    Returns the number of tasks that raised (their runs are not stored, so a rerun retries them).
    """
    from dask.distributed import Client, LocalCluster, as_completed
    from tqdm import tqdm

    from mmo_pyomo.scheduler import connect

    if not tasks:
        return 0
    cluster = None
    if scheduler:
        client = connect(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    failures = 0
    try:
        # Each future is released once its record is stored. A future kept alive keeps its result on
        # the worker, and a worker lost later made Dask recompute finished runs, which as_completed
        # yielded again: a 2-core study stored 72 of 243 chord-start runs twice that way.
        finishing = as_completed([client.submit(func, *task, pure=False) for task in tasks])
        bar = tqdm(total=len(tasks), unit="run", disable=not progress, file=sys.stderr)
        for fut in finishing:
            try:
                on_result(fut.result())
            except Exception as exc:  # a crashed run: report it, keep the others
                failures += 1
                log.error("run failed: %s: %s", type(exc).__name__, exc)
            finally:
                fut.release()
            bar.update(1)
        bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return failures


def task_list(paths: Iterable[str], formulations: Iterable[str], solvers: Iterable[str]) -> list[tuple[str, str, str]]:
    """Every (path, formulation, solver) combination."""
    return [(p, f, s) for p in paths for f in formulations for s in solvers]
