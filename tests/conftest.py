import os
import warnings

# dcase_util (under sed_eval) imports pkg_resources, which warns on every import.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning")
