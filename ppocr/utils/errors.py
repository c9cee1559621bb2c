"""Exceptions raised by the toolkit.

Every message says what was expected, what arrived and how to fix it. CLIs map these
types (never the message text) to usage errors.
"""


class PPOCRError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class ConfigError(PPOCRError):
    """A config key, value or component name is wrong."""


class DataError(PPOCRError):
    """A data file, label line or sample is unusable."""


class SampleError(DataError):
    """One sample is unusable; the dataset may skip it when the config allows skipping.

    Transforms raise it without location; the dataset prefixes ``file:line``.
    """


class CheckpointError(PPOCRError):
    """A checkpoint is missing, incomplete or does not fit the model."""


class TornCheckpointError(CheckpointError):
    """A checkpoint whose files are from different saves (a save was interrupted)."""
