#!/usr/bin/env python3
"""Print the README's results tables (markdown) from reports/report.json (written by `prm eval`)."""
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "reports/report.json"
r = json.load(open(path))
pb = r["processbench"]
pct = lambda x: f"{100 * x:.1f}"
print(f"Threshold {r['threshold']:.2f} (F1-best on ProcessBench gsm8k: {r['threshold_chosen_on_gsm8k']:.2f}).\n")
print("| ProcessBench F1 | GSM8K | MATH | OlympiadBench | Omni-MATH | average |")
print("|---|---|---|---|---|---|")
print("| Math-Shepherd-PRM-7B (published) | 47.9 | 29.5 | 24.8 | 23.8 | 31.5 |")
print("| Skywork-PRM-1.5B (published) | 59.0 | 48.0 | 19.3 | 19.2 | 36.4 |")
print("| Qwen2.5-Math-7B-PRM800K (published) | 68.2 | 62.6 | 50.7 | 44.3 | 56.5 |")
subs = ["gsm8k", "math", "olympiadbench", "omnimath"]
print("| **this model (22M, int8)** | " + " | ".join(pct(pb[s]["f1"]) for s in subs) + f" | {pct(r['processbench_average_f1'])} |")
print()
print("| subset | items | acc. on erroneous | acc. on correct | F1 |")
print("|---|---|---|---|---|")
for s in subs:
    v = pb[s]
    print(f"| {s} | {v['n']} | {pct(v['acc_erroneous'])} | {pct(v['acc_correct'])} | {pct(v['f1'])} |")
t = r["prm800k_test"]
print()
print(f"PRM800K phase-1 test: {t['rated_steps']} rated steps, step ROC-AUC {t['step_auc']:.3f}, expected calibration error {t['ece']:.3f}.")
w = r["right_answer_wrong_reasoning"]
print(f"Right answer, wrong reasoning (ProcessBench): {w['items']} items; the PRM flags a step in {w['prm_flags']}, the ORM rejects {w['orm_rejects']}.")
print()
b4, b8 = r["best_of_4_gsm8k_heldout"], r["best_of_8_qwen_math"]
rows8 = {x["method"]: x["accuracy"] for x in b8["rows"]}
print(f"| best-of-N accuracy (%) | GSM8K held-out, best-of-4 ({b4['problems']} problems) | MATH qwen, best-of-8 ({b8['problems']} problems) |")
print("|---|---|---|")
for x in b4["rows"]:
    print(f"| {x['method']} | {pct(x['accuracy'])} | {pct(rows8[x['method']]) if x['method'] in rows8 else '–'} |")
for m, a in rows8.items():
    if m not in {x["method"] for x in b4["rows"]}:
        print(f"| {m} | – | {pct(a)} |")
