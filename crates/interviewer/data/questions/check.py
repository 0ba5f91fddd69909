#!/usr/bin/env python3
"""Validate the interview question bank in this folder and print per-skill counts.

Usage:  python3 check.py            # validate, print the table, then `ok` (exit 0) or the errors (exit 1)
        python3 check.py --markdown # same checks; the table as Markdown (pasted into README.md)

Needs only the standard library (Python 3.11+ for tomllib).
"""
import re
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKILLS_FILE = HERE / ".." / ".." / ".." / "resume" / "data" / "skills.toml"

COMPETENCIES = ["teamwork", "conflict", "failure", "leadership", "motivation",
                "communication", "pressure", "learning", "ownership", "prioritization"]
KINDS = {"technical", "behavioural"}
MIN_TOTAL = 330
MIN_TECH_SKILLS = 45
MIN_PER_TECH_SKILL = 5
MIN_PER_COMPETENCY = 6
KP_MIN, KP_MAX = 3, 4
KW_MIN, KW_MAX = 3, 8

QUESTION_FIELDS = {"id": str, "skill": str, "kind": str, "difficulty": int, "star": bool,
                   "competencies": list, "zh": str, "en": str, "rubric_zh": str,
                   "rubric_en": str, "key_point": list}
KEY_POINT_FIELDS = {"zh": str, "en": str, "keywords": list,
                    "follow_up_zh": str, "follow_up_en": str}
# Optional: distinct keywords an answer needs to cover the point (the loader defaults it to 1).
KEY_POINT_OPTIONAL = {"min_hits": int}
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Words describing the candidate's character or state: the bank judges answers, not people.
TRAIT_WORDS = ["nervous", "confident", "honest", "honesty", "shy", "arrogant",
               "紧张", "自信", "诚实", "害羞", "傲慢"]


def question_marks(text):
    return text.count("?") + text.count("？")


def one_question(text):
    """Exactly one question mark, at the end: the text asks one thing."""
    t = text.strip()
    return question_marks(t) == 1 and t[-1] in "?？"


