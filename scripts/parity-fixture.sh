#!/usr/bin/env bash
# Regenerate tests/fixtures/parity.json: the native verdicts of the parity cases with the shipped
# model. Run after the shipped model changes; `cargo test -p prm-cli --test cli` checks it is current.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p prm-cli
python3 - <<'PY'
import json, subprocess
cases = json.load(open("tests/fixtures/parity-cases.json"))
for c in cases:
    out = subprocess.run(["target/release/prm", "score", "--json"], input=json.dumps({"problem": c["problem"], "steps": c["steps"]}).encode(), capture_output=True, check=True)
    c["native"] = json.loads(out.stdout)
json.dump(cases, open("tests/fixtures/parity.json.tmp", "w"), indent=1)
import os; os.replace("tests/fixtures/parity.json.tmp", "tests/fixtures/parity.json")
print(f"wrote tests/fixtures/parity.json ({len(cases)} cases)")
PY
