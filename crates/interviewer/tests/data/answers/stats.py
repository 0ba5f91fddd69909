#!/usr/bin/env python3
"""Print the count tables used in README.md for answers.jsonl.

Usage: python3 stats.py [path/to/answers.jsonl]
Paste the output between the STATS markers in README.md (check.py verifies it is current).
"""
import json
import os
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
PERSONAS = ["strong", "partial", "vague", "rambling", "terse", "off_topic", "wrong", "memorised"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def tables(records):
    out = []
    by = Counter((r["persona"], r["language"]) for r in records)
    labels = defaultdict(list)
    for r in records:
        labels[r["persona"]].append(r["label"])
    out.append("| persona | zh | en | total | label min | label mean | label max |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for p in PERSONAS:
        ls = labels.get(p, [])
        if not ls:
            continue
        out.append(f"| {p} | {by[(p, 'zh')]} | {by[(p, 'en')]} | {len(ls)} | {min(ls)} | {sum(ls) / len(ls):.1f} | {max(ls)} |")
    zh = sum(1 for r in records if r["language"] == "zh")
    en = sum(1 for r in records if r["language"] == "en")
    out.append(f"| **all** | {zh} | {en} | {len(records)} | {min(r['label'] for r in records)} | "
               f"{sum(r['label'] for r in records) / len(records):.1f} | {max(r['label'] for r in records)} |")
    out.append("")
    skills = Counter((r["kind"], r["skill"], r["language"]) for r in records)
    questions = defaultdict(set)
    for r in records:
        questions[(r["kind"], r["skill"])].add(r["question"])
    out.append("| kind | skill | questions | zh answers | en answers |")
    out.append("| --- | --- | ---: | ---: | ---: |")
    for kind, skill in sorted({(k, s) for k, s, _ in skills}):
        out.append(f"| {kind} | {skill} | {len(questions[(kind, skill)])} | "
                   f"{skills[(kind, skill, 'zh')]} | {skills[(kind, skill, 'en')]} |")
    out.append("")
    by_q = defaultdict(list)
    for r in records:
        by_q[(r["language"], r["question"])].append(r)
    out.append("Questions with three or more answers of different quality (for checking the order within one question):")
    out.append("")
    out.append("| question | personas and labels, best first |")
    out.append("| --- | --- |")
    for rs in by_q.values():
        if len(rs) >= 3:
            ranked = sorted(rs, key=lambda r: -r["label"])
            out.append(f"| `{rs[0]['id'].rsplit('-', 1)[0]}` | "
                       + ", ".join(f"{r['persona']} {r['label']}" for r in ranked) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "answers.jsonl")
    print(tables(load(path)))