def load_skill_names(errors):
    try:
        with open(SKILLS_FILE, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        errors.append(f"cannot read skill taxonomy {SKILLS_FILE}: {e}")
        return set()
    return {s["name"] for s in data.get("skill", [])}


def check_question(where, q, skills, errors):
    def err(msg):
        errors.append(f"{where}: {msg}")

    for field, typ in QUESTION_FIELDS.items():
        if field not in q:
            err(f"missing field `{field}`")
        elif not isinstance(q[field], typ) or (typ is int and isinstance(q[field], bool)):
            err(f"`{field}` must be {typ.__name__}")
    for field in q:
        if field not in QUESTION_FIELDS:
            err(f"unknown field `{field}`")
    if any(f not in q or not isinstance(q[f], QUESTION_FIELDS[f]) for f in QUESTION_FIELDS):
        return

    if not ID_RE.match(q["id"]):
        err("id must be kebab-case ([a-z0-9] words joined by '-')")
    if q["kind"] not in KINDS:
        err(f"kind must be one of {sorted(KINDS)}")
    elif q["kind"] == "technical":
        if q["skill"] not in skills:
            err(f"skill {q['skill']!r} is not a canonical name in skills.toml")
        if q["star"]:
            err("star = true is only for behavioural questions")
    else:
        if q["skill"] not in COMPETENCIES:
            err(f"behavioural skill must be one of {COMPETENCIES}")
    if q["difficulty"] not in (1, 2, 3):
        err("difficulty must be 1, 2 or 3")
    comps = q["competencies"]
    if not comps or not all(isinstance(c, str) and ID_RE.match(c) for c in comps):
        err("competencies must be a non-empty list of kebab-case strings")
    elif len(set(comps)) != len(comps):
        err("duplicate competency")
    if "experience" in comps and q["kind"] == "technical":
        if "项目" not in q["zh"] or "project" not in q["en"].lower():
            err("project-anchored question (competency `experience`) must mention 项目 / project")

    for lang in ("zh", "en"):
        if not one_question(q[lang]):
            err(f"`{lang}` must ask exactly one thing: one question mark, at the end")
    for field in ("rubric_zh", "rubric_en"):
        if not q[field].strip():
            err(f"`{field}` is empty")
        if question_marks(q[field]):
            err(f"`{field}` should state expectations, not ask")
    for field in ("zh", "rubric_zh"):
        if not CJK_RE.search(q[field]):
            err(f"`{field}` has no Chinese text")
    for field in ("en", "rubric_en"):
        if CJK_RE.search(q[field]):
            err(f"`{field}` contains Chinese characters")

    kps = q["key_point"]
    if not KP_MIN <= len(kps) <= KP_MAX:
        err(f"needs {KP_MIN}-{KP_MAX} key points, has {len(kps)}")
    for i, kp in enumerate(kps, 1):
        kerr = lambda msg: err(f"key point {i}: {msg}")
        if not isinstance(kp, dict):
            kerr("must be a table")
            continue
        for field, typ in KEY_POINT_FIELDS.items():
            if not isinstance(kp.get(field), typ):
                kerr(f"missing or mistyped field `{field}`")
        for field in kp:
            if field not in KEY_POINT_FIELDS and field not in KEY_POINT_OPTIONAL:
                kerr(f"unknown field `{field}`")
        if "min_hits" in kp:
            mh = kp["min_hits"]
            if not isinstance(mh, int) or isinstance(mh, bool) or not 1 <= mh <= len(kp.get("keywords") or []):
                kerr("`min_hits` must be an integer between 1 and the number of keywords")
        if any(not isinstance(kp.get(f), t) for f, t in KEY_POINT_FIELDS.items()):
            continue
        kws = kp["keywords"]
        if not KW_MIN <= len(kws) <= KW_MAX:
            kerr(f"needs {KW_MIN}-{KW_MAX} keywords, has {len(kws)}")
        if not all(isinstance(k, str) and k.strip() for k in kws):
            kerr("keywords must be non-empty strings")
            continue
        if len({k.lower() for k in kws}) != len(kws):
            kerr("duplicate keyword")
        if not any(CJK_RE.search(k) for k in kws) or not any(not CJK_RE.search(k) for k in kws):
            kerr("keywords must include both Chinese and English/Latin terms")
        for field in ("follow_up_zh", "follow_up_en"):
            if not one_question(kp[field]):
                kerr(f"`{field}` must ask exactly one thing: one question mark, at the end")
        if not CJK_RE.search(kp["zh"]) or not CJK_RE.search(kp["follow_up_zh"]):
            kerr("Chinese fields need Chinese text")
        if CJK_RE.search(kp["en"]) or CJK_RE.search(kp["follow_up_en"]):
            kerr("English fields contain Chinese characters")

    texts = [q["zh"], q["en"], q["rubric_zh"], q["rubric_en"]]
    texts += [kp.get(f, "") for kp in kps if isinstance(kp, dict)
              for f in KEY_POINT_FIELDS if f != "keywords"]
    for word in TRAIT_WORDS:
        pattern = re.compile(word if CJK_RE.search(word) else rf"\b{word}\b", re.IGNORECASE)
        if any(pattern.search(t) for t in texts if isinstance(t, str)):
            err(f"trait word {word!r}: judge the answer, not the person")


def main():
    markdown = "--markdown" in sys.argv[1:]
    errors = []
    skills = load_skill_names(errors)
    files = sorted(p for p in HERE.glob("*.toml"))
    if not files:
        errors.append("no question files")
    questions = []
    seen_ids, seen_text = {}, {}
    per_file = Counter()
    for path in files:
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            errors.append(f"{path.name}: TOML error: {e}")
            continue
        if data.get("version") != 1:
            errors.append(f"{path.name}: `version = 1` missing or unexpected")
        for key in data:
            if key not in ("version", "question"):
                errors.append(f"{path.name}: unknown top-level key `{key}`")
        qs = data.get("question", [])
        if not isinstance(qs, list) or not qs:
            errors.append(f"{path.name}: no [[question]] entries")
            continue
        for n, q in enumerate(qs, 1):
            qid = q.get("id", f"#{n}") if isinstance(q, dict) else f"#{n}"
            where = f"{path.name}:{qid}"
            if not isinstance(q, dict):
                errors.append(f"{where}: must be a table")
                continue
            check_question(where, q, skills, errors)
            if isinstance(q.get("id"), str):
                if q["id"] in seen_ids:
                    errors.append(f"{where}: duplicate id (also in {seen_ids[q['id']]})")
                seen_ids[q["id"]] = path.name
            for lang in ("zh", "en"):
                t = q.get(lang)
                if isinstance(t, str):
                    if (lang, t) in seen_text:
                        errors.append(f"{where}: same `{lang}` text as {seen_text[(lang, t)]}")
                    seen_text[(lang, t)] = where
            questions.append(q)
            per_file[path.name] += 1

    # Coverage.
    by_skill = defaultdict(list)
    for q in questions:
        if isinstance(q.get("skill"), str):
            by_skill[(q.get("kind"), q["skill"])].append(q)
    tech = {s: qs for (k, s), qs in by_skill.items() if k == "technical"}
    beh = {s: qs for (k, s), qs in by_skill.items() if k == "behavioural"}
    for skill, qs in sorted(tech.items()):
        if len(qs) < MIN_PER_TECH_SKILL:
            errors.append(f"skill {skill}: {len(qs)} questions, needs at least {MIN_PER_TECH_SKILL}")
        missing = {1, 2, 3} - {q.get("difficulty") for q in qs}
        if missing:
            errors.append(f"skill {skill}: no question at difficulty {sorted(missing)}")
    if len(tech) < MIN_TECH_SKILLS:
        errors.append(f"{len(tech)} technical skills, needs at least {MIN_TECH_SKILLS}")
    for comp in COMPETENCIES:
        if len(beh.get(comp, [])) < MIN_PER_COMPETENCY:
            errors.append(f"competency {comp}: {len(beh.get(comp, []))} questions, needs at least {MIN_PER_COMPETENCY}")
    if len(questions) < MIN_TOTAL:
        errors.append(f"{len(questions)} questions, needs at least {MIN_TOTAL}")

    # Table.
    def row(kind, skill, qs):
        d = Counter(q.get("difficulty") for q in qs)
        extra = sum(1 for q in qs if (q.get("star") if kind == "behavioural"
                                      else "experience" in q.get("competencies", [])))
        return [skill, kind, str(len(qs)), str(d[1]), str(d[2]), str(d[3]), str(extra)]

    header = ["skill", "kind", "questions", "d1", "d2", "d3", "project / STAR"]
    rows = [row("technical", s, qs) for s, qs in sorted(tech.items(), key=lambda x: x[0].lower())]
    rows += [row("behavioural", s, beh[s]) for s in COMPETENCIES if s in beh]
    d = Counter(q.get("difficulty") for q in questions)
    exp = sum(1 for q in questions if "experience" in q.get("competencies", []) and q.get("kind") == "technical")
    star = sum(1 for q in questions if q.get("star") is True)
    rows.append(["**total**" if markdown else "TOTAL", f"{len(tech)} technical + {len(beh)} behavioural",
                 str(len(questions)), str(d[1]), str(d[2]), str(d[3]), f"{exp} project / {star} STAR"])
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(["---", "---"] + ["---:"] * 5) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
        print()
        print("| file | questions |")
        print("|---|---:|")
        for name, n in sorted(per_file.items()):
            print(f"| `{name}` | {n} |")
    else:
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
        for r in [header] + rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        print()
        for name, n in sorted(per_file.items()):
            print(f"{name}: {n}")

    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    # With --markdown stdout is the table alone, ready to paste into README.md.
    print("ok", file=sys.stderr if markdown else sys.stdout)


if __name__ == "__main__":
    main()
