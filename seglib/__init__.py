"""seglib: the helper package of the STP workbook.

One module per stage of the STP chain, each importing only earlier stages:
``collect`` -> ``segment`` -> ``targeting`` -> ``position`` -> ``lifecycle`` ->
``persona``. ``run_folder`` owns the files stages hand to each other; ``pii`` and
``text`` are shared helpers; ``plots`` draws the figures (the stages never import
it); ``report`` builds the HTML page, ``workbook`` runs the notebooks, ``cli`` is
the ``seglib`` command.
"""

import os as _os

__version__ = "0.1.0"

if _os.environ.get("SEGLIB_PEAK_FILE"):  # a stage kernel of `seglib run`: report its peak
    from seglib import _peak  # noqa: F401
