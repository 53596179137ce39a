#!/usr/bin/env python3
"""Other localisation rules for exercise mode, replayed on `prm eval exercise --items-out FILE`.

When the final answer does not match, the shipped rule names the first step that is a false
claim, writes a number the reference does not explain (with a reference), or has a step score
below the mismatch threshold, else the step with the lowest step score. This script replays that
rule (the shipped model's: the reference used, a matching answer flagging false claims only;
another model's mismatch threshold is given with --mismatch) and the alternatives measured against it (docs/exercise.md, "Exercise mode: other
localisation rules") on the same verdict lines, so no rule needs the model again:

  python3 scripts/exercise-rules.py ITEMS.jsonl [--data ../shared/data] [--mismatch 0.41]

The excusing rule re-reads the step texts (ProcessBench gsm8k and the GSM8K references from the
data folder) with a plain number pattern, an approximation of verifier_text's quantities; the
line "quantities agree" says on how many wrong-answer items its divergence flags equal the
product's.
"""
import argparse, json, re
from fractions import Fraction

ap = argparse.ArgumentParser()
ap.add_argument("items")
ap.add_argument("--data", default="../shared/data")
ap.add_argument("--mismatch", type=float, default=0.41)
args = ap.parse_args()
items = [json.loads(l) for l in open(args.items)]


def first(flags):
    return next((i for i, f in enumerate(flags) if f), None)


def argmin(xs):
    return min(range(len(xs)), key=lambda i: (xs[i], i))


def argmax(xs):
    return max(range(len(xs)), key=lambda i: (xs[i], -i))


def shipped(t):
    """First false claim / divergence / step score below t, else the lowest step score."""
    def rule(it, ref, diverges):
        flags = [fc or (ref and dv) or s < t for fc, dv, s in
                 zip(it["false_claims"], diverges, it["step_scores"])]
        r = first(flags)
        return argmin(it["step_scores"]) if r is None else r
    return rule


def largest_fall(start):
    """The step whose score falls most (from `start` before the first step): the most likely
    first error if scores were calibrated probabilities that the solution is right so far."""
    def rule(it, ref, diverges):
        s = it["scores"]
        falls = [a - b for a, b in zip([start] + s[:-1], s)]
        r = first([fc or (ref and dv) for fc, dv in zip(it["false_claims"], diverges)])
        best = argmax(falls)
        return r if r is not None and r < best else best
    return rule


def predict(it, rule, ref, diverges=None):
    m = it["answer_matches"]
    if m is None:  # undecided: the reference-free verdict
        return it["first_bad_step"]["reference-free"]
    if m:
        return it["first_bad_step"]["answer known"]
    return rule(it, ref, diverges if diverges is not None else it["diverges_from_reference"])


def score(preds, its):
    err = [p == it["label"] for p, it in zip(preds, its) if it["label"] >= 0]
    cor = [p is None for p, it in zip(preds, its) if it["label"] < 0]
    ae, ac = sum(err) / len(err), sum(cor) / len(cor)
    wrong = [(p, it) for p, it in zip(preds, its)
             if it["label"] >= 0 and it["final_answer_correct"] is False]
    exact = sum(p == it["label"] for p, it in wrong)
    return 100 * 2 * ae * ac / (ae + ac), exact, len(wrong)


# --- the reference's quantities, re-read (for the excusing rule) ---
NUM = re.compile(r"(?<![\w.])-?\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")


def nums(t):
    t = re.sub(r"<<[^>]*>>", "", t)
    return [Fraction((m.group(1) + (m.group(2) or "")).replace(",", "")) for m in NUM.finditer(t)]


def explained(v, known):
    return any(x in known for x in (v, v * 100, v / 100))


def derivable(v, pool):
    return any(r == v for a in pool for b in pool
               for r in (a + b, a - b, a * b) + ((a / b,) if b else ()))


