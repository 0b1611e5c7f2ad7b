"""Running one simulation on a Dask cluster (``distributed``): the message range is cut into
chunks, each chunk is simulated on a worker with :func:`delivsim.run` (``first_message``),
and the chunks' results are merged with ``+``. Because every message's fate is a pure
function of (scenario, seed, message index), the merged result is *identical* — every count,
bit for bit — to a local run of the same scenario, seed and messages::

    from dask.distributed import Client, LocalCluster
    import delivsim, delivsim.distributed

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))   # or Client("tcp://scheduler:8786")
    result = delivsim.distributed.run(delivsim.default_scenario(), messages=10**9, seed=1, client=client)

On a real cluster, start a scheduler on one machine and workers on the others, each with the
same version of delivsim installed (the workers check it)::

    dask scheduler                                      # prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nworkers 2 --nthreads 1    # on every worker machine

and pass ``Client("tcp://HOST:8786")``. One worker process per core with one thread each is
simplest (``threads_per_task`` lets one task use several cores instead).

Worlds (:mod:`delivsim.world`) run whole on one worker each: :func:`run_world` spreads the
replicates (seeds) of a world, or of several variants of a world (a sweep), over the cluster;
each result is identical to a local ``delivsim.world.run`` with that seed.
"""
from __future__ import annotations

from typing import Any

from ._results import Result
from ._run import MAX_MESSAGES, MAX_SEED, _integer, _ProgressBar, _scenario
from ._scenario import Scenario

__all__ = ["chunk_ranges", "run", "run_world"]

#: Chunks smaller than this are not worth a task.
MIN_CHUNK = 10_000


def chunk_ranges(messages: int, chunks: int, first_message: int = 0) -> list[tuple[int, int]]:
    """``chunks`` contiguous ranges [start, stop) covering [first_message, first_message +
    messages), as equal as possible."""
    chunks = max(1, min(chunks, messages)) if messages else 1
    base, extra = divmod(messages, chunks)
    out, start = [], first_message
    for k in range(chunks):
        stop = start + base + (1 if k < extra else 0)
        out.append((start, stop))
        start = stop
    return out


def _run_chunk(scenario: Scenario, start: int, stop: int, seed: int, threads: int) -> tuple[str, Result]:
    """On a worker: messages [start, stop) of the scenario, with the worker's delivsim version."""
    import delivsim

    return delivsim.__version__, delivsim.run(scenario, messages=stop - start, seed=seed, threads=threads,
                                              first_message=start)


def _workers_threads(client: Any) -> int:
    try:
        return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
    except Exception:
        return 1


