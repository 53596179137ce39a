#!/usr/bin/env bash
# CHAMP (Mao et al. 2024, MIT; the PyPI package champ-dataset) as a ProcessBench-format file,
# .cache/champ/champ.json: 540 competition-problem solutions by four models, each with a human
# mark of its first wrong step (none: the solution is right). A set no rule or training of ours
# was chosen on, in the format `prm eval processbench` reads:
#   bash scripts/champ.sh && prm eval processbench .cache/champ/champ.json
# The solutions are split into steps at blank lines (as ProcessBench's are); the step holding the
# first character of the marked span is the first wrong step.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/champ
if [ -f "$dest/champ.json" ]; then echo "$dest/champ.json"; exit 0; fi
mkdir -p .cache/pip "$dest"
python3 -m pip download --quiet --no-deps --disable-pip-version-check champ-dataset==1.0.0 -d .cache/pip
python3 - "$dest" <<'PY'
import glob, json, os, re, sys, zipfile
dest = sys.argv[1]
whl = sorted(glob.glob(".cache/pip/champ_dataset-1.0.0-*.whl"))[-1]
data = json.loads(zipfile.ZipFile(whl).read("champ_dataset/dataset_files/v0.json"))
items, dropped = [], 0
for pid, p in sorted(data["problems"].items()):
    for who, a in sorted(p["fws_annotations"].items()):
        text, start = a["text"], a["start_idx"]
        if start is not None:  # the mark's first character that is not a space
            start += len(text[start:]) - len(text[start:].lstrip())
        steps, label = [], -1
        # paragraphs with their offsets; the one holding the mark's start is the first wrong step
        for m in re.finditer(r"\S(?:.*?\S)?(?=\n\s*\n|\s*$)", text, re.S):
            if start is not None and label < 0 and m.start() <= start < m.end():
                label = len(steps)
            steps.append(m.group(0))
        if not steps or (start is not None and label < 0):
            dropped += 1
            continue
        items.append({"id": f"{pid}|{who}", "generator": a.get("author"), "problem": p["_text"],
                      "steps": steps, "label": label})
tmp = f"{dest}/.champ.json.tmp"
json.dump(items, open(tmp, "w"), indent=0)
os.replace(tmp, f"{dest}/champ.json")
wrong = sum(i["label"] >= 0 for i in items)
print(f"{dest}/champ.json: {len(items)} solutions, {wrong} with a first wrong step"
      f" ({dropped} left out: no step holds the mark)", file=sys.stderr)
PY
echo "$dest/champ.json"
