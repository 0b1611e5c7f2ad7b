"""delivsim.distributed.run_world on a Dask LocalCluster of 2 worker processes: replicates and a
sweep of worlds, each result identical to a local delivsim.world.run with the same seed."""
import pathlib

import pytest

from delivsim import world

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # tornado's, inside distributed

distributed = pytest.importorskip("distributed", reason="python3-distributed (scripts/bootstrap.sh installs it)")
import delivsim.distributed as ddist  # noqa: E402

SMALL = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "world" / "stateful_small.json"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                       worker_dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_replicates_equal_local_runs(client):
    w = world.load(SMALL)
    w.senders[0].schedule[0].rate_per_hour = 150  # an edited world travels too
    seen = []
    with distributed.get_task_stream(client) as tasks:
        remote = ddist.run_world(w, seeds=[5, 1, 3, 2], client=client,
                                 progress=lambda done, total: seen.append((done, total)))
    assert [r.seed for r in remote] == [5, 1, 3, 2]
    for r in remote:
        local = world.run(w, seed=r.seed, threads=2)
        assert r == local  # totals and every time series, bit for bit
        assert r.report() == local.report()
    assert sum(remote) == sum(world.run(w, seed=s, threads=1) for s in (5, 1, 3, 2))
    assert seen[-1] == (4, 4) and len(seen) == 4
    runs = [t for t in tasks.data if t["key"].startswith("_run_world_task")]
    assert len(runs) == 4 and len({t["worker"] for t in runs}) == 2  # both worker processes worked


def test_a_sweep_of_worlds(client):
    w = world.load(SMALL)
    receiver = w.receiver_names[0]
    path = f"receivers.{receiver}.feedback_delay_s"
    variants = [w.with_values({path: d}) for d in (600, 7200)]
    grid = ddist.run_world(variants, seeds=[1, 2], client=client.scheduler.address)  # an address works too
    assert len(grid) == 2 and all(len(row) == 2 for row in grid)
    for v, row in zip(variants, grid):
        for seed, r in zip((1, 2), row):
            assert r == world.run(v, seed=seed, threads=1)
            assert r.world == v


def test_bad_input_fails_on_the_client(client):
    w = world.load(SMALL)
    w.senders[0].schedule[0].rate_per_hour = -1
    with pytest.raises(ValueError, match=r"senders\[0\]\.schedule\[0\]\.rate_per_hour"):
        ddist.run_world(w, seeds=[1], client=client)
    with pytest.raises(TypeError, match="seeds must be a list of ints"):
        ddist.run_world(world.load(SMALL), seeds=3, client=client)
    with pytest.raises(ValueError, match="at least one seed"):
        ddist.run_world(world.load(SMALL), seeds=[], client=client)
    with pytest.raises(TypeError, match="world must be a delivsim.world.World"):
        ddist.run_world("nope", seeds=[1], client=client)