def run(
    scenario: Scenario | None,
    messages: int,
    seed: int = 1,
    client: Any = None,
    *,
    chunks: int | None = None,
    first_message: int = 0,
    threads_per_task: int = 1,
    progress: Any = False,
) -> Result:
    """Simulate messages [first_message, first_message + messages) of ``scenario`` with ``seed``
    on the Dask cluster of ``client`` (default: the current client), in ``chunks`` tasks
    (default: 4 per worker thread, at least MIN_CHUNK messages each), and merge the results.

    The result equals ``delivsim.run(scenario, messages, seed, first_message=...)`` exactly.
    ``progress`` is True for a bar over the messages done, or a callable ``progress(done,
    total)`` called as chunks finish. A worker with another delivsim version is refused
    (RuntimeError): its counts could not be merged safely.
    """
    import delivsim

    scenario = _scenario(scenario)
    scenario.validate()  # a broken scenario fails here, not on every worker
    messages = _integer("messages", messages, 0, MAX_MESSAGES)
    seed = _integer("seed", seed, 0, MAX_SEED)
    first_message = _integer("first_message", first_message, 0, MAX_MESSAGES)
    if first_message + messages > MAX_MESSAGES:
        raise ValueError(f"first_message + messages must be at most {MAX_MESSAGES}, got {first_message + messages}")
    threads_per_task = _integer("threads_per_task", threads_per_task, 1, 4096)
    if client is None:
        from distributed import default_client

        client = default_client()
    if chunks is None:
        chunks = max(1, min(4 * _workers_threads(client), messages // MIN_CHUNK))
    chunks = _integer("chunks", chunks, 1, 10**7)
    ranges = chunk_ranges(messages, chunks, first_message)

    bar = None
    if progress is True:
        from . import _progress

        bar = _progress.new_bar(messages, _ProgressBar, desc="chunks")
        report = bar
    elif callable(progress) or progress is False or progress is None:
        report = progress or None
    else:
        raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")

    from distributed import as_completed

    snapshot = scenario._snapshot()
    [remote] = client.scatter([snapshot], broadcast=True)  # sent once to every worker, not with every task
    futures = [client.submit(_run_chunk, remote, start, stop, seed, threads_per_task, pure=False)
               for start, stop in ranges]
    total: Result | None = None
    done = 0
    try:
        for future in as_completed(futures):
            version, part = future.result()
            if version != delivsim.__version__:
                raise RuntimeError(f"a worker runs delivsim {version}, this client {delivsim.__version__}: "
                                   "install the same version everywhere")
            total = part if total is None else total + part
            done += part.messages
            if report is not None:
                report(done, messages)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        if bar is not None:
            bar.close()
    assert total is not None
    return total


def _run_world_task(world: Any, seed: int, threads: int) -> tuple[str, Any]:
    """On a worker: one world run, with the worker's delivsim version."""
    import delivsim
    from delivsim import world as _world

    return delivsim.__version__, _world.run(world, seed=seed, threads=threads)


def run_world(
    world: Any,
    seeds: Any,
    client: Any = None,
    *,
    threads_per_task: int = 1,
    progress: Any = False,
) -> Any:
    """Run ``world`` once per seed in ``seeds`` on the Dask cluster of ``client`` (default:
    the current client), one task per run, and return the :class:`~delivsim.world.WorldResult`
    objects in the order of ``seeds``. Each equals ``delivsim.world.run(world, seed=s)``
    exactly; ``sum(results)`` pools the replicates.

    A sweep: ``world`` may be a list of worlds (e.g. ``[w.with_values({path: v}) for v in
    values]``); the answer is then a list per world of the results per seed. ``progress`` is
    True for a bar over the runs, or a callable ``progress(done, total)`` called as runs
    finish. A worker with another delivsim version is refused (RuntimeError).
    """
    from .world import World, _world

    many = isinstance(world, (list, tuple))
    worlds = [_world(w) for w in (world if many else [world])]
    if not worlds:
        raise ValueError("world: an empty list of worlds")
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a list of ints, not {type(seeds).__name__}")
    seeds = [_integer("seeds[]", s, 0, MAX_SEED) for s in seeds]
    if not seeds:
        raise ValueError("seeds: give at least one seed")
    threads_per_task = _integer("threads_per_task", threads_per_task, 1, 4096)
    snapshots: list[World] = [w._snapshot() for w in worlds]  # a broken world fails here, not on every worker
    own = isinstance(client, str)  # a scheduler address: a client of our own, closed at the end
    if client is None:
        from distributed import default_client

        client = default_client()
    elif own:
        from distributed import Client

        client = Client(client, set_as_default=False)
    try:
        return _run_worlds(client, snapshots, seeds, threads_per_task, progress, many)
    finally:
        if own:
            client.close()


def _run_worlds(client: Any, snapshots: list[Any], seeds: list[int], threads_per_task: int, progress: Any,
                many: bool) -> Any:
    import delivsim

    total = len(snapshots) * len(seeds)
    bar = None
    if progress is True:
        from . import _progress

        bar = _progress.new_bar(total, _ProgressBar, desc="world runs")
        report = bar
    elif callable(progress) or progress is False or progress is None:
        report = progress or None
    else:
        raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")

    from distributed import as_completed

    remote = client.scatter(snapshots, broadcast=True)  # each world sent once to every worker
    futures = {client.submit(_run_world_task, r, seed, threads_per_task, pure=False): (i, j)
               for i, r in enumerate(remote) for j, seed in enumerate(seeds)}
    results: list[list[Any]] = [[None] * len(seeds) for _ in snapshots]
    done = 0
    try:
        for future in as_completed(list(futures)):
            version, result = future.result()
            if version != delivsim.__version__:
                raise RuntimeError(f"a worker runs delivsim {version}, this client {delivsim.__version__}: "
                                   "install the same version everywhere")
            i, j = futures[future]
            results[i][j] = result
            done += 1
            if report is not None:
                report(done, total)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        if bar is not None:
            bar.close()
    return results if many else results[0]
