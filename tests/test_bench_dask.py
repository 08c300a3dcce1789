"""The dask_black_scholes benchmark's pieces (tools/bench_dask.py, benchsuite/wl_dask.py).

No cluster is started: the variants run on dask's synchronous scheduler and the
workload's cluster and client are stand-ins that record whether they were closed. The
timed run itself is tools/bench.py's (CI runs it with --quick).
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dask.array")
pytest.importorskip("distributed")
import dask  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
bench_dask = importlib.import_module("bench_dask")
wl_dask = importlib.import_module("benchsuite.wl_dask")
cli = importlib.import_module("benchsuite.cli")
cases = importlib.import_module("benchsuite.cases")
env = importlib.import_module("benchsuite.env")
tdsl = importlib.import_module("benchsuite.tdsl")


def _numpy_sums(arrays: tuple) -> tuple[float, float]:
    S, K, T, sigma = (np.asarray(a) for a in dask.compute(*arrays))  # noqa: N806
    call, put = bench_dask.black_scholes(S, K, T, bench_dask.R, sigma)
    return float(call.sum()), float(put.sum())


@pytest.mark.parametrize("variant", ["numpy", "tensordsl", "numba"])
@pytest.mark.parametrize("n,chunk", [(1000, 300), (1, 1), (0, 5)])
def test_priced_sums_equal_numpy(variant, n, chunk):
    if variant == "numba":
        pytest.importorskip("numba")
    arrays = bench_dask.inputs(n, chunk, seed=3)
    with dask.config.set(scheduler="synchronous"):
        got = bench_dask.compute_sums(bench_dask.priced_sums(variant, *arrays))
        want = _numpy_sums(arrays)
    assert all(isinstance(g, float) for g in got)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    if n:
        assert want[0] > 0  # prices are positive: the sums are not trivially zero


def test_unknown_variant_is_a_value_error():
    with pytest.raises(ValueError, match="unknown variant 'cupy'"):
        bench_dask.variant_outputs("cupy", *bench_dask.inputs(10, 5))


class _Closable:
    def __init__(self, *args):
        self.closed = False

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture
def fake_cluster(monkeypatch):
    """start_cluster and Client replaced by stand-ins; yields the cluster."""
    cluster = _Closable()
    clients = []

    def client(c):
        assert c is cluster
        clients.append(_Closable())
        return clients[-1]

    monkeypatch.setattr(bench_dask, "start_cluster", lambda: cluster)
    monkeypatch.setattr(importlib.import_module("distributed"), "Client", client)
    cluster.clients = clients
    return cluster


def test_quick_case_has_the_three_columns_and_closes_its_cluster(fake_cluster):
    gen = wl_dask.dask_cases(True)
    case = next(gen)
    assert case.workload == "dask_black_scholes"
    assert "2M options in 4 chunks of 0.5M" in case.label
    assert list(case.impls)[0] == "numpy"  # the runner's reference comes first
    assert {"numpy", "numba", tdsl.DECORATOR} <= set(case.impls)
    assert not fake_cluster.closed
    assert next(gen, None) is None  # exhausted: one case
    assert fake_cluster.closed and fake_cluster.clients[0].closed


def test_cluster_is_closed_when_a_case_fails(fake_cluster, monkeypatch):
    def boom(*args):
        raise RuntimeError("worker died")

    monkeypatch.setattr(cli, "run_case", boom)
    with pytest.raises(RuntimeError, match="worker died"):
        cli._run_cases(wl_dask.dask_cases(True), None, 7, 0.0, 0.0)
    assert fake_cluster.closed and fake_cluster.clients[0].closed


def test_symbolic_columns_say_why_they_are_not_timed(fake_cluster):
    case = next(wl_dask.dask_cases(True))
    symbolic = [c for c in tdsl.column_labels() if c != tdsl.DECORATOR]
    for column in symbolic:
        with pytest.raises(cases.NotApplicable, match="decorator on dask arrays"):
            case.impls[column]({})


def test_missing_dask_raises_not_installed(monkeypatch):
    def require(module):
        raise env.NotInstalled(module)

    monkeypatch.setattr(wl_dask, "require", require)
    with pytest.raises(env.NotInstalled, match="dask.array"):
        next(wl_dask.dask_cases(True))
