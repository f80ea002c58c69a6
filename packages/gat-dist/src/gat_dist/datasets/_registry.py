"""The registry of shipped datasets: what each one is, where it comes from, what it holds.

The source files live in ``data/`` inside this package (so a wheel carries them); their
origin and license are in ``data/README.md`` and in :class:`DatasetInfo`. Published results
that a dataset reproduces are data (``data/published_results.csv``), not Python literals.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from gat_schemas.errors import InputError

__all__ = [
    "DATA_DIR",
    "REGISTRY",
    "DatasetInfo",
    "PublishedResult",
    "get_info",
    "published_results",
]

#: The package-data folder holding the source files.
DATA_DIR = Path(__file__).resolve().parent / "data"

_MATPOWER_LICENSE = (
    "MATPOWER case file, redistributed unmodified: the case files are not under MATPOWER's "
    "BSD-3-Clause code license; MATPOWER includes them with their authors' permission or "
    "from public data (data/matpower/MATPOWER-LICENSE.txt)"
)
_DSS_LICENSE = "BSD-3-Clause (EPRI / DSS-Extensions), see the LICENSE file beside the source"
_BASE_TABLES = ("dist_nodes", "dist_branches", "der_assets", "der_cost_curves")
_RELIABILITY_TABLES = ("reliability", "switching_devices")
_PHASE_TABLES = (
    "dist_caps",
    "dist_linecodes",
    "dist_transformers",
    "dist_regulators",
    "dist_loads",
)


@dataclass(frozen=True)
class DatasetInfo:
    """What one shipped dataset is (``gat dataset describe NAME``).

    Attributes
    ----------
    name
        Dataset name (``gat dataset export NAME``).
    title
        One-line description.
    source_format
        ``matpower`` or ``opendss``: the importer that converts it.
    source_files
        Package-data paths (relative to ``gat_dist/datasets/data``); the first is the file the
        importer reads, the others are files it includes or the license.
    origin
        Where the files were copied from (unchanged).
    license
        Terms of the source files.
    citation
        Original publication of the feeder.
    published_results
        The published solution the network is checked against, or ``None``.
    nominal_kv
        Nominal line-to-line voltage of the feeder (kV).
    unbalanced
        True for a phase-coordinate (three-phase, unbalanced) feeder.
    nodes, branches
        Node and branch counts of the exported network (open ties included).
    tables
        Tables written by :func:`gat_dist.datasets.export_dataset`.
    notes
        Conversion and generation notes (estimated lengths, ...).
    """

    name: str
    title: str
    source_format: str
    source_files: tuple[str, ...]
    origin: str
    license: str
    citation: str
    published_results: str | None
    nominal_kv: float
    unbalanced: bool
    nodes: int
    branches: int
    tables: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def source_path(self) -> Path:
        """Absolute path of the main source file inside the installed package."""
        return DATA_DIR / self.source_files[0]


@dataclass(frozen=True)
class PublishedResult:
    """One published number a dataset's power flow must reproduce (``published_results.csv``)."""

    dataset: str
    quantity: str
    value: str
    unit: str
    tolerance: float
    source: str


