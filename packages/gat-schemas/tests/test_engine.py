"""The vectorised column engine agrees with the pandera reading of the same schemas.

``gat_schemas._columns`` checks tables without pandera; ``Schema.to_pandera()`` builds the
pandera schema from the same column specifications. Every table's valid example, and copies
with one column broken in each of several ways, must get the same violations from both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gat_schemas import TABLES, apply_defaults, conform_table, validate_table
from gat_schemas._columns import column_violations
from gat_schemas._pandera_check import validate_columns_pandera
from gat_schemas.tables._base import UNIT_BOUNDS, column, finite

ALL = sorted(TABLES)


def _key(found):
    return sorted((v.table, v.column, v.row_ids, v.check, v.message) for v in found)


def _both(name: str, df: pd.DataFrame):
    frame = conform_table(name, df).reset_index(drop=True)
    return _key(column_violations(name, frame)), _key(validate_columns_pandera(name, frame))


def _breakages(name: str, df: pd.DataFrame):
    """(label, broken copy) pairs: one column broken per copy."""
    for info in TABLES[name].columns():
        if info.name not in df.columns or len(df) == 0:
            continue
        c = info.name
        last = len(df) - 1
        if info.dtype == "float64":
            for value in (np.nan, np.inf, -1.0, 1e300, 0.0):
                bad = df.copy()
                bad.loc[last, c] = value
                yield f"{c}={value}", bad
            bad = df.copy()
            bad[c] = bad[c].astype(object)
            bad.loc[0, c] = "oops"
            yield f"{c}=text", bad
            bad = df.copy()
            bad[c] = bad[c].astype(object)
            yield f"{c} object", bad
        elif info.dtype == "str":
            for value in (None, "zz-not-allowed", 7):
                bad = df.copy()
                bad[c] = bad[c].astype(object)
                bad.loc[last, c] = value
                yield f"{c}={value!r}", bad
            bad = df.copy()
            bad[c] = bad[c].astype("category")
            yield f"{c} category", bad
        elif info.dtype == "int64":
            for value in (-1, 10**9):
                bad = df.copy()
                bad.loc[last, c] = value
                yield f"{c}={value}", bad
            bad = df.copy()
            bad[c] = bad[c].astype(float)
            bad.loc[last, c] = np.nan
            yield f"{c}=NaN", bad
            bad = df.copy()
            bad[c] = bad[c].astype(float) + 0.5
            yield f"{c} fractional", bad
        elif info.dtype == "bool":
            bad = df.copy()
            bad[c] = bad[c].astype(object)
            bad.loc[last, c] = None
            yield f"{c}=None", bad
            bad = df.copy()
            bad[c] = bad[c].astype(np.int64)
            yield f"{c} int", bad
        if info.required:
            yield f"drop {c}", df.drop(columns=c)


@pytest.mark.parametrize("name", ALL)
def test_valid_tables_agree(make_tables, name):
    df, _ = apply_defaults(name, make_tables()[name])
    fast, ref = _both(name, df)
    assert fast == ref == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_broken_tables_agree(make_tables, name):
    df, _ = apply_defaults(name, make_tables()[name])
    for label, bad in _breakages(name, df):
        fast, ref = _both(name, bad)
        assert fast == ref, label


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("dist_nodes", "load_p=inf"),
        ("dist_nodes", "v_min=-1.0"),
        ("dist_nodes", "v_min=text"),
        ("dist_nodes", "phase='zz-not-allowed'"),
        ("dist_nodes", "phase=7"),
        ("dist_nodes", "customers=NaN"),
        ("dist_nodes", "drop feeder_id"),
        ("dist_branches", "r=1e+300"),
        ("dist_branches", "status='zz-not-allowed'"),
        ("der_assets", "efficiency=0.0"),
        ("der_assets", "p_max=1e+300"),
    ],
)
def test_typical_breakages_agree(make_tables, name, label):
    df, _ = apply_defaults(name, make_tables()[name])
    cases = dict(_breakages(name, df))
    fast, ref = _both(name, cases[label])
    assert fast, label  # the breakage is found ...
    assert fast == ref  # ... in the same words as pandera's reading


def test_huge_values_are_refused_with_their_bound(make_tables):
    t = make_tables()
    nodes = t["dist_nodes"].copy()
    nodes.loc[2, "load_p"] = 1e300
    branches = t["dist_branches"].copy()
    branches.loc[0, "x"] = -2e6
    assets = t["der_assets"].copy()
    assets.loc[0, "s_max"] = 5e5
    hits = {
        name: [v for v in validate_table(name, df) if v.check.startswith("magnitude")]
        for name, df in (("dist_nodes", nodes), ("dist_branches", branches), ("der_assets", assets))
    }
    assert [(v.column, v.row_ids) for v in hits["dist_nodes"]] == [("load_p", ("n3",))]
    assert "magnitude must be <= 100000, found 1e+300" in str(hits["dist_nodes"][0])
    assert [(v.column, v.row_ids) for v in hits["dist_branches"]] == [("x", ("b1",))]
    assert [v.column for v in hits["der_assets"]] == ["s_max"]


def test_every_float_column_is_finite_and_bounded():
    for ts in TABLES.values():
        for info in ts.columns():
            if info.dtype != "float64":
                continue
            assert "must be finite, not infinite" in info.rules, (ts.name, info.name)
            assert any(r.startswith(("magnitude must be <=", "must be in")) for r in info.rules), (
                ts.name,
                info.name,
            )


def test_bound_follows_the_unit_unless_given():
    assert column("float64", unit="MW", description="x").checks[-1].args == (UNIT_BOUNDS["MW"],)
    given = column("float64", unit="MW", description="x", checks=[finite()], bound=5.0)
    assert given.checks[-1].args == (5.0,)
    assert [c.kind for c in given.checks] == ["finite", "within"]
    assert column(str, unit="-", description="x").checks == ()


def _components_reference(n, a, b):
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for u, v in zip(a.tolist(), b.tolist(), strict=True):
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return np.array([find(i) for i in range(n)])


@pytest.mark.parametrize("seed", range(6))
def test_components_match_a_plain_union_find(seed):
    from gat_schemas._checks import components

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    m = int(rng.integers(0, 2 * n))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    if seed == 0:  # a long path in shuffled order: many hooking rounds
        perm = rng.permutation(n)
        a, b = perm[:-1], perm[1:]
    got = components(n, a, b)
    assert np.array_equal(got, _components_reference(n, a, b))


def test_row_labels_of_chosen_rows_match_all_rows(make_tables):
    from gat_schemas import row_labels

    df = make_tables()["outage_scenarios"]
    df.loc[1, "element_id"] = None
    rows = np.array([2, 1])
    assert row_labels("outage_scenarios", df, rows).tolist() == [
        row_labels("outage_scenarios", df)[i] for i in rows
    ]


def test_reading_and_validating_a_network_does_not_import_pandera(tmp_path, make_network):
    import subprocess
    import sys

    from gat_schemas import write_network

    write_network(make_network(), tmp_path / "net")
    code = (
        "import sys\n"
        "from gat_schemas import read_network, validate_table, write_table\n"
        f"net = read_network({str(tmp_path / 'net')!r})\n"
        "assert validate_table('dist_nodes', net.nodes) == []\n"
        "print('PANDERA', 'pandera' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "PANDERA False" in proc.stdout


def test_duplicate_ids_found_and_named(make_tables):
    from gat_schemas._checks import duplicate_ids

    df = make_tables()["dist_nodes"].reset_index(drop=True)
    assert duplicate_ids("dist_nodes", df, set()) == []
    df.loc[len(df) - 1, "node_id"] = df.loc[0, "node_id"]
    (found,) = duplicate_ids("dist_nodes", df, set())
    assert found.check == "unique" and found.row_ids == (str(df.loc[0, "node_id"]),)
    assert found.message == "duplicate node_id (each must appear once)"


@pytest.mark.parametrize("seed", range(4))
def test_distinct_positions_match_an_index_lookup(seed):
    from gat_schemas._graph import distinct_positions

    rng = np.random.default_rng(seed)
    ids = pd.Series([f"n{i}" for i in rng.permutation(50)], dtype=object)
    pool = [*ids.tolist(), "nowhere", None, np.nan, 7]
    values = pd.Series([pool[i] for i in rng.integers(0, len(pool), 80)], dtype=object)
    got = distinct_positions(ids, values)
    want = pd.Index(ids).get_indexer(values)
    want[values.isna().to_numpy()] = -1
    assert got is not None and got.tolist() == want.tolist()
    assert distinct_positions(pd.Series(["a", "b", "a"], dtype=object), values) is None
    assert distinct_positions(pd.Series(["a", None], dtype=object), values) is None
