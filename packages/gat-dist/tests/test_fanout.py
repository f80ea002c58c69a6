"""Fan-out: executors agree, results come back in shard order, shards are saved and resumed."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gat_dist.fanout import (
    SHARDS_DIR,
    ExecutorKind,
    ExecutorOptions,
    Shard,
    ShardStore,
    open_run,
    run_shards,
)
from gat_dist.hostcap import HostcapOptions, hostcap_shard, hostcap_shards
from gat_schemas import InputError, Network, read_network

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"
OPTS = HostcapOptions(v_max=1.05, block_size=8, load_scales=(0.5, 1.0))


@pytest.fixture(scope="module")
def case33() -> Network:
    return read_network(CASE33)


@pytest.fixture(scope="module")
def reference(case33: Network) -> list[dict[str, pd.DataFrame]]:
    return run_shards(hostcap_shard, hostcap_shards(case33, OPTS))


def _summaries(results: list[dict[str, pd.DataFrame]]) -> pd.DataFrame:
    return pd.concat([r["summary"] for r in results], ignore_index=True)


def test_shards_cover_load_levels_times_blocks(case33: Network) -> None:
    shards = hostcap_shards(case33, OPTS)
    assert [s.id for s in shards] == [f"ls{i}-b{j}" for i in range(2) for j in range(4)]
    buses = [b for s in shards[:4] for b in s.args[3]]
    assert buses == [str(k) for k in range(2, 34)]


def test_progress_counts_every_shard(case33: Network, reference) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[int, int]] = []
    run_shards(
        hostcap_shard, hostcap_shards(case33, OPTS), progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(k, 8) for k in range(9)]


@pytest.mark.slow  # two spawned workers import numpy, pandas and scipy afresh
def test_process_pool_matches_local(case33: Network, reference) -> None:  # type: ignore[no-untyped-def]
    out = run_shards(
        hostcap_shard,
        hostcap_shards(case33, OPTS),
        executor=ExecutorOptions(kind="process", workers=2),
    )
    pd.testing.assert_frame_equal(_summaries(out), _summaries(reference))


def test_dask_cluster_matches_local(case33: Network, reference) -> None:  # type: ignore[no-untyped-def]
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        executor = ExecutorOptions(kind=ExecutorKind.DASK, scheduler=cluster.scheduler_address)
        out = run_shards(hostcap_shard, hostcap_shards(case33, OPTS), executor=executor)
    pd.testing.assert_frame_equal(_summaries(out), _summaries(reference))


def test_unreachable_scheduler_is_an_input_error(case33: Network) -> None:
    shards = hostcap_shards(case33, OPTS)[:1]
    executor = ExecutorOptions(kind="dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(InputError, match="cannot connect"):
        run_shards(hostcap_shard, shards, executor=executor)


def test_executor_options_are_checked() -> None:
    with pytest.raises(InputError, match="unknown executor"):
        ExecutorOptions(kind="cloud")
    with pytest.raises(InputError, match="needs the dask executor"):
        ExecutorOptions(kind="process", scheduler="tcp://x:1")
    with pytest.raises(InputError, match="workers must be"):
        ExecutorOptions(workers=0)


def _run(out: Path, resume: bool, params: dict | None = None):  # type: ignore[no-untyped-def]
    return open_run(
        out,
        command="test fanout",
        argv=["test"],
        params=params or {"v_max": 1.05, "executor": "local"},
        inputs=[CASE33],
        resume=resume,
    )


def test_failed_run_keeps_finished_shards_and_resume_skips_them(
    tmp_path: Path,
    case33: Network,
    reference,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "run"
    shards = hostcap_shards(case33, OPTS)
    broken = [*shards[:3], Shard(shards[3].id, (case33, OPTS, 0.5, ("nope",))), *shards[4:]]
    run = _run(out, resume=False)
    with pytest.raises(KeyError):
        run_shards(hostcap_shard, broken, store=ShardStore(run))
    run.fail("shard failed")
    done = [s["id"] for s in json.loads((out / "run.json").read_text())["shards"]]
    assert done == ["ls0-b0", "ls0-b1", "ls0-b2"]
    stamps = {p: p.stat().st_mtime_ns for p in (out / SHARDS_DIR).rglob("*.parquet")}
    # Damage one finished shard: it must be recomputed, the other two must not.
    damaged = out / SHARDS_DIR / "ls0-b1" / "summary.parquet"
    damaged.write_bytes(b"not parquet")
    resumed = _run(out, resume=True, params={"v_max": 1.05, "executor": "process"})
    ran: list[str] = []

    def counting(*args):  # type: ignore[no-untyped-def]
        ran.append(args[3][0])
        return hostcap_shard(*args)

    results = run_shards(counting, shards, store=ShardStore(resumed))
    assert len(ran) == 6 and ran[0] == shards[1].args[3][0]
    for p, t in stamps.items():
        if p.parent.name != "ls0-b1":
            assert p.stat().st_mtime_ns == t
    pd.testing.assert_frame_equal(_summaries(results), _summaries(reference))


def test_resume_refuses_other_parameters_or_nothing_to_resume(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no run\.json to resume"):
        _run(tmp_path / "none", resume=True)
    out = tmp_path / "run"
    _run(out, resume=False).finish()
    with pytest.raises(InputError, match="parameters differ from the recorded run: v_max"):
        _run(out, resume=True, params={"v_max": 1.1, "executor": "local"})


def test_fresh_run_clears_old_shards(tmp_path: Path, case33: Network) -> None:
    out = tmp_path / "run"
    run = _run(out, resume=False)
    run_shards(hostcap_shard, hostcap_shards(case33, OPTS)[:1], store=ShardStore(run))
    assert (out / SHARDS_DIR / "ls0-b0" / "summary.parquet").is_file()
    run.finish()
    _run(out, resume=False)
    assert not (out / SHARDS_DIR).exists()
