#!/usr/bin/env python3
"""A pool for `prm select`: the GSM8K model solutions of the training half (even-indexed problems of
gsm8k/example_model_solutions.jsonl, four solutions each; `prm train --extra` leaves out rows of
evaluation problems) as {"problem", "solution", "answer"} lines.

    python3 scripts/gsm8k-pool.py ../shared/data > target/gsm8k-pool.jsonl
"""
import json
import re
import sys

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
with open(f"{data}/gsm8k/example_model_solutions.jsonl") as f:
    for i, line in enumerate(f):
        if i % 2 == 1:
            continue  # held out for evaluation (verifier_data::sources::gsm8k_heldout): never trained on
        row = json.loads(line)
        answer = row["ground_truth"].rsplit("A:", 1)[-1].strip().replace(",", "")
        for key in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"):
            text = re.sub(r"<<[^>]*>>", "", row[key]["solution"])
            print(json.dumps({"problem": row["question"], "solution": text, "answer": answer}))
