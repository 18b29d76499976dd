"""heareval: evaluate audio representations on HEAR-style tasks."""

__version__ = "2026.1.0"
