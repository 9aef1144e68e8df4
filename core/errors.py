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


def one_line(exc: BaseException) -> str:
    """An exception's text on one line. Newer GDAL versions (3.13 was seen) put the errors that led
    to a failure on lines of their own ("May be caused by: ..."); the CLI's contract is one line."""
    return "; ".join(part.strip() for part in str(exc).splitlines() if part.strip())
