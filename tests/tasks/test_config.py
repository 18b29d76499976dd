"""Each task module's config against hearpreprocess 2021.1.1's (../shared/peer/hearpreprocess_tasks.json)."""

import json
from pathlib import Path

import pytest

from heareval.tasks.config import BUILD_ONLY_KEYS, TASK_NAMES, task_module

PREPROCESS_CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "peer" / "hearpreprocess_tasks.json"


@pytest.mark.skipif(not PREPROCESS_CONFIGS.is_file(), reason="hearpreprocess's configs are beside the project "
                    "checkout only (../shared/peer), not in a clean clone")
@pytest.mark.parametrize("task_name", TASK_NAMES)
def test_config_is_the_originals(task_name):
    original = json.loads(PREPROCESS_CONFIGS.read_text())[task_name]
    # category (the report's grouping) and the build keys but modes (a declared vocabulary) are heareval's own
    ours = {key: value for key, value in task_module(task_name).CONFIG.items()
            if key != "category" and (key == "modes" or key not in BUILD_ONLY_KEYS)}
    assert ours == original
    assert list(ours) == list(original), "task_metadata.json keeps the original's key order"
