"""hubcore: data model, importers and metrics for England's Careers Hubs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hubcore")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
