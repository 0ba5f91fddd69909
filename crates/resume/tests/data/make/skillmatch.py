"""Annotation aid: find taxonomy skills mentioned in a text, with their context.

This mechanises the labelling rule of README.md ("canonical name or any alias,
case-insensitive, whole word; Chinese aliases as a substring") so that the human
labels in make_resumes.py / jd/*.expected.json can be checked for omissions and
typos. It is NOT the source of truth: where the mechanical rule and the meaning of
the text disagree (the verb "go", "R&D", "Spring 2023", an "embedded key-value
store" ...), the label follows the meaning and the disagreement is recorded in
check_labels.py (OVERRIDES) with a reason.

Contact data (e-mail addresses and URLs) is removed before matching: a link to
github.com is not a mention of Git, and "https://" is not a mention of HTTPS.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

TAXONOMY = Path(__file__).resolve().parents[3] / "data" / "skills.toml"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# URLs with or without scheme; TLDs matched case-sensitively so "ASP.NET" survives.
_URL = re.compile(
    r"(?:https?://)?(?:[A-Za-z0-9-]+\.)+(?:com|cn|dev|io|me|org|net)(?:/[^\s|,;，；)）]*)?"
)


@dataclass
class Hit:
    skill: str
    term: str
    ambiguous: bool
    context: str


def load_taxonomy(path: Path = TAXONOMY) -> list[dict]:
    with open(path, "rb") as f:
        return tomllib.load(f)["skill"]


def _pattern(term: str) -> re.Pattern:
    if _CJK.search(term):
        # Substring; PDF text layers often put a space between Latin and CJK
        # ("A/B 测试" for "A/B测试"), so allow whitespace at such boundaries.
        out = ""
        for i, ch in enumerate(term):
            if i and bool(_CJK.match(ch)) != bool(_CJK.match(term[i - 1])):
                out += r"\s*"
            out += re.escape(ch)
        return re.compile(out, re.IGNORECASE)
    # Whole word: no letter/digit/hyphen right before ("Objective-C" is not C); after it no letter/digit, and not
    # "++" or "#" (so "C" does not match inside "C++" / "C#", but "ES6+" matches "ES6").
    return re.compile(
        r"(?<![A-Za-z0-9_-])" + re.escape(term) + r"(?![A-Za-z0-9_]|\+\+|#)", re.IGNORECASE
    )


def strip_contacts(text: str) -> str:
    text = _EMAIL.sub(" ", text)
    return _URL.sub(" ", text)


def find(text: str, taxonomy: list[dict] | None = None) -> list[Hit]:
    taxonomy = taxonomy or load_taxonomy()
    text = strip_contacts(text)
    hits: list[Hit] = []
    for skill in taxonomy:
        ambiguous = {a.lower() for a in skill.get("ambiguous", [])}
        for term in [skill["name"], *skill.get("aliases", [])]:
            for m in _pattern(term).finditer(text):
                a, b = max(0, m.start() - 25), min(len(text), m.end() + 25)
                hits.append(
                    Hit(
                        skill["name"],
                        m.group(0),
                        term.lower() in ambiguous,
                        text[a:b].replace("\n", " "),
                    )
                )
    return hits


def skills(text: str, taxonomy: list[dict] | None = None) -> set[str]:
    return {h.skill for h in find(text, taxonomy)}
