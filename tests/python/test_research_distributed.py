"""delivsim.distributed.run on a Dask LocalCluster of 2 worker processes: the merged result is
identical to a local run with the same seed."""
import pytest

import delivsim

# tornado's DeprecationWarning, inside distributed; Dask clusters of worker processes are slow
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.slow]

distributed = pytest.importorskip("distributed", reason="python3-distributed (scripts/bootstrap.sh installs it)")
import delivsim.distributed as ddist  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                       worker_dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_chunk_ranges():
    assert ddist.chunk_ranges(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert ddist.chunk_ranges(10, 3, first_message=5) == [(5, 9), (9, 12), (12, 15)]
    assert ddist.chunk_ranges(2, 5) == [(0, 1), (1, 2)]
    assert ddist.chunk_ranges(0, 4) == [(0, 0)]


def test_identical_to_a_local_run(client):
    s = delivsim.default_scenario()
    s.profiles.G.content.thresholds.spam_folder = 4.0  # an edited scenario travels too
    seen = []
    with distributed.get_task_stream(client) as tasks:
        remote = ddist.run(s, messages=500_003, seed=9, client=client, chunks=7,
                           progress=lambda done, total: seen.append((done, total)))
    local = delivsim.run(s, messages=500_003, seed=9, threads=2)
    assert remote == local  # every count, bit for bit, and the message range
    assert remote.to_json() == local.to_json()
    assert remote.message_ranges == ((0, 500_003),)
    assert seen[-1] == (500_003, 500_003) and len(seen) == 7
    # the worker processes did the work, both of them
    chunks = [t for t in tasks.data if t["key"].startswith("_run_chunk")]
    assert len(chunks) == 7 and len({t["worker"] for t in chunks}) == 2


def test_defaults_and_offsets(client):
    s = delivsim.default_scenario()
    remote = ddist.run(s, messages=100_000, seed=3, client=client, first_message=1_000)
    assert remote == delivsim.run(s, messages=100_000, seed=3, first_message=1_000)
    with distributed.Client(client.scheduler.address) as other:  # the current client by default
        assert ddist.run(s, messages=20_000, seed=3) == delivsim.run(s, messages=20_000, seed=3)
        del other


def test_bad_scenario_fails_on_the_client(client):
    s = delivsim.default_scenario()
    s.retry.first_retry_s = -1
    with pytest.raises(ValueError, match="first_retry_s"):
        ddist.run(s, messages=1000, client=client)
