"""heareval.validate and the official validator (hearvalidator 2021.0.6) on the test suite's loose modules.

    pip install --no-deps --ignore-requires-python --target /tmp/hv06 "hearvalidator==2021.0.6"
    python benchmarks/validator_side_by_side.py --official /tmp/hv06

The official validator imports tensorflow at the top, but for a torch module uses it only to ask whether
the model is a tf.Module; a stand-in module answers that, so tensorflow need not be installed. Prints each
module's two verdicts and whether they agree with tests/embeddings/loose_modules.py.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.embeddings.loose_modules import DELIBERATE_REFUSALS, LOOSE_MODULES, MORE_LENIENT  # noqa: E402

OFFICIAL = """
import sys, types
tf = types.ModuleType("tensorflow")
tf.Module = type("Module", (), {})
sys.modules["tensorflow"] = tf
from hearvalidator.validate import ValidateModel
ValidateModel(sys.argv[1], "", device="cpu")()
print("Looks good!")
"""


def verdict(command, env) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    return "accepts" if result.returncode == 0 else "refuses"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--official", required=True, help="folder where hearvalidator 2021.0.6 is installed")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, (source, recorded) in LOOSE_MODULES.items():
            Path(folder, f"{name}.py").write_text(textwrap.dedent(source))
            path = os.pathsep.join([folder, args.official, os.environ.get("PYTHONPATH", "")])
            env = {**os.environ, "PYTHONPATH": path}
            official = verdict([sys.executable, "-c", OFFICIAL, name], env)
            ours = verdict([sys.executable, "-m", "heareval.validate", name, "--device", "cpu"], env)
            expected = ("refuses" if name in DELIBERATE_REFUSALS else "accepts" if name in MORE_LENIENT
                        else recorded)
            rows.append((name, official, recorded, ours, "yes" if official == recorded else "NO",
                         "yes" if ours == expected else "NO"))
    print(f"{'module':26} {'official':9} {'recorded':9} {'heareval':9} {'recorded ok':12} {'as documented'}")
    for row in rows:
        print(f"{row[0]:26} {row[1]:9} {row[2]:9} {row[3]:9} {row[4]:12} {row[5]}")
    if any("NO" in row[4:] for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
