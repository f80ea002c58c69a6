"""``gat tui``: a Textual terminal UI over network folders, output folders and runs.

Modules: ``data`` (what a folder holds, node quantities and rows), ``geometry`` (the
feeder layout as positions and segments), ``canvas`` (braille rasterisation), ``feeder``,
``plot``, ``tables`` and ``runbar`` (widgets), ``screens`` (one opened folder), ``app``
(the application, its command palette and the runs it starts). Textual is imported only
here, never by ``gat --help``.
"""
