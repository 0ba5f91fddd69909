#!/usr/bin/env python3
"""Generate the hostile / broken inputs in ../bad/ from the committed résumés.

Needs qpdf and poppler-utils (pdftoppm, pdftotext) from apt, and Pillow (run this
with a venv's python, see ../README.md). Every file is checked after it is written;
`--check` only checks the committed files.

  encrypted_user_password.pdf   AES-256, user password "userpw", owner "ownerpw"
  encrypted_owner_only.pdf      AES-256, EMPTY user password, owner "ownerpw":
                                opens without a password (+ .expected.json)
  scanned.pdf                   one page image, no text layer at all
  corrupt.pdf                   a real résumé PDF cut to its first 40 % of bytes
  garbage.pdf                   64 KiB of (seeded) random bytes
  empty.pdf                     0 bytes
  png_named.pdf                 a PNG file with a .pdf name
  text_named.docx               plain UTF-8 text with a .docx name
  bomb.docx                     ZIP shaped like a DOCX whose word/document.xml
                                inflates to 1 GiB (valid XML, padded with spaces)
  no_document.docx              ZIP with [Content_Types].xml but no word/document.xml
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
RES = DATA / "resumes"
BAD = DATA / "bad"

USER_PW_SOURCE = "zh_frontend_wangqiang.pdf"
OWNER_ONLY_SOURCE = "en_backend_go_smith.pdf"
SCANNED_SOURCE = "zh_newgrad_chenhao.pdf"
CORRUPT_SOURCE = "en_sre_johnson.pdf"
TEXT_SOURCE = "zh_marketing_huangting.txt"

BOMB_SIZE = 1 << 30  # bytes of word/document.xml once inflated
FIXED_TIME = (2024, 1, 1, 0, 0, 0)

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>
"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>
"""
DOC_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>张伟 简历 / Resume of Wei Zhang</w:t></w:r></w:p>"
)
DOC_TAIL = "<w:p><w:r><w:t>end</w:t></w:r></w:p></w:body></w:document>\n"


def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), check=True, **kw)


def zinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    for attr in ("compress_level", "_compresslevel"):  # renamed in Python 3.13
        try:
            setattr(info, attr, 9)
            break
        except AttributeError:
            pass
    return info


def make_bomb(path: Path) -> None:
    chunk = b" " * (1 << 20)
    head, tail = DOC_HEAD.encode(), DOC_TAIL.encode()
    pad = BOMB_SIZE - len(head) - len(tail)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zinfo("[Content_Types].xml"), CONTENT_TYPES)
        z.writestr(zinfo("_rels/.rels"), RELS)
        with z.open(zinfo("word/document.xml"), "w") as f:
            f.write(head)
            while pad > 0:
                n = min(pad, len(chunk))
                f.write(chunk[:n])
                pad -= n
            f.write(tail)


def make_no_document(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zinfo("[Content_Types].xml"), CONTENT_TYPES)
        z.writestr(zinfo("_rels/.rels"), RELS)
        z.writestr(zinfo("docProps/app.xml"),
                   '<?xml version="1.0" encoding="UTF-8"?><Properties/>\n')


def make_scanned(src: Path, out: Path, tmp: Path) -> None:
    from PIL import Image  # only this step needs Pillow

    run("pdftoppm", "-png", "-gray", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
        str(src), str(tmp / "scan"))
    img = Image.open(tmp / "scan.png").convert("L")
    img.save(out, "PDF", resolution=110.0)


