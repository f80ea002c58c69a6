"""FLISR simulation: fault isolation by the real device layout, restoration by a switching MILP."""

from .options import FlisrOptions
from .simulate import FlisrResult, simulate_flisr

__all__ = ["FlisrOptions", "FlisrResult", "simulate_flisr"]
