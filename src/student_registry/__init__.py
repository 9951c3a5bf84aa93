"""Student Registry: register a school's students in Redis."""

from importlib.metadata import version

__version__ = version("student-registry")
