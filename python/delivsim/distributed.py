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

import contextlib
import functools
import operator
from collections.abc import Iterator, Mapping
from typing import Any

from ._results import Result
from ._run import DEFAULT_MESSAGES, MAX_MESSAGES, MAX_SEED, _integer, _ProgressBar, _scenario
from ._scenario import Scenario

__all__ = ["chunk_ranges", "compare", "run", "run_world"]

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


@contextlib.contextmanager
def _client(client: Any) -> Iterator[Any]:
    """The Dask client to use: the one given, one connected to a scheduler address (a string
    such as "tcp://host:8786", closed afterwards), or the current default client."""
    if client is None:
        from distributed import default_client

        yield default_client()
    elif isinstance(client, str):
        from distributed import Client

        with Client(client) as connected:
            yield connected
    elif not (hasattr(client, "submit") and hasattr(client, "scatter")):
        raise TypeError(f"client must be a dask.distributed Client, a scheduler address such as "
                        f"'tcp://host:8786', or None (the current client), not {type(client).__name__}")
    else:
        yield client


def _bar(progress: Any, total: int, desc: str) -> tuple[Any, Any]:
    if progress is True:
        from . import _progress

        bar = _progress.new_bar(total, _ProgressBar, desc=desc)
        return bar, bar
    if callable(progress) or progress is False or progress is None:
        return None, progress or None
    raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")


def _workers_threads(client: Any) -> int:
    try:
        return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
    except Exception:
        return 1


def _collect(client: Any, futures: list[Any], total: int, size: Any, bar: Any, report: Any) -> list[tuple[Any, Any]]:
    """The tasks' answers, (future, part) in the order they finish. Each task returns (its
    delivsim version, its part); a worker with another version is refused. ``report(done,
    total)`` follows the sum of ``size(part)``; on any error the other tasks are cancelled."""
    import delivsim
    from distributed import as_completed

    parts: list[tuple[Any, Any]] = []
    done = 0
    try:
        for future in as_completed(futures):
            version, part = future.result()
            if version != delivsim.__version__:
                raise RuntimeError(f"a worker runs delivsim {version}, this client {delivsim.__version__}: "
                                   "install the same version everywhere")
            parts.append((future, part))
            done += size(part)
            if report is not None:
                report(done, total)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        if bar is not None:
            bar.close()
    return parts


def _merged(parts: list[tuple[Any, Any]]) -> Any:
    """The parts added with ``+`` (counts: the order does not matter)."""
    return functools.reduce(operator.add, (part for _, part in parts))


def run(
    scenario: Scenario | None = None,
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    client: Any = None,
    *,
    chunks: int | None = None,
    first_message: int = 0,
    threads_per_task: int = 1,
    progress: Any = False,
) -> Result:
    """Simulate messages [first_message, first_message + messages) of ``scenario`` with ``seed``
    on the Dask cluster of ``client`` (a Client, a scheduler address such as
    ``"tcp://host:8786"``, or None for the current client), in ``chunks`` tasks
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
    with _client(client) as connected:
        return _run(connected, scenario, messages, seed, chunks, first_message, threads_per_task, progress)


def _run(client: Any, scenario: Scenario, messages: int, seed: int, chunks: int | None, first_message: int,
         threads_per_task: int, progress: Any) -> Result:
    if chunks is None:
        chunks = max(1, min(4 * _workers_threads(client), messages // MIN_CHUNK))
    chunks = _integer("chunks", chunks, 1, 10**7)
    ranges = chunk_ranges(messages, chunks, first_message)

    bar, report = _bar(progress, messages, "chunks")

    snapshot = scenario._snapshot()
    [remote] = client.scatter([snapshot], broadcast=True)  # sent once to every worker, not with every task
    futures = [client.submit(_run_chunk, remote, start, stop, seed, threads_per_task, pure=False)
               for start, stop in ranges]
    result: Result = _merged(_collect(client, futures, messages, lambda part: part.messages, bar, report))
    return result


def _compare_chunk(scenario: Scenario, strategies: Mapping[str, Any], start: int, stop: int, seed: int,
                   threads: int) -> tuple[str, Any]:
    """On a worker: the comparison of messages [start, stop)."""
    import delivsim

    return delivsim.__version__, delivsim.compare(scenario, strategies=strategies, messages=stop - start, seed=seed,
                                                  threads=threads, first_message=start)


def compare(
    scenario: Scenario | None = None,
    strategies: Mapping[str, Any] | None = None,
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    client: Any = None,
    *,
    costs: Mapping[str, float] | None = None,
    chunks: int | None = None,
    first_message: int = 0,
    threads_per_task: int = 1,
    progress: Any = False,
) -> Any:
    """:func:`delivsim.compare` on a Dask cluster: the message range is cut into chunks, each
    chunk's comparison runs on a worker, and the chunks merge with ``+``. Every count (tallies,
    paired tables, score histograms) equals a local ``compare`` of the same scenario,
    strategies, seed and messages. ``client``, ``chunks``, ``threads_per_task`` and ``progress``
    are as in :func:`run`. Strategies with Python policies need those policies' classes
    importable on the workers."""
    import delivsim

    scenario = _scenario(scenario)
    if strategies is None or not isinstance(strategies, Mapping) or not strategies:
        raise TypeError("strategies must be a non-empty dict name -> chain (see delivsim.compare)")
    messages = _integer("messages", messages, 0, MAX_MESSAGES)
    seed = _integer("seed", seed, 0, MAX_SEED)
    first_message = _integer("first_message", first_message, 0, MAX_MESSAGES)
    if first_message + messages > MAX_MESSAGES:
        raise ValueError(f"first_message + messages must be at most {MAX_MESSAGES}, got {first_message + messages}")
    threads_per_task = _integer("threads_per_task", threads_per_task, 1, 4096)
    # Bad strategies fail here, naming the field, not on every worker: a zero-message comparison.
    empty = delivsim.compare(scenario, strategies=strategies, messages=0, seed=seed, threads=1, costs=costs,
                             first_message=first_message)
    if messages == 0:
        return empty
    with _client(client) as connected:
        if chunks is None:
            chunks = max(1, min(4 * _workers_threads(connected), messages // MIN_CHUNK))
        chunks = _integer("chunks", chunks, 1, 10**7)
        ranges = chunk_ranges(messages, chunks, first_message)
        bar, report = _bar(progress, messages, "chunks")
        [remote] = connected.scatter([scenario._snapshot()], broadcast=True)
        futures = [connected.submit(_compare_chunk, remote, dict(strategies), start, stop, seed, threads_per_task,
                                    pure=False) for start, stop in ranges]
        total = _merged(_collect(connected, futures, messages, lambda part: part.messages, bar, report))
    return total if costs is None else total.with_costs(costs)


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
    with _client(client) as connected:
        return _run_worlds(connected, snapshots, seeds, threads_per_task, progress, many)


def _run_worlds(client: Any, snapshots: list[Any], seeds: list[int], threads_per_task: int, progress: Any,
                many: bool) -> Any:
    total = len(snapshots) * len(seeds)
    bar, report = _bar(progress, total, "world runs")
    remote = client.scatter(snapshots, broadcast=True)  # each world sent once to every worker
    futures = {client.submit(_run_world_task, r, seed, threads_per_task, pure=False): (i, j)
               for i, r in enumerate(remote) for j, seed in enumerate(seeds)}
    results: list[list[Any]] = [[None] * len(seeds) for _ in snapshots]
    for future, result in _collect(client, list(futures), total, lambda part: 1, bar, report):
        i, j = futures[future]
        results[i][j] = result
    return results if many else results[0]
