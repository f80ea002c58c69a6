"""An output folder holds one run; results never go into a network folder (issue 11 items 3, 8)."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"
CASE33_M = REPO / "test_data" / "matpower" / "case33bw.m"


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _one_line(code: int, err: str, *words: str) -> None:
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def test_reimport_replaces_an_export_as_a_whole(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    net = tmp_path / "net"
    assert gat("dataset", "export", "case33bw", "-d", net)[0] == 0
    assert (net / "der_assets.parquet").is_file()
    code, _, err = gat("dist", "import", "matpower", "--file", CASE33_M, "-d", net)
    assert code == 0, err
    assert not (net / "der_assets.parquet").exists()  # the export's extra tables are gone
    listed = set(json.loads((net / "network.json").read_text())["tables"])
    assert {p.stem for p in net.glob("*.parquet")} == listed
    code, _, err = gat("validate", net)
    assert code == 0 and "outside GAT" not in err, err


def test_results_never_go_into_a_network_folder(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    net = tmp_path / "net"
    assert gat("dataset", "export", "case33bw", "-d", net)[0] == 0
    before = _files(net)
    for extra in ((), ("--force",)):
        code, _, err = gat("dist", "pf", "--grid-file", CASE33, "-d", net, *extra)
        _one_line(code, err, "holds a network", "choose another output folder")
    assert _files(net) == before


def test_import_does_not_replace_results_without_force(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert gat("dist", "pf", "--grid-file", CASE33, "-d", out)[0] == 0
    before = _files(out)
    code, _, err = gat("dist", "import", "matpower", "--file", CASE33_M, "-d", out)
    _one_line(code, err, "holds the results of gat dist pf", "--force")
    assert _files(out) == before
    code, _, err = gat("dist", "import", "matpower", "--file", CASE33_M, "-d", out, "--force")
    assert code == 0, err
    assert not list(out.glob("pf_*.parquet")) and (out / "network.json").is_file()


def test_another_command_replaces_the_earlier_run(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert gat("dist", "pf", "--grid-file", CASE33, "-d", out)[0] == 0
    code, _, err = gat("dist", "opf", "--grid-file", CASE33, "-d", out)
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith("pf_")], names
    run = json.loads((out / "run.json").read_text())
    assert run["command"] == "dist opf" and run["superseded"] == []
    assert sorted(o["path"] for o in run["outputs"]) == [n for n in names if n != "run.json"]
