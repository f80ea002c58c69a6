"""Run-time parts of an OpenDSS script: ``Set`` options and commands that do not change the model.

A script that builds a feeder usually also solves it, shows reports, plots and meters it. Those
commands do not change the network GAT imports; they are accepted and listed in the import
notes (``network.json`` ``source.import_notes``) so that a script made for OpenDSS imports as
it is. The tables below are the whole rule: an option or command not named here (and not
handled in :mod:`._script`) is reported as unsupported; so are options that change the
model (``LoadMult``, ``EarthModel``, ``CktModel``, ...).
"""

from __future__ import annotations

__all__ = ["RECORDED_CLASSES", "RUNTIME_COMMANDS", "RUNTIME_OPTIONS"]

#: ``Set`` options that only steer OpenDSS's solution, reports or files, by the reason given.
RUNTIME_OPTIONS: dict[str, str] = {
    **dict.fromkeys(
        (
            "maxiterations",
            "maxiter",
            "tolerance",
            "maxcontroliter",
            "algorithm",
            "trapezoidal",
            "miniterations",
        ),
        "solver settings are options of GAT's power flow",
    ),
    **dict.fromkeys(
        (
            "casename",
            "demand",
            "diverbose",
            "overloadreport",
            "voltexcept",
            "log",
            "echo",
            "showexport",
            "editor",
            "keeplist",
            "markswitches",
            "marktransformers",
            "markcapacitors",
            "markregulators",
            "markpvsystems",
            "markstorage",
            "markfuses",
            "markreclosers",
            "markrelays",
            "nodewidth",
            "busmarker",
            "capmarkercode",
            "capmarkersize",
            "regmarkercode",
            "regmarkersize",
            "pvmarkercode",
            "pvmarkersize",
            "storemarkercode",
            "storemarkersize",
            "fusemarkercode",
            "fusemarkersize",
            "reclosermarkercode",
            "reclosermarkersize",
            "relaymarkercode",
            "relaymarkersize",
            "transmarkercode",
            "transmarkersize",
            "switchmarkercode",
            "daisysize",
            "markercode",
            "normvminpu",
            "normvmaxpu",
            "emergvminpu",
            "emergvmaxpu",
            "lossweight",
            "ueweight",
            "lossregs",
            "ueregs",
            "tracecontrol",
            "sampleenergymeters",
            "zonelock",
            "allowduplicates",
            "number",
            "year",
            "hour",
            "sec",
            "stepsize",
            "h",
            "time",
            "loadshapeclass",
        ),
        "reporting, plotting and simulation-clock settings do not change the network",
    ),
}

#: Commands accepted as notes: they solve, report, plot or meter, and change no element.
RUNTIME_COMMANDS: frozenset[str] = frozenset(
    {
        "solve", "show", "export", "plot", "summary", "visualize", "help", "closedi",
        "fileedit", "sample", "interpolate", "marktransformers", "get", "calcincmatrix",
        "calcincmatrix_o", "totals", "reset", "nodelist", "busvolts", "lossmatrix",
        "zsc", "zsc10", "zscrefresh", "currents", "powers", "voltages", "losses",
        "phaselosses", "cleanup", "dump", "guids", "makebuslist", "uuids",
    }
)  # fmt: skip

#: Classes whose objects are accepted and listed, not imported: meters and monitors observe.
RECORDED_CLASSES: dict[str, str] = {
    "energymeter": "energy meters observe the circuit; GAT does not import them",
    "monitor": "monitors record simulation results; GAT does not import them",
    "sensor": "sensors feed OpenDSS's state estimation; GAT does not import them",
    "spectrum": "harmonic spectra do not change the power flow; GAT does not import them",
}