def excusing(texts):
    """The shipped rule with the reference, except that a step whose unexplained numbers can all
    be made from known numbers by one operation is on another path, not wrong (its numbers are
    then known to later steps; for the shipped rule that makes no difference, since it stops at
    the first unexplained number)."""
    def rule(it, ref, _):
        problem, reference, steps = texts[it["id"]]
        known = set(nums(problem)) | set(nums(reference))
        pool = set(known)
        for i, (st, fc, s) in enumerate(zip(steps, it["false_claims"], it["step_scores"])):
            if fc or s < args.mismatch:
                return i
            unexplained = [v for v in nums(st) if not explained(v, pool)]
            if unexplained and not all(derivable(v, pool) for v in unexplained):
                return i
            pool |= set(nums(st))
        return argmin(it["step_scores"])
    return rule


def gsm8k_texts():
    key = lambda s: " ".join(s.split()).lower()
    refs = {}
    for line in open(f"{args.data}/gsm8k/test.jsonl"):
        x = json.loads(line)
        refs[key(x["question"])] = x["answer"].replace("####", " ")
    out = {}
    for x in json.load(open(f"{args.data}/processbench/gsm8k.json")):
        if key(x["problem"]) in refs:
            out[x["id"]] = (x["problem"], refs[key(x["problem"])], x["steps"])
    return out


rules = [
    ("shipped: first below %.2f, else the lowest step score" % args.mismatch, shipped(args.mismatch)),
    ("the lowest step score", shipped(0.0)),
    ("the largest fall of the score (from 1)", largest_fall(1.0)),
]
print("%-58s %-28s %-28s" % ("rule (answer does not match)", "gsm8k: answer / + reference",
                             "math: answer / + reference"))
for name, rule in rules:
    cells = []
    for sub in ("gsm8k", "math"):
        its = [i for i in items if i["subset"] == sub]
        a = score([predict(i, rule, False) for i in its], its)
        r = score([predict(i, rule, True) for i in its], its)
        cells.append("F1 %.1f / %.1f, exact %d / %d of %d" % (a[0], r[0], a[1], r[1], a[2]))
    print("%-58s %-28s   %s" % (name, cells[0], cells[1]))
texts = gsm8k_texts()
its = [i for i in items if i["subset"] == "gsm8k" and i["id"] in texts]
wrong = [i for i in its if i["answer_matches"] is False]
agree = sum([any(not explained(v, set(nums(texts[i["id"]][0])) | set(nums(texts[i["id"]][1])))
                 for v in nums(st)) for st in texts[i["id"]][2]] == i["diverges_from_reference"]
            for i in wrong)
print("quantities agree with the product's on %d of %d wrong-answer items" % (agree, len(wrong)))
for name, rule in [("re-read quantities, shipped rule", shipped(args.mismatch)),
                   ("re-read quantities, excusing one-operation numbers", excusing(texts))]:
    if "excusing" in name:
        preds = [predict(i, rule, True) for i in its]
    else:
        re_read = lambda i: [any(not explained(v, set(nums(texts[i["id"]][0])) | set(nums(texts[i["id"]][1])))
                                 for v in nums(st)) for st in texts[i["id"]][2]]
        preds = [predict(i, rule, True, re_read(i)) for i in its]
    f1, exact, n = score(preds, its)
    print("%-58s gsm8k + reference: F1 %.1f, exact %d of %d" % (name, f1, exact, n))
# an answer grader that decides every item as ProcessBench's final_answer_correct does: what a
# perfect grader would add (a newly decided match flags only false claims)
print("a perfect answer grader (undecided items decided by final_answer_correct):")
for sub in ("gsm8k", "math"):
    its = [i for i in items if i["subset"] == sub]
    cells = []
    for ref in (False, True):
        preds = []
        for i in its:
            if i["answer_matches"] is None and i["final_answer_correct"] is not None:
                i = dict(i, answer_matches=i["final_answer_correct"])
                if i["answer_matches"]:
                    preds.append(first(i["false_claims"]))
                    continue
            preds.append(predict(i, shipped(args.mismatch), ref))
        cells.append("%.1f" % score(preds, its)[0])
    print("  %s F1: answer / + reference %s" % (sub, " / ".join(cells)))
