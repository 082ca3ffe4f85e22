"""Keeping a venv in sync with the project's requirements and lockfiles."""
