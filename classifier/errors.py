"""Errors a user can act on.

Every failure that comes from the user's input (a file, a column name, a model id, a setting) is raised as a
`ClassifierError` whose message says what was wrong, where, and what to do. The CLI prints that message and exits
non-zero; the web app shows it in a banner. Anything else is a bug and keeps its traceback (in the run's log).
"""


class ClassifierError(Exception):
    """Base class: the message is meant for the user, in full sentences."""


class DataError(ClassifierError):
    """The data file (or a column, or a label) cannot be used as it is."""


class ConfigError(ClassifierError):
    """A setting is out of range or contradicts another one."""


class ModelError(ClassifierError):
    """A base model cannot be found, fetched or loaded."""


class RunError(ClassifierError):
    """A run folder is missing, incomplete or not ours."""
