# heareval on a CUDA machine:  docker build -t heareval .
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime

ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg libsndfile1 git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/heareval
COPY setup.py README.md install.sh ./
COPY heareval ./heareval
# torch (CUDA) comes with the base image; install.sh keeps it and installs heareval around it.
RUN bash install.sh

WORKDIR /work
CMD ["python", "-m", "heareval.runner", "--help"]
