#!/usr/bin/env bash
# Install the ORIGINAL hearpreprocess 2021.1.1 with TensorFlow Datasets 4.4.0 (what the HEAR 2021 tasks
# were built with) on Python 3.9, for the side-by-side runs of the tasks the original built through TFDS
# (benchmarks/preprocess.py --stand-ins tfds_gtzan ...). TensorFlow 2.6 needs numpy 1.19 and Python <= 3.9.
# hearpreprocess is installed without its pins (numba, note_seq, spotty: not used by these tasks).
# Patches applied to the installed peer: none. The peer driver (benchmarks/peer_task.py) points TFDS's
# download URLs at the local server before the builders run.
set -euo pipefail
VENV=${VENV:-${PEER_HOME:-$HOME/.cache/heareval-peer}/venv-tfds}
PYTHON=${PYTHON:-$HOME/.pyenv/versions/3.9.18/bin/python}

"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install tensorflow-cpu==2.6.5 tensorflow-datasets==4.4.0 pydub==0.25.1
"$VENV/bin/pip" install --no-deps hearpreprocess==2021.1.1
"$VENV/bin/pip" install numpy==1.19.5 pandas==1.3.5 luigi==3.7.3 python-slugify==8.0.4 soundfile==0.13.1 \
  tqdm==4.70.1 ffmpeg-python==0.2.0 schema==0.7.8 patool==1.15.0 requests==2.32.5 click==8.1.8
cd /tmp && "$VENV/bin/python" -c "
import tensorflow_datasets, hearpreprocess.tfds_pipeline
print('hearpreprocess with tensorflow-datasets', tensorflow_datasets.__version__, 'imports OK')"
