#!/usr/bin/env python3
"""Validate answers.jsonl (the labelled interview-answer set) and print `ok`.

Usage: python3 check.py [path/to/answers.jsonl]
Exit status 0 and `ok` on success; otherwise every problem is printed and the status is 1.
Standard library only.
"""
import json
import os
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))

REQUIRED = {
    "id": str, "language": str, "skill": str, "kind": str, "question": str,
    "key_points": list, "answer": str, "persona": str, "label": int, "rationale": str,
}
LANGUAGES = {"zh", "en"}
KINDS = {"technical", "behavioural"}
COMPETENCIES = {"teamwork", "conflict", "failure", "leadership", "motivation"}
# persona -> (min label, max label, target count)
PERSONAS = {
    "strong": (75, 95, 14), "partial": (50, 70, 14), "vague": (25, 45, 10),
    "rambling": (35, 60, 8), "terse": (10, 35, 8), "off_topic": (5, 25, 8),
    "wrong": (15, 40, 5), "memorised": (40, 60, 5),
}
COUNT_TOLERANCE = 2          # persona counts may drift this far from the target
MIN_TOTAL = 72
MIN_TECH_SKILLS = 12
MIN_MULTI_ANSWER_QUESTIONS = 6   # questions with >= 3 answers of >= 3 different personas
# answer length in word-equivalents (English words; Chinese: CJK characters / 1.5 + Latin tokens)
LENGTH = {"terse": (1, 30), "rambling": (150, 400)}
LENGTH_DEFAULT = (60, 250)
# rationales describe the answer, never the person
TRAIT_WORDS = ["nervous", "confident", "dishonest", "arrogant", "lazy", "smart", "shy", "honest",
               "紧张", "自信", "不诚实", "诚实", "傲慢", "懒", "聪明", "害羞", "态度"]
STAR_MARKS = ["S", "T", "A", "R"]

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'._/+\-]*")
ID_RE = re.compile(r"^(zh|en)-[a-z0-9]+-\d{2}$")


def word_equivalents(text):
    return len(CJK.findall(text)) / 1.5 + len(LATIN.findall(text))


