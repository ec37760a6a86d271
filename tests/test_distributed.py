"""evaluate_many and compare on a real distributed engine: dask.distributed's executor."""

import datetime

import pytest

import incubator_rules as ir
from incubator_rules.tools.synthetic import generate_portfolio

distributed = pytest.importorskip("distributed")

AS_OF = datetime.date(2026, 12, 31)
DISTRICT = generate_portfolio(300, seed=21)


@pytest.fixture(scope="module")
def executor():
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client.get_executor()


def test_dask_executor_gives_the_in_process_result(executor):
    expected = ir.evaluate_many(DISTRICT, as_of=AS_OF)
    assert ir.evaluate_many(DISTRICT, as_of=AS_OF, executor=executor, chunk_size=40) == expected
    assert list(ir.evaluate_many(DISTRICT, as_of=AS_OF, executor=executor, stream=True, chunk_size=40)) == expected


def test_dask_executor_compares_scenarios_like_in_process(executor):
    raised = ir.Scenario("raised", overrides=[ir.Override.amount("construction_subsidy", "maker_space", "municipal", 300_000)])
    expected = ir.compare(DISTRICT, None, raised, as_of=AS_OF)
    assert ir.compare(DISTRICT, None, raised, as_of=AS_OF, executor=executor, chunk_size=64) == expected
