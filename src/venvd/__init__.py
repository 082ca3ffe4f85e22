"""venvd: a project's virtual environment follows the shell."""

__version__ = "0.1.0"