def check(path):
    errors = []
    records = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                errors.append(f"line {n}: empty line")
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {n}: not JSON ({e})")
                continue
            if not isinstance(r, dict):
                errors.append(f"line {n}: not a JSON object")
                continue
            where = f"line {n} ({r.get('id', '?')})"
            bad = False
            for key, typ in REQUIRED.items():
                if key not in r:
                    errors.append(f"{where}: missing field {key}")
                    bad = True
                elif not isinstance(r[key], typ) or (typ is int and isinstance(r[key], bool)):
                    errors.append(f"{where}: field {key} should be {typ.__name__}")
                    bad = True
                elif typ is str and not r[key].strip():
                    errors.append(f"{where}: field {key} is empty")
                    bad = True
            extra = set(r) - set(REQUIRED)
            if extra:
                errors.append(f"{where}: unexpected fields {sorted(extra)}")
            if bad:
                continue
            records.append((n, r))

            if r["language"] not in LANGUAGES:
                errors.append(f"{where}: language {r['language']!r} not in {sorted(LANGUAGES)}")
            if r["kind"] not in KINDS:
                errors.append(f"{where}: kind {r['kind']!r} not in {sorted(KINDS)}")
            if not ID_RE.match(r["id"]) or not r["id"].startswith(r["language"] + "-"):
                errors.append(f"{where}: id should look like {r['language']}-skill-01")
            if r["kind"] == "behavioural" and r["skill"] not in COMPETENCIES:
                errors.append(f"{where}: behavioural skill must be one of {sorted(COMPETENCIES)}")
            if r["kind"] == "technical" and r["skill"] in COMPETENCIES:
                errors.append(f"{where}: technical answer uses a behavioural competency as skill")

            kps = r["key_points"]
            if not 3 <= len(kps) <= 5 or not all(isinstance(k, str) and k.strip() for k in kps):
                errors.append(f"{where}: key_points must be 3-5 non-empty strings")
            elif r["kind"] == "behavioural":
                if len(kps) != 5:
                    errors.append(f"{where}: behavioural key_points must be S, T, A, R + one competency point")
                else:
                    for k, mark in zip(kps, STAR_MARKS):
                        if f"({mark})" not in k and f"（{mark}）" not in k:
                            errors.append(f"{where}: key point {k[:20]!r} should be marked ({mark})")

            p = r["persona"]
            if p not in PERSONAS:
                errors.append(f"{where}: persona {p!r} not in {sorted(PERSONAS)}")
            else:
                lo, hi, _ = PERSONAS[p]
                if not lo <= r["label"] <= hi:
                    errors.append(f"{where}: label {r['label']} outside {lo}-{hi} for persona {p}")
                lo, hi = LENGTH.get(p, LENGTH_DEFAULT)
                w = word_equivalents(r["answer"])
                if not lo <= w <= hi:
                    errors.append(f"{where}: answer is {w:.0f} word-equivalents, expected {lo}-{hi} for {p}")
            if not 0 <= r["label"] <= 100:
                errors.append(f"{where}: label outside 0-100")

            for field in ("question", "answer", "rationale"):
                has_cjk = bool(CJK.search(r[field]))
                if r["language"] == "zh" and not has_cjk:
                    errors.append(f"{where}: {field} should be in Chinese")
                if r["language"] == "en" and has_cjk:
                    errors.append(f"{where}: {field} should be in English")
            rat = r["rationale"].strip()
            if r["language"] == "zh":
                if rat.count("。") != 1 or not rat.endswith("。"):
                    errors.append(f"{where}: rationale should be one sentence ending in 。")
            else:
                if not rat.endswith(".") or re.search(r"[.!?]\s+[A-Z]", rat):
                    errors.append(f"{where}: rationale should be one sentence")
            low = rat.lower()
            for t in TRAIT_WORDS:
                if (re.search(r"\b" + t + r"\b", low) if t.isascii() else t in rat):
                    errors.append(f"{where}: rationale judges the person ({t!r}); describe the answer")

    ids = Counter(r["id"] for _, r in records)
    for i, c in ids.items():
        if c > 1:
            errors.append(f"id {i} used {c} times")

    # one question text -> one skill/kind/language/key_points
    by_q = defaultdict(list)
    for _, r in records:
        by_q[r["question"]].append(r)
    for q, rs in by_q.items():
        first = rs[0]
        for r in rs[1:]:
            for key in ("skill", "kind", "language", "key_points"):
                if r[key] != first[key]:
                    errors.append(f"{r['id']}: {key} differs from {first['id']} on the same question")
        strong = [r["label"] for r in rs if r["persona"] == "strong"]
        others = [r for r in rs if r["persona"] != "strong"]
        for r in others:
            if strong and r["label"] >= min(strong):
                errors.append(f"{r['id']}: {r['persona']} label {r['label']} not below the strong answer on the same question")

    rs = [r for _, r in records]
    total = len(rs)
    if total < MIN_TOTAL:
        errors.append(f"only {total} answers, need at least {MIN_TOTAL}")
    lang = Counter(r["language"] for r in rs)
    if lang["zh"] != lang["en"]:
        errors.append(f"languages unbalanced: {dict(lang)}")
    persona = Counter(r["persona"] for r in rs)
    for p, (_, _, target) in PERSONAS.items():
        if abs(persona[p] - target) > COUNT_TOLERANCE:
            errors.append(f"persona {p}: {persona[p]} answers, target {target} (+/-{COUNT_TOLERANCE})")
    tech = {r["skill"] for r in rs if r["kind"] == "technical"}
    if len(tech) < MIN_TECH_SKILLS:
        errors.append(f"only {len(tech)} technical skills, need {MIN_TECH_SKILLS}")
    comps = {r["skill"] for r in rs if r["kind"] == "behavioural"}
    if comps != COMPETENCIES:
        errors.append(f"behavioural competencies missing: {sorted(COMPETENCIES - comps)}")
    multi = sum(1 for q in by_q.values() if len(q) >= 3 and len({r['persona'] for r in q}) >= 3)
    if multi < MIN_MULTI_ANSWER_QUESTIONS:
        errors.append(f"only {multi} questions have >= 3 answers of different quality, need {MIN_MULTI_ANSWER_QUESTIONS}")

    # README tables must match the data (regenerate with stats.py)
    readme = os.path.join(os.path.dirname(os.path.abspath(path)), "README.md")
    if os.path.exists(readme) and not errors:
        sys.dont_write_bytecode = True
        sys.path.insert(0, HERE)
        import stats
        text = open(readme, encoding="utf-8").read()
        if stats.tables(rs) not in text:
            errors.append("README.md tables are out of date: run `python3 stats.py` and paste the output")

    return errors


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "answers.jsonl")
    errs = check(path)
    if errs:
        for e in errs:
            print(e)
        print(f"{len(errs)} problem(s)")
        sys.exit(1)
    print("ok")
