"""Exit codes and the error types every evalkit command maps onto them.

0 = success; 1 = the job ran but something failed (a unit, an audit); 2 = bad usage or
bad input, reported in one line without a traceback (unless ``--debug``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    BAD_INPUT = 2


class EvalkitError(Exception):
    """Base class for errors that evalkit reports to a user in one line."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class InputError(EvalkitError):
    """Bad input (a file, a parameter, a mapping): exit 2, nothing written."""


class JobFailed(EvalkitError):
    """The job ran but some of it failed (a unit, an audit finding): exit 1."""

    exit_code = ExitCode.FAILED
