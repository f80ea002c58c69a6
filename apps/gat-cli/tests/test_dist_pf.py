"""``gat dist pf``: single case, batch, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]


def test_pf_case33bw_matches_published_losses(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pf"
    code, stdout, err = gat("dist", "pf", "--grid-file", case33, "-d", out)
    assert code == 0, err
    summary = pd.read_parquet(out / "pf_summary.parquet").iloc[0]
    # Baran & Wu (1989) case: 202.677 kW losses, 0.913090 pu at node 18.
    assert summary["p_loss_mw"] * 1e3 == pytest.approx(202.677, abs=1e-3)
    assert summary["vm_min_node"] == "18"
    assert summary["vm_min_pu"] == pytest.approx(0.913090, abs=1e-6)
    nodes = pd.read_parquet(out / "pf_nodes.parquet")
    branches = pd.read_parquet(out / "pf_branches.parquet")
    assert len(nodes) == 33 and len(branches) == 37
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "success" and manifest["params"]["method"] == "auto"
    assert "202.677 kW" in stdout


@pytest.mark.parametrize("method", ["nr", "bfs"])
def test_methods_agree(case33: Path, tmp_path: Path, gat, method: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / method
    assert gat("dist", "pf", "--grid-file", case33, "-d", out, "--method", method)[0] == 0
    ref = tmp_path / "auto"
    assert gat("dist", "pf", "--grid-file", case33, "-d", ref)[0] == 0
    a = pd.read_parquet(out / "pf_nodes.parquet")["vm_pu"].to_numpy()
    b = pd.read_parquet(ref / "pf_nodes.parquet")["vm_pu"].to_numpy()
    assert abs(a - b).max() < 1e-8


def test_batch_scenarios_are_partitioned_and_match_single_runs(
    case33: Path,
    tmp_path: Path,
    gat,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "batch"
    sweep = REPO / "test_data" / "scenarios" / "load_sweep.csv"
    code, _, err = gat(
        "dist", "pf", "--grid-file", case33, "-d", out, "--scenarios", sweep, "--tol", "1e-11"
    )
    assert code == 0, err
    ids = pd.read_csv(sweep, dtype={"scenario_id": str})["scenario_id"].tolist()
    assert sorted(p.name for p in (out / "pf_nodes").iterdir()) == sorted(
        f"scenario_id={s}" for s in ids
    )
    summary = pd.read_parquet(out / "pf_summary.parquet")
    assert summary["scenario_id"].tolist() == ids
    single = tmp_path / "single"
    args = ("--load-scale", "1.25", "--tol", "1e-11")
    assert gat("dist", "pf", "--grid-file", case33, "-d", single, *args)[0] == 0
    one = pd.read_parquet(single / "pf_nodes.parquet").set_index("node_id")["vm_pu"]
    part = pd.read_parquet(out / "pf_nodes" / "scenario_id=load_125pct" / "part-0.parquet")
    assert (part.set_index("node_id")["vm_pu"] - one).abs().max() < 1e-9


def test_per_node_scenarios(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    scen = tmp_path / "s.csv"
    scen.write_text("scenario_id,node_id,load_p,load_q\nbig18,18,1.0,0.2\nbase,18,0.09,0.04\n")
    out = tmp_path / "o"
    code, _, err = gat("dist", "pf", "--grid-file", case33, "-d", out, "--scenarios", scen)
    assert code == 0, err
    summary = pd.read_parquet(out / "pf_summary.parquet").set_index("scenario_id")
    assert summary.loc["big18", "total_load_mw"] == pytest.approx(3.715 - 0.09 + 1.0)
    assert summary.loc["base", "p_loss_mw"] * 1e3 == pytest.approx(202.677, abs=1e-3)


def test_bad_scenarios_name_the_rows(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    scen = tmp_path / "s.csv"
    scen.write_text("scenario_id,node_id,scale\na,18,1.1\na,999,1.2\n")
    out = tmp_path / "o"
    code, _, err = gat("dist", "pf", "--grid-file", case33, "-d", out, "--scenarios", scen)
    assert code == 1
    assert "999" in err and "s.csv" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_non_convergence_exits_3_and_writes_no_tables(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "o"
    code, _, err = gat(
        "dist", "pf", "--grid-file", case33, "-d", out, "--load-scale", "12", "--max-iter", "10"
    )
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"]
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_invalid_edited_network_is_refused(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    # Tables edited outside GAT are accepted when valid (test_network_cmds.py); bad content
    # is still the usual validation error.
    nodes = pd.read_parquet(case33 / "dist_nodes.parquet")
    nodes.loc[nodes.index[1], "v_min"] = -1.0
    nodes.to_parquet(case33 / "dist_nodes.parquet", index=False)
    code, _, err = gat("dist", "pf", "--grid-file", case33, "-d", tmp_path / "o")
    assert code == 1 and "dist_nodes.v_min" in err


def _under(nodes: pd.DataFrame) -> pd.DataFrame:
    return nodes[nodes["violation"] == "under"].sort_values(
        "v_violation_pu", ascending=False, kind="stable"
    )


def test_violations_are_printed_with_ids(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pf"
    case30 = REPO / "test_data" / "networks" / "case30"
    code, stdout, err = gat("dist", "pf", "--grid-file", case30, "-d", out, "--load-scale", "1.8")
    assert code == 0, err
    nodes = pd.read_parquet(out / "pf_nodes.parquet")
    branches = pd.read_parquet(out / "pf_branches.parquet")
    under = _under(nodes)
    assert ((nodes["vm_pu"] < nodes["v_min"]) == (nodes["violation"] == "under")).all()
    hot = branches[branches["loading_pct"] > 100].sort_values("loading_pct", ascending=False)
    assert len(under) > 3 and len(hot) > 1
    worst = ", ".join(
        [f"{under.node_id.iloc[0]} at {under.vm_pu.iloc[0]:.4f} pu"]
        + [f"{n} at {v:.4f}" for n, v in zip(under.node_id[1:3], under.vm_pu[1:3], strict=True)]
    )
    hot_text = ", ".join(
        f"{b} at {p:.1f} %" for b, p in zip(hot.branch_id[:3], hot.loading_pct[:3], strict=True)
    )
    assert (
        f"violations: {len(under)} nodes below v_min (worst {worst}), 0 above v_max; "
        f"{len(hot)} branches over their rating (worst {hot_text})"
    ) in stdout

    code, stdout, err = gat(
        "--format", "json", "dist", "pf", "--grid-file", case30, "-d", tmp_path / "j",
        "--load-scale", "1.8",
    )  # fmt: skip
    assert code == 0, err
    (v,) = json.loads(stdout)["violations"]
    assert v["nodes_under_v_min"] == len(under) and v["branches_overloaded"] == len(hot)
    assert [u["node"] for u in v["under"]] == under["node_id"].head(5).tolist()
    assert v["under"][0]["v_min"] == pytest.approx(under["v_min"].iloc[0])
    assert [o["branch_id"] for o in v["overloaded"]] == hot["branch_id"].head(5).tolist()
    assert v["rated_branches"] == int(branches["rating_mva"].notna().sum())


def test_batch_violations_per_scenario(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "batch"
    sweep = REPO / "test_data" / "scenarios" / "load_sweep.csv"
    code, stdout, err = gat("dist", "pf", "--grid-file", case33, "-d", out, "--scenarios", sweep)
    assert code == 0, err
    nodes = pd.read_parquet(out / "pf_nodes")
    summary = pd.read_parquet(out / "pf_summary.parquet")
    counts = nodes[nodes["violation"] == "under"].groupby("scenario_id", observed=True).size()
    for sid, n in zip(summary["scenario_id"], summary["n_under_v_min"], strict=True):
        assert n == counts.get(sid, 0)
        line = f"scenario {sid}: violations: {n} nodes below v_min"
        assert line in stdout
    assert summary["n_under_v_min"].iloc[0] == 0 < summary["n_under_v_min"].iloc[-1]
    assert stdout.count("note: no branch has a thermal_limit") == 1  # once, not per scenario

    code, stdout, _ = gat(
        "--format", "json", "dist", "pf", "--grid-file", case33, "-d", tmp_path / "j",
        "--scenarios", sweep,
    )  # fmt: skip
    v = json.loads(stdout)["violations"]
    assert [r["scenario_id"] for r in v] == summary["scenario_id"].tolist()
    assert [r["nodes_under_v_min"] for r in v] == summary["n_under_v_min"].tolist()
