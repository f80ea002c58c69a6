"""The ``gat`` command-line interface: thin click commands over the GAT libraries.

Importing this package (as the ``gat`` entry point does first) sets the BLAS thread pools to
one thread unless the user has chosen a number (``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS``). GAT's kernels are sparse factorisations and many small dense
products, which a threaded BLAS only slows down: measured on 2 cores, a year of IEEE 123
QSTS took 5.5x and a batch of state estimates 2.8x as long with OpenBLAS's default threads.
It has to happen before numpy is imported to take effect.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from gat_cli.main import main, run  # noqa: E402

__all__ = ["main", "run"]
