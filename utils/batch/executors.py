"""Where a batch's images are read: local worker processes, or a Dask cluster.

Locally, each worker reads one image at a time and the main process
watches them. A worker that dies (killed, out of memory) takes the pool
with it: the pool is rebuilt, and the images that were being read are read
again one at a time, so that the one at fault is found and gets an error
row while the others are read. An image read for longer than the time
limit gets an error row too, its worker killed.
"""

import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..errors import SchedulerError
from .work import failed, init_worker, process

POLL = 0.5  # seconds between looks at how long the images being read have taken


def local_results(tasks, workers, job, timeout=None, start_method="spawn"):
    """Yield one record per task as local worker processes finish them.

    Workers start as fresh interpreters by default (spawn): clean processes, not a
    copy of this one with whatever threads its libraries run (forking
    those can deadlock a worker).
    """
    queue, alone = deque(tasks), deque()
    context = multiprocessing.get_context(start_method)
    while queue or alone:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=init_worker,
                                   initargs=(os.getpid(),))
        try:
            yield from _drain(pool, queue, alone, workers, job, timeout)
        finally:
            _stop(pool)


def _drain(pool, queue, alone, workers, job, timeout):
    """Run tasks on ``pool`` until they are all done or the pool breaks
    (returning then, the tasks left in ``queue`` and ``alone``)."""
    running = {}  # future -> (task, started)
    while queue or alone or running:
        window = 1 if alone else workers
        source = alone if alone else queue
        while source and len(running) < window:
            task = source.popleft()
            running[pool.submit(process, task, **job)] = (task, time.monotonic())
        done, _ = wait(running, timeout=POLL if timeout else None, return_when=FIRST_COMPLETED)
        broken = []
        for future in done:
            task, started = running.pop(future)
            try:
                record = future.result()
            except BrokenProcessPool:
                broken.append((task, started))
                continue
            yield record
        if broken:
            yield from _broken(broken, running, alone, window, job)
            return
        overdue = [f for f, (_, started) in running.items() if timeout and time.monotonic() - started > timeout]
        if overdue:
            for future in overdue:
                task, started = running.pop(future)
                yield failed(task, job["models_id"], f"not read within the time limit ({timeout:g} s)",
                             time.monotonic() - started)
            queue.extendleft(task for task, _ in reversed(list(running.values())))  # innocent: read again
            _kill(pool)
            return


def _broken(broken, running, alone, window, job):
    """A worker died. Alone, the image it was reading is at fault; among
    others, each of them is read again alone."""
    if window == 1:
        for task, started in broken:
            yield failed(task, job["models_id"], "the worker reading it died (killed, or out of memory)",
                         time.monotonic() - started)
        return
    alone.extend([t for t, _ in broken] + [t for t, _ in running.values()])
    running.clear()


def _kill(pool):
    for worker in list((getattr(pool, "_processes", None) or {}).values()):
        worker.kill()


def _stop(pool):
    """Shut ``pool`` down now: its workers are killed, not waited for (none
    is reading an image that will be recorded)."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.kill()
        worker.join(timeout=5)


def dask_results(tasks, scheduler, workers, job):
    """Yield records as Dask workers finish them (``scheduler``: address or 'local')."""
    from dask.distributed import Client, LocalCluster, as_completed  # run_cli names the extra if it is missing
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise SchedulerError(f"cannot reach the Dask scheduler {scheduler} ({message})") from None
    try:
        futures = client.map(process, tasks, **job, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
