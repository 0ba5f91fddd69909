//! From bytes to text in reading order. The format is sniffed from the content, not trusted
//! from the file name, so a PNG renamed `.pdf` gets a clear "this is an image" error.

mod docx;
mod pdf;
mod plain;

use crate::ResumeError;

/// Bounds on what a document may cost to read.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted file.
    pub max_bytes: usize,
    /// Largest total decompressed size of a DOCX's parts that are read.
    pub max_decompressed: u64,
    /// PDFs with more pages are read up to this page.
    pub max_pages: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_decompressed: 64 * 1024 * 1024,
            max_pages: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Pdf,
    Docx,
    Text,
    Markdown,
}

impl DocumentFormat {
    pub fn name(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::Docx => "docx",
            DocumentFormat::Text => "text",
            DocumentFormat::Markdown => "markdown",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedText {
    pub format: DocumentFormat,
    /// Lines in reading order; blank lines separate blocks.
    pub text: String,
}

/// Reads `bytes` as a résumé or job description. `file_name` only breaks the tie between
/// plain text and Markdown.
pub fn extract_text(
    bytes: &[u8],
    file_name: Option<&str>,
    limits: &Limits,
) -> Result<ExtractedText, ResumeError> {
    if bytes.is_empty() {
        return Err(ResumeError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(ResumeError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let (format, text) = match sniff(bytes) {
        Sniffed::Pdf => (DocumentFormat::Pdf, pdf::extract(bytes, limits)?),
        Sniffed::Zip => (DocumentFormat::Docx, docx::extract(bytes, limits)?),
        Sniffed::Other(what) => return Err(ResumeError::UnsupportedFormat(what.to_owned())),
        Sniffed::Text => {
            let decoded = plain::decode(bytes)?;
            let markdown = file_name.is_some_and(|n| {
                let n = n.to_ascii_lowercase();
                n.ends_with(".md") || n.ends_with(".markdown")
            }) || plain::looks_like_markdown(&decoded);
            if markdown {
                (DocumentFormat::Markdown, plain::strip_markdown(&decoded))
            } else {
                (DocumentFormat::Text, decoded)
            }
        }
    };
    let text = normalize(&text);
    if text.trim().is_empty() {
        return Err(if format == DocumentFormat::Pdf {
            ResumeError::ScannedPdf
        } else {
            ResumeError::NoText
        });
    }
    Ok(ExtractedText { format, text })
}

enum Sniffed {
    Pdf,
    Zip,
    Text,
    Other(&'static str),
}

fn sniff(bytes: &[u8]) -> Sniffed {
    let head = &bytes[..bytes.len().min(1024)];
    // The PDF header may follow some junk bytes (the spec allows 1024).
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Sniffed::Pdf;
    }
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", ""),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "a legacy Word .doc (or other OLE) file; save it as .docx or PDF",
        ),
        (b"\x89PNG", "an image (PNG)"),
        (b"\xFF\xD8\xFF", "an image (JPEG)"),
        (b"GIF8", "an image (GIF)"),
        (b"RIFF", "a media file"),
        (b"{\\rtf", "an RTF document; save it as .docx or PDF"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"7z\xBC\xAF", "a 7-Zip archive"),
        (b"Rar!", "a RAR archive"),
        (b"\x7FELF", "a program"),
        (b"MZ", "a program"),
    ];
    for (magic, what) in SIGNATURES {
        if bytes.starts_with(magic) {
            return if what.is_empty() {
                Sniffed::Zip
            } else {
                Sniffed::Other(what)
            };
        }
    }
    if plain::is_probably_text(bytes) {
        Sniffed::Text
    } else {
        Sniffed::Other("binary data")
    }
}

/// Unifies what every extractor returns: `\n` line ends, no trailing spaces, NBSP and
/// zero-width characters gone, at most one blank line in a row.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let cleaned: String = line
            .chars()
            .filter(|c| {
                !matches!(
                    c,
                    '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}'
                )
            })
            .map(|c| match c {
                '\u{00A0}' | '\u{2002}' | '\u{2003}' | '\u{2009}' | '\u{3000}' => ' ',
                c => c,
            })
            .collect();
        let cleaned = cleaned.trim_end();
        if cleaned.trim().is_empty() {
            blank_run += 1;
            if blank_run == 1 && !out.is_empty() {
                out.push('\n');
            }
            continue;
        }
        blank_run = 0;
        out.push_str(cleaned);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_sniffed_from_content() {
        let limits = Limits::default();
        assert_eq!(extract_text(b"", None, &limits), Err(ResumeError::Empty));
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(matches!(
            extract_text(png, Some("cv.pdf"), &limits),
            Err(ResumeError::UnsupportedFormat(what)) if what.contains("image")
        ));
        let text = extract_text(
            "张伟\n电话：13800138000\n".as_bytes(),
            Some("cv.pdf"),
            &limits,
        )
        .unwrap();
        assert_eq!(text.format, DocumentFormat::Text);
        let big = vec![b'a'; limits.max_bytes + 1];
        assert!(matches!(
            extract_text(&big, None, &limits),
            Err(ResumeError::TooLarge { .. })
        ));
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(matches!(
            extract_text(&noise, None, &limits),
            Err(ResumeError::UnsupportedFormat(_))
        ));
    }

    #[test]
    fn normalize_collapses_blank_runs_and_odd_spaces() {
        assert_eq!(
            normalize("a\u{00A0}b  \n\n\n\nc\u{200B}d\r\n"),
            "a b\n\ncd\n"
        );
    }
}
