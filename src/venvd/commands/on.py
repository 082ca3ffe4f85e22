from ._shellonly import run  # noqa: F401