REGISTRY: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            name="case33bw",
            title="Baran & Wu 33-bus radial feeder, 12.66 kV, 5 normally-open ties",
            source_format="matpower",
            source_files=("matpower/case33bw.m", "matpower/MATPOWER-LICENSE.txt"),
            origin="MATPOWER 8.1, data/case33bw.m",
            license=_MATPOWER_LICENSE,
            citation=(
                "M. E. Baran and F. F. Wu, Network reconfiguration in distribution systems for "
                "loss reduction and load balancing, IEEE Trans. Power Delivery 4(2), "
                "1401-1407, 1989, doi:10.1109/61.25627"
            ),
            published_results=(
                "base-case losses 202.67 kW and lowest voltage 0.9131 pu at bus 18 (Baran & Wu "
                "1989, as reproduced throughout the literature)"
            ),
            nominal_kv=12.66,
            unbalanced=False,
            nodes=33,
            branches=37,
            tables=_BASE_TABLES + _RELIABILITY_TABLES,
            notes=(
                "line lengths are not in the source: estimated from series resistance "
                "(0.35 ohm/km)",
            ),
        ),
        DatasetInfo(
            name="case69",
            title="Baran & Wu 69-bus radial feeder (part of a PG&E system), 12.66 kV",
            source_format="matpower",
            source_files=("matpower/case69.m", "matpower/MATPOWER-LICENSE.txt"),
            origin="MATPOWER 8.1, data/case69.m",
            license=_MATPOWER_LICENSE,
            citation=(
                "M. E. Baran and F. F. Wu, Optimal capacitor placement on radial distribution "
                "systems, IEEE Trans. Power Delivery 4(1), 725-734, 1989, doi:10.1109/61.19265"
            ),
            published_results=(
                "base-case losses 224.95 kW and lowest voltage 0.9092 pu at bus 65 (as "
                "reproduced throughout the literature)"
            ),
            nominal_kv=12.66,
            unbalanced=False,
            nodes=69,
            branches=68,
            tables=_BASE_TABLES + _RELIABILITY_TABLES,
            notes=(
                "line lengths are not in the source: estimated from series resistance "
                "(0.35 ohm/km)",
                "the MATPOWER file has no tie lines, so the dataset has none",
            ),
        ),
        DatasetInfo(
            name="ieee13",
            title="IEEE 13-node test feeder, 4.16 kV, unbalanced, published regulator taps",
            source_format="opendss",
            source_files=(
                "ieee13/IEEE13Nodeckt_fixed_taps.dss",
                "ieee13/IEEE13Nodeckt.dss",
                "ieee13/IEEELineCodes.DSS",
                "ieee13/OpenDSS-electricdss-tst-LICENSE.txt",
                "ieee13/ieee13_published_voltages.csv",
            ),
            origin=(
                "OpenDSS model, GitHub dss-extensions/electricdss-tst (commit 3b20839), "
                "Version8/Distrib/IEEETestCases/13Bus; IEEE13Nodeckt_fixed_taps.dss (GAT) "
                "fixes the regulator taps at the published 10, 8, 11 steps"
            ),
            license=_DSS_LICENSE,
            citation=(
                "IEEE PES Distribution System Analysis Subcommittee, IEEE 13 Node Test Feeder; "
                "W. H. Kersting, Radial distribution test feeders, IEEE PES Winter Meeting "
                "2001, vol. 2, 908-912"
            ),
            published_results=(
                "line-to-neutral voltage magnitude and angle of every node and phase "
                "(ieee13/ieee13_published_voltages.csv, from a transcription of the IEEE "
                "report: see data/README.md)"
            ),
            nominal_kv=4.16,
            unbalanced=True,
            nodes=17,
            branches=18,
            tables=(
                *_BASE_TABLES[:2],
                *_PHASE_TABLES,
                *_BASE_TABLES[2:],
                *_RELIABILITY_TABLES,
            ),
            notes=(
                "loads are per phase in dist_loads (load_p is 0); DER sizes follow them",
                "the source is its EMF (node SourceBus_vsource, the slack) behind its short-circuit "
                "impedance (line Vsource.source), as in OpenDSS",
            ),
        ),
        DatasetInfo(
            name="ieee34",
            title="IEEE 34-node test feeder, 24.9 kV, unbalanced, two regulator banks",
            source_format="opendss",
            source_files=(
                "ieee34/ieee34Mod2.dss",
                "ieee34/IEEELineCodes.DSS",
                "ieee34/OpenDSS-electricdss-tst-LICENSE.txt",
            ),
            origin=(
                "OpenDSS model Mod 2 (a bus in the middle of each segment carries its "
                "distributed load), GitHub dss-extensions/electricdss-tst (commit 3b20839), "
                "Version8/Distrib/IEEETestCases/34Bus/ieee34Mod2.dss"
            ),
            license=_DSS_LICENSE,
            citation=(
                "IEEE PES Distribution System Analysis Subcommittee, IEEE 34 Node Test Feeder; "
                "W. H. Kersting, Radial distribution test feeders, IEEE PES Winter Meeting "
                "2001, vol. 2, 908-912"
            ),
            published_results=None,
            nominal_kv=24.9,
            unbalanced=True,
            nodes=57,
            branches=60,
            tables=(
                *_BASE_TABLES[:2],
                *_PHASE_TABLES,
                "load_shapes",  # its loads name OpenDSS's built-in daily shape "default"
                *_BASE_TABLES[2:],
                *_RELIABILITY_TABLES,
            ),
            notes=(
                "the IEEE published solution is not shipped; GAT keeps its own result as a "
                "regression case",
                "regulators start at the taps of the model and follow their RegControl "
                "settings (mode auto)",
                "loads are per phase in dist_loads (load_p is 0); DER sizes follow them",
            ),
        ),
        DatasetInfo(
            name="ieee123",
            title=(
                "IEEE 123-node test feeder, 4.16 kV, unbalanced, a ganged and six single-phase "
                "regulators at the published taps"
            ),
            source_format="opendss",
            source_files=(
                "ieee123/Run_IEEE123Bus.DSS",
                "ieee123/IEEE123Master.dss",
                "ieee123/IEEE123Regulators.DSS",
                "ieee123/IEEE123Loads.DSS",
                "ieee123/IEEELineCodes.DSS",
                "ieee123/BusCoords.dat",
                "ieee123/OpenDSS-electricdss-tst-LICENSE.txt",
            ),
            origin=(
                "EPRI's OpenDSS model as shipped, GitHub dss-extensions/electricdss-tst, "
                "Version8/Distrib/IEEETestCases/123Bus (unchanged); the importer reads EPRI's "
                "run script Run_IEEE123Bus.DSS, whose second part locks the regulators at "
                "Kersting's taps (7, -1, 0, -1, 8, 1, 5) and reads the bus coordinates"
            ),
            license=_DSS_LICENSE,
            citation=(
                "IEEE PES Distribution System Analysis Subcommittee, IEEE 123 Node Test Feeder; "
                "W. H. Kersting, Radial distribution test feeders, IEEE PES Winter Meeting "
                "2001, vol. 2, 908-912"
            ),
            published_results=None,
            nominal_kv=4.16,
            unbalanced=True,
            nodes=133,
            branches=135,
            tables=(
                *_BASE_TABLES[:2],
                *_PHASE_TABLES,
                *_BASE_TABLES[2:],
                *_RELIABILITY_TABLES,
            ),
            notes=(
                "regulators fixed at Kersting's published taps (maxtapchange=0 in the run "
                "script); set dist_regulators.mode to auto to let them move",
                "the normally open switches Sw7 and Sw8 are modelled as EPRI does: closed "
                "switches to the dangling buses 300_OPEN and 94_OPEN",
                "node x, y are the bus coordinates of BusCoords.dat (feet)",
                "loads are per phase in dist_loads (load_p is 0); DER sizes follow them",
                "the OpenDSS solution it was checked against is in test_data/opendss/ieee123",
            ),
        ),
        DatasetInfo(
            name="ieee8500",
            title=(
                "IEEE 8500-node test feeder, 12.47 kV, balanced loads on 120/240 V secondaries, "
                "four regulator banks and capacitors under their controls, EPRI's fuses"
            ),
            source_format="opendss",
            source_files=(
                "ieee8500/IEEE8500_dataset.dss",
                "ieee8500/Master.dss",
                "ieee8500/LineCodes2.DSS",
                "ieee8500/Triplex_Linecodes.dss",
                "ieee8500/Lines.dss",
                "ieee8500/Transformers.dss",
                "ieee8500/LoadXfmrCodes.dss",
                "ieee8500/Triplex_Lines.DSS",
                "ieee8500/Loads.dss",
                "ieee8500/Capacitors.dss",
                "ieee8500/CapControls.DSS",
                "ieee8500/Regulators.dss",
                "ieee8500/Buscoords.dss",
                "ieee8500/Fuses.DSS",
                "ieee8500/OpenDSS-electricdss-tst-LICENSE.txt",
            ),
            origin=(
                "EPRI's OpenDSS model as shipped, GitHub dss-extensions/electricdss-tst, "
                "Version8/Distrib/IEEETestCases/8500-Node (unchanged): the balanced-load "
                "Master.dss and the files it redirects, and Fuses.DSS of EPRI's recloser-siting "
                "script; IEEE8500_dataset.dss (GAT) redirects the two"
            ),
            license=_DSS_LICENSE,
            citation=(
                "R. F. Arritt and R. C. Dugan, The IEEE 8500-node test feeder, IEEE PES "
                "Transmission and Distribution Conference and Exposition 2010, "
                "doi:10.1109/TDC.2010.5484381"
            ),
            published_results=None,
            nominal_kv=12.47,
            unbalanced=True,
            nodes=4877,
            branches=4895,
            tables=(
                *_BASE_TABLES[:2],
                *_PHASE_TABLES,
                "dist_cap_controls",
                *_BASE_TABLES[2:],
                *_RELIABILITY_TABLES,
            ),
            notes=(
                "regulators and capacitors as EPRI ships them: the regulators follow their "
                "RegControl settings (mode auto, from tap 0) and end in band within two "
                "steps of OpenDSS's taps; the four capacitor banks are in service, as OpenDSS "
                "leaves them",
                "a 120/240 V secondary node has phases AB (its two legs, base_kv 0.208); "
                "loads are per leg in dist_loads (load_p is 0)",
                "protection: EPRI's 30 fuses (Fuses.DSS) and substation relay (a breaker on "
                "line ln5815900-1), from EPRI's recloser-siting script; the generator adds the "
                "trunk disconnects and the five open ties, no fuse or breaker of its own",
                "failure data: the generator's rates for every closed branch, triplex service "
                "lines and the 1177 service transformers included",
                "DER on load nodes: PV, batteries and flexible loads across both legs of a "
                "120/240 V node (240 V), an EV on one leg (120 V)",
                "node x, y are EPRI's bus coordinates (Buscoords.dss); line lengths are EPRI's",
                "the OpenDSS solution it was checked against (at OpenDSS's taps) is in "
                "test_data/opendss/ieee8500",
            ),
        ),
    )
}


def get_info(name: str) -> DatasetInfo:
    """The registry entry of dataset ``name``.

    Raises
    ------
    InputError
        Unknown name (the message lists the known ones).
    """
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise InputError(f"unknown dataset '{name}'; known datasets: {known}") from None


def published_results(name: str | None = None) -> list[PublishedResult]:
    """Rows of ``data/published_results.csv`` (all, or those of dataset ``name``)."""
    with (DATA_DIR / "published_results.csv").open(encoding="utf-8", newline="") as fh:
        rows = [
            PublishedResult(
                dataset=r["dataset"],
                quantity=r["quantity"],
                value=r["value"],
                unit=r["unit"],
                tolerance=float(r["tolerance"]),
                source=r["source"],
            )
            for r in csv.DictReader(fh)
        ]
    return [r for r in rows if name is None or r.dataset == name]
