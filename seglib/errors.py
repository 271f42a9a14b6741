"""One exception tree for the workbook; exit codes are used only by the CLI.

``SeglibError`` (exit 1, a run that failed) is the root. ``InputError`` (exit 2)
means the user's config or data is wrong, with ``ConfigError`` and ``DataError``
under it. ``ModelError`` (exit 1) means a model could not be fitted, and
``StageError`` (exit 1) that a notebook of the run failed.
"""

from __future__ import annotations


class SeglibError(Exception):
    """Root of every error the workbook raises on purpose."""

    exit_code = 1


class InputError(SeglibError):
    """The user's config or data is wrong; fixing the input fixes the run."""

    exit_code = 2


class ConfigError(InputError):
    """The YAML config is malformed, has an unknown key or a wrong value."""


class DataError(InputError):
    """A data file is missing, unreadable or does not hold what the config says."""


class ModelError(SeglibError):
    """A model could not be fitted on these data."""


class StageError(SeglibError):
    """A notebook of the run failed; the message names the notebook and the cell."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Interrupted(SeglibError):
    """The run was stopped (Ctrl-C or SIGTERM); the manifest says where."""

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


#: Exception class names that, raised inside a notebook, mean "bad input" (exit 2).
INPUT_ERROR_NAMES = frozenset({"InputError", "ConfigError", "DataError"})
