//! Plain text and Markdown: decoding (UTF-8, UTF-16 with BOM, GB18030 as Chinese Windows
//! editors save it) and stripping Markdown syntax down to the words.

use std::sync::LazyLock;

use regex::Regex;

use crate::ResumeError;

/// Text has almost no control bytes other than whitespace; binary formats have plenty.
pub(super) fn is_probably_text(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let sample = &bytes[..bytes.len().min(8192)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C))
        .count();
    controls * 100 <= sample.len()
}

pub(super) fn decode(bytes: &[u8]) -> Result<String, ResumeError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(String::from_utf8_lossy(rest).into_owned());
    }
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(text.into_owned());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(ResumeError::Unreadable(
            "the text is neither UTF-8 nor GB18030".into(),
        ));
    }
    Ok(text.into_owned())
}

pub(super) fn looks_like_markdown(text: &str) -> bool {
    let headings = text
        .lines()
        .filter(|l| l.starts_with("# ") || l.starts_with("## ") || l.starts_with("### "))
        .count();
    headings >= 2
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)").unwrap());
static EMPHASIS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\*\*|__|\*|`)").unwrap());
static LIST_MARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\s*)([-*+]|\d+\.)\s+").unwrap());

pub(super) fn strip_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || is_rule(trimmed) {
            continue;
        }
        let mut line = trimmed.trim_start_matches('#').trim_start().to_owned();
        if trimmed.starts_with('>') {
            line = trimmed.trim_start_matches('>').trim_start().to_owned();
        }
        if line.starts_with('|') {
            // Table row: cells become tab-separated; the |---| rule row disappears.
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
            {
                continue;
            }
            line = cells.join("\t");
        }
        let line = LIST_MARK.replace(&line, "• ");
        let line = LINK.replace_all(&line, |caps: &regex::Captures| {
            let (label, url) = (&caps[1], &caps[2]);
            if caps[0].starts_with('!') {
                String::new()
            } else if url.is_empty() || label.contains(url) {
                label.to_owned()
            } else if url.starts_with("mailto:") {
                url.trim_start_matches("mailto:").to_owned()
            } else {
                format!("{label} {url}")
            }
        });
        let line = EMPHASIS.replace_all(&line, "");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn is_rule(line: &str) -> bool {
    line.len() >= 3
        && line
            .chars()
            .all(|c| matches!(c, '-' | '*' | '_' | '=' | ' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_common_encodings() {
        assert_eq!(decode("简历".as_bytes()).unwrap(), "简历");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend("Résumé".as_bytes());
        assert_eq!(decode(&bom).unwrap(), "Résumé");
        let (gbk, _, _) = encoding_rs::GB18030.encode("工作经历");
        assert_eq!(decode(&gbk).unwrap(), "工作经历");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Skills".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert!(is_probably_text(&utf16));
        assert_eq!(decode(&utf16).unwrap(), "Skills");
    }

    #[test]
    fn markdown_is_reduced_to_words() {
        let md = "# Jane Doe\n\n**Email:** [jane@example.com](mailto:jane@example.com)\n\n## Skills\n\n- Rust, *Go*\n- [GitHub](https://github.com/jane)\n\n| School | Degree |\n|---|---|\n| MIT | B.S. |\n---\n";
        let text = strip_markdown(md);
        assert!(text.contains("Jane Doe\n"));
        assert!(text.contains("Email: jane@example.com"));
        assert!(text.contains("• Rust, Go"));
        assert!(text.contains("GitHub https://github.com/jane"));
        assert!(text.contains("MIT\tB.S."));
        assert!(!text.contains("---"));
    }
}