def generate() -> None:
    BAD.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mianshi-bad-") as t:
        tmp = Path(t)
        run("qpdf", "--encrypt", "userpw", "ownerpw", "256", "--",
            str(RES / USER_PW_SOURCE), str(BAD / "encrypted_user_password.pdf"))
        run("qpdf", "--encrypt", "", "ownerpw", "256", "--modify=none", "--",
            str(RES / OWNER_ONLY_SOURCE), str(BAD / "encrypted_owner_only.pdf"))
        labels = json.loads((RES / OWNER_ONLY_SOURCE.replace(".pdf", ".expected.json"))
                            .read_text(encoding="utf-8"))
        labels["file"] = "encrypted_owner_only.pdf"
        (BAD / "encrypted_owner_only.expected.json").write_text(
            json.dumps(labels, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

        make_scanned(RES / SCANNED_SOURCE, BAD / "scanned.pdf", tmp)

        data = (RES / CORRUPT_SOURCE).read_bytes()
        (BAD / "corrupt.pdf").write_bytes(data[: len(data) * 40 // 100])
        (BAD / "garbage.pdf").write_bytes(random.Random(20240601).randbytes(64 * 1024))
        (BAD / "empty.pdf").write_bytes(b"")

        run("pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", "-singlefile",
            str(RES / CORRUPT_SOURCE), str(tmp / "small"))
        shutil.copy(tmp / "small.png", BAD / "png_named.pdf")
        shutil.copy(RES / TEXT_SOURCE, BAD / "text_named.docx")

        make_bomb(BAD / "bomb.docx")
        make_no_document(BAD / "no_document.docx")


def check() -> list[str]:
    bad: list[str] = []

    def pdftotext(path: Path, *opts: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pdftotext", *opts, str(path), "-"], capture_output=True)

    r = pdftotext(BAD / "encrypted_user_password.pdf")
    if r.returncode == 0:
        bad.append("encrypted_user_password.pdf opens without a password")
    r = pdftotext(BAD / "encrypted_user_password.pdf", "-upw", "userpw")
    if r.returncode != 0 or "王强" not in r.stdout.decode():
        bad.append("encrypted_user_password.pdf does not open with its password")
    r = pdftotext(BAD / "encrypted_owner_only.pdf")
    if r.returncode != 0 or "Jordan Smith" not in r.stdout.decode():
        bad.append("encrypted_owner_only.pdf does not open without a password")
    enc = subprocess.run(["qpdf", "--show-encryption", str(BAD / "encrypted_owner_only.pdf")],
                         capture_output=True, text=True).stdout
    if "R = 6" not in enc:
        bad.append(f"encrypted_owner_only.pdf is not AES-256 encrypted: {enc!r}")
    if not (BAD / "encrypted_owner_only.expected.json").exists():
        bad.append("encrypted_owner_only.expected.json missing")

    r = pdftotext(BAD / "scanned.pdf")
    if r.returncode != 0 or r.stdout.decode().strip():
        bad.append(f"scanned.pdf has a text layer: {r.stdout[:80]!r}")
    fonts = subprocess.run(["pdffonts", str(BAD / "scanned.pdf")], capture_output=True,
                           text=True).stdout.splitlines()
    if len(fonts) > 2:
        bad.append("scanned.pdf has fonts")

    c = (BAD / "corrupt.pdf").read_bytes()
    if not c.startswith(b"%PDF-") or b"%%EOF" in c:
        bad.append("corrupt.pdf should start like a PDF and have no %%EOF")
    if (BAD / "garbage.pdf").stat().st_size != 65536:
        bad.append("garbage.pdf is not 64 KiB")
    if (BAD / "empty.pdf").stat().st_size != 0:
        bad.append("empty.pdf is not empty")
    if not (BAD / "png_named.pdf").read_bytes().startswith(b"\x89PNG\r\n\x1a\n"):
        bad.append("png_named.pdf is not a PNG")
    if zipfile.is_zipfile(BAD / "text_named.docx"):
        bad.append("text_named.docx is a zip")

    with zipfile.ZipFile(BAD / "bomb.docx") as z:
        names = z.namelist()
        doc = z.getinfo("word/document.xml")
        if "[Content_Types].xml" not in names or doc.file_size != BOMB_SIZE:
            bad.append(f"bomb.docx: unexpected members/size {names} {doc.file_size}")
        with z.open(doc) as f:  # read only the beginning, never the whole member
            if not f.read(64).startswith(b"<?xml"):
                bad.append("bomb.docx: document.xml does not start with an XML declaration")
    if (BAD / "bomb.docx").stat().st_size > 1_500_000:
        bad.append("bomb.docx is over 1.5 MB")
    with zipfile.ZipFile(BAD / "no_document.docx") as z:
        if "word/document.xml" in z.namelist() or "[Content_Types].xml" not in z.namelist():
            bad.append("no_document.docx: wrong members")
    return bad


def main() -> int:
    if "--check" not in sys.argv[1:]:
        generate()
    problems = check()
    for p in problems:
        print("PROBLEM", p)
    for f in sorted(BAD.iterdir()):
        print(f"{f.stat().st_size:>10}  bad/{f.name}")
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
