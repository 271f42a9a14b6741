"""seglib: the helper package of the STP workbook.

One module per stage of the STP chain, each importing only earlier stages:
``collect`` -> ``segment`` -> ``target`` -> ``position`` -> ``persona`` ->
``lifecycle``; ``report`` builds the HTML page, ``workbook`` runs the notebooks,
``cli`` is the ``seglib`` command.
"""

__version__ = "0.1.0"
