#!/usr/bin/env python3
"""Check the committed corpus against its labels.

For every résumé: extract the text the way a parser would see it (pdftotext for PDF,
word/document.xml for DOCX, the file itself for .txt/.md) and verify that
  * name, email, phone, every link (with or without the https:// we added),
    every education / experience field and every project name occur in it;
  * the labelled skills are canonical taxonomy names;
  * the labelled skills equal what skillmatch.py finds mechanically, except for the
    differences listed (with reasons) in OVERRIDES below.
For every JD: the same skill check, split into required / nice-to-have sections.
Finally: format / language / layout counts and file-size limits.

Usage:  python3 check_labels.py        (needs pdftotext from poppler-utils)
Exit code 0 when everything holds; every problem is printed.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import skillmatch  # noqa: E402

DATA = Path(__file__).resolve().parents[1]
CJK = r"\u3400-\u9fff\uff00-\uffef\u3000-\u303f"

# Where the mechanical rule and the meaning of the text disagree. Each entry says
# why the human label differs from skillmatch.py. "exclude": matched mechanically
# but NOT labelled; "include": labelled although not matched mechanically.
OVERRIDES: dict[str, dict[str, dict[str, str]]] = {
    "en_data_scientist_patel": {"exclude": {
        "Leadership": "'the claims leadership team' names executives, not a skill of hers",
    }},
    "en_pm_obrien": {"exclude": {
        "R": "'R&D' is research and development, not the R language",
        "Go": "'go-to-market' is not the Go language",
    }},
    "en_backend_go_smith": {"exclude": {
        "Embedded Systems": "'an embedded key-value store' is a library embedded in a process, not embedded systems",
    }},
    "en_newgrad_nguyen": {"exclude": {
        "Spring": "'Spring 2023 term' is a season, not the Spring framework",
    }},
    "en_finance_mueller": {"exclude": {
        "Next.js": "'next-quarter forecasts' is the ordinary word",
        "REST API": "'the rest of the deal team' is the ordinary word",
    }},
}


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                         capture_output=True, check=True).stdout.decode("utf-8")
    return out


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    paras = []
    for p in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
        p = re.sub(r"<w:tab/>", "\t", p)
        p = re.sub(r"<w:br/>", "\n", p)
        parts = re.findall(r"<w:t(?: [^>]*)?>(.*?)</w:t>|(\t|\n)", p, flags=re.S)
        paras.append("".join(a or b for a, b in parts))
    text = "\n".join(paras)
    return (text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
            .replace("&quot;", '"').replace("&apos;", "'"))


def file_text(path: Path) -> str:
    if path.suffix == ".pdf":
        return pdf_text(path)
    if path.suffix == ".docx":
        return docx_text(path)
    return path.read_text(encoding="utf-8")


def flow(text: str) -> str:
    """Undo line wrapping: join CJK across line breaks, otherwise use a space."""
    text = re.sub(rf"(?<=[{CJK}])[ \t]*\n[ \t]*(?=[{CJK}])", "", text)
    return re.sub(r"\s+", " ", text)


def present(needle: str, text: str) -> bool:
    squash = lambda s: re.sub(r"\s+", "", s)  # noqa: E731  (wrapping / spacing may differ)
    return needle in text or squash(needle) in squash(text)


def compare(label: set[str], found: set[str], key: str, problems: list[str], where: str) -> None:
    ov = OVERRIDES.get(key, {})
    exc, inc = set(ov.get("exclude", {})), set(ov.get("include", {}))
    expected = (found - exc) | inc
    for s in sorted(expected - label):
        problems.append(f"{where}: skill {s!r} found in text but not labelled")
    for s in sorted(label - expected):
        problems.append(f"{where}: skill {s!r} labelled but not found in text")
    for s in sorted(exc - found):
        problems.append(f"{where}: override excludes {s!r} which is not even matched")


def main() -> int:
    taxonomy = skillmatch.load_taxonomy()
    canonical = {s["name"] for s in taxonomy}
    problems: list[str] = []
    counts: Counter = Counter()

    for exp in sorted((DATA / "resumes").glob("*.expected.json")):
        lab = json.loads(exp.read_text(encoding="utf-8"))
        doc = DATA / "resumes" / lab["file"]
        where = f"resumes/{lab['file']}"
        if not doc.exists():
            problems.append(f"{where}: missing")
            continue
        raw = file_text(doc)
        text = flow(raw)
        counts[(lab["language"], doc.suffix)] += 1
        counts[lab["layout"]] += 1
        needles = [lab["name"], lab["email"], lab["phone"]]
        for link in lab["links"]:
            if not link.startswith("https://"):
                problems.append(f"{where}: link {link!r} not normalised to https://")
            if not (present(link, text) or present(link.removeprefix("https://"), text)):
                problems.append(f"{where}: link {link!r} not in text")
        for e in lab["education"]:
            needles += [e["school"], e["degree"]] + ([e["major"]] if e["major"] else [])
        for e in lab["experience"]:
            needles += [e["company"], e["title"]]
        needles += [p["name"] for p in lab["projects"]]
        texts = [text]
        if doc.suffix == ".pdf":  # also the column-preserving layout mode
            texts.append(subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(doc), "-"],
                                        capture_output=True, check=True).stdout.decode("utf-8"))
        for n in needles:
            for t in texts:
                if not present(n, t):
                    problems.append(f"{where}: {n!r} not in extracted text")
        for e in lab["education"] + lab["experience"]:
            for d in (e["start"], e["end"]):
                if not re.fullmatch(r"\d{4}(-\d{2})?|present", d):
                    problems.append(f"{where}: bad date {d!r}")
                elif d != "present" and d[:4] not in text:
                    problems.append(f"{where}: year of {d!r} not in text")
        for s in lab["skills"]:
            if s not in canonical:
                problems.append(f"{where}: {s!r} is not a canonical taxonomy name")
        compare(set(lab["skills"]), skillmatch.skills(text, taxonomy), exp.name.split(".")[0],
                problems, where)

    req_heads = re.compile(r"^(【?(岗位职责|任职要求|岗位要求)】?[:：]?|What you'll do|Responsibilities|"
                           r"Requirements|Must have|What we are looking for|The role)$")
    nice_heads = re.compile(r"^(【?(加分项|优先)】?[:：]?|Nice to have|Preferred|Bonus)$")
    other_heads = re.compile(r"^(【?(公司介绍|关于我们|公司简介)】?[:：]?|About.*)$")
    for exp in sorted((DATA / "jd").glob("*.expected.json")):
        lab = json.loads(exp.read_text(encoding="utf-8"))
        doc = DATA / "jd" / lab["file"]
        where = f"jd/{lab['file']}"
        lines = doc.read_text(encoding="utf-8").splitlines()
        if lines[0].strip() != lab["title"]:
            problems.append(f"{where}: title {lab['title']!r} is not the first line")
        state, req, nice = "req", [lines[0]], []
        for line in lines[1:]:
            s = line.strip()
            if req_heads.match(s):
                state = "req"
            elif nice_heads.match(s):
                state = "nice"
            elif other_heads.match(s):
                state = "other"
            elif state == "req":
                req.append(line)
            elif state == "nice":
                nice.append(line)
        r = skillmatch.skills("\n".join(req), taxonomy)
        n = skillmatch.skills("\n".join(nice), taxonomy) - r
        key = f"jd/{exp.name.split('.')[0]}"
        compare(set(lab["required_skills"]), r, key, problems, where + " (required)")
        compare(set(lab["nice_to_have"]), n, key + "#nice", problems, where + " (nice)")
        if set(lab["required_skills"]) & set(lab["nice_to_have"]):
            problems.append(f"{where}: a skill is both required and nice-to-have")
        for s in lab["required_skills"] + lab["nice_to_have"]:
            if s not in canonical:
                problems.append(f"{where}: {s!r} is not a canonical taxonomy name")
        if lab["seniority"] not in {"intern", "junior", "mid", "senior", "lead", "unknown"}:
            problems.append(f"{where}: bad seniority")
        counts[("jd", lab["language"])] += 1

    want = {("zh", ".pdf"): 4, ("zh", ".docx"): 2, ("en", ".pdf"): 3, ("en", ".docx"): 3,
            "two-column": 4, ("jd", "zh"): 2, ("jd", "en"): 2}
    for k, n in want.items():
        if counts[k] < n:
            problems.append(f"corpus: only {counts[k]} of {k}, want {n}")
    if not any(counts[(lang, ".txt")] for lang in ("zh", "en")):
        problems.append("corpus: no .txt résumé")
    if not any(counts[(lang, ".md")] for lang in ("zh", "en")):
        problems.append("corpus: no .md résumé")

    total = 0
    for f in DATA.rglob("*"):
        if f.is_file():
            total += f.stat().st_size
            if f.stat().st_size > 1.5 * 1024 * 1024:
                problems.append(f"{f.relative_to(DATA)}: larger than 1.5 MB")
    if total > 6 * 1024 * 1024:
        problems.append(f"tests/data is {total} bytes, over 6 MB")

    print(f"corpus: {dict(counts)}; {total} bytes in all")
    for p in problems:
        print("PROBLEM", p)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
