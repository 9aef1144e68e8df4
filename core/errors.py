"""Errors a user can act on. The message is the whole story: the CLI and QGIS show it as is."""


class SarColorizerError(Exception):
    """Base class: anything wrong with the user's input, model or output location."""


class InputError(SarColorizerError):
    """The input raster cannot be colorized (not a raster, wrong bands, all nodata...)."""


class ModelFileError(SarColorizerError):
    """The model file is missing, corrupt, foreign or of an unknown format version."""


class OutputError(SarColorizerError):
    """The output cannot be written (exists, folder not writable...)."""


class Cancelled(SarColorizerError):
    """The caller asked to stop; nothing was written under the requested name."""
