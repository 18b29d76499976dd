from setuptools import find_packages, setup

setup(
    name="heareval",
    version="2026.1.0",
    description="Evaluate audio representations on HEAR-style tasks: preprocessing, embeddings, "
    "shallow downstream training and scoring",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks"]),
    package_data={"heareval.evaluation": ["references/*.csv", "references/*.md"]},
    install_requires=[
        # torch is installed first by install.sh (CPU build 2.13.0 where none is present)
        "torch>=2.1",
        "lightning>=2.2",
        "luigi>=3.5",
        "click>=8.1",
        "soundfile>=0.12",
        "soxr>=0.3",
        "ffmpeg-python>=0.2",
        "numpy>=1.24",  # 1.26 and 2.x are tested (.ci/run)
        "pandas>=2.0",  # 2.x and 3.x are tested
        "scipy>=1.10",
        "scikit-learn>=1.3",
        "sed_scores_eval>=0.0.4",
        "matplotlib>=3.7",
        "requests>=2.28",
        "tqdm>=4.60",
        "python-slugify>=8.0",
        "pretty_midi>=0.2.9",  # MAESTRO's MIDI, read as note_seq read it
        "libarchive-c>=5.0",  # RAR archives (Beehive), read by the system's libarchive
    ],
    extras_require={
        "dev": [
            "pytest>=7",
            # reference implementations the scores are tested against
            "sed_eval>=0.2.1",
            "psds_eval>=0.5",
            "setuptools<81",  # dcase_util (under sed_eval) imports pkg_resources
            # hearbaseline 2021.1.1 itself is installed with --no-deps by install.sh
            "librosa==0.9.2",
            "ruff>=0.5",
            "pre-commit>=3",
            "pre-commit-hooks>=4",
        ],
        "energy": ["codecarbon>=2.3"],
    },
    entry_points={"console_scripts": ["heareval=heareval.cli:main"]},
)
