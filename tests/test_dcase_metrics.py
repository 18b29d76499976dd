"""heareval.dcase_metrics loads sed_scores_eval on every supported stack."""

import json
import subprocess
import sys

SCORE_ONE_CASE = """
import json, sys
{block}
from heareval import dcase_metrics
predictions = {{"a.wav": {{"timestamps": [25.0 + 50.0 * i for i in range(40)],
                          "probabilities": [[0.9 if 10 <= i < 20 else 0.1, 0.2] for i in range(40)]}}}}
targets = {{"a.wav": [{{"start": 500.0, "end": 1000.0, "label": "dog"}}]}}
value = dcase_metrics.compute("collar_f1", {{"onset_collar": 0.2, "offset_collar": 0.2,
                                            "offset_collar_rate": 0.2, "threshold": 0.5}},
                              predictions, targets, ["dog", "cat"])
print(json.dumps({{"value": dict(value), "after": repr(sys.modules.get("pkg_resources", "absent"))}}))
"""


def score_in_a_fresh_process(block: str) -> dict:
    result = subprocess.run([sys.executable, "-c", SCORE_ONE_CASE.format(block=block)], capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_scores_are_the_same_where_pkg_resources_cannot_be_imported():
    """setuptools 81 and the venvs of Python 3.12+ have no pkg_resources, which dcase_util imports."""
    # librosa 0.9.2 (installed for hearbaseline) needs pkg_resources itself, librosa 0.10+ does not: it is loaded
    # first, then `import pkg_resources` fails
    without = score_in_a_fresh_process("import librosa\nsys.modules['pkg_resources'] = None")
    usual = score_in_a_fresh_process("")
    assert without["value"] == usual["value"]
    assert without["value"]["f_measure"] == 1.0
    assert without["after"] == "None"  # the import still fails after scoring: no stand-in is left behind
