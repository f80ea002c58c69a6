"""Network reconfiguration: the open/closed state of switchable branches that minimises
losses (or maximises the lowest voltage, or balances loading), radial with every node fed.
"""

from .grid import ReconfigGrid, build_reconfig_grid, read_switchable, switchable_all
from .options import METHODS, OBJECTIVES, ReconfigOptions
from .solve import ReconfigResult, lindistflow_loss_mw, reconfigure

__all__ = [
    "METHODS",
    "OBJECTIVES",
    "ReconfigGrid",
    "ReconfigOptions",
    "ReconfigResult",
    "build_reconfig_grid",
    "lindistflow_loss_mw",
    "read_switchable",
    "reconfigure",
    "switchable_all",
]
