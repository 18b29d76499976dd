"""heareval: evaluate audio representations on HEAR-style tasks."""

__version__ = "2026.1.0"

import warnings

# dcase_util and librosa import pkg_resources, which warns on every run.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
