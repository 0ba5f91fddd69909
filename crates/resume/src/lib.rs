//! Résumé and job-description parsing.
//!
//! Bytes in any supported format (PDF text layer, DOCX, plain text, Markdown) become text in
//! reading order ([`extract`]), then a [`Profile`] ([`profile`]) or a [`JobSpec`] ([`job`]);
//! [`job::match_profile`] says which of a job's skills the résumé shows. Skills come from a
//! curated taxonomy kept as data (`data/skills.toml`), and every extracted skill keeps the span
//! of text it was read from.
//!
//! Everything here is synchronous CPU work with bounded input size and decompression; callers
//! in async code run it on a blocking pool.

pub mod dates;
pub mod edit;
pub mod eval;
pub mod extract;
pub mod job;
pub mod profile;
pub mod sections;
pub mod summary;
pub mod taxonomy;

pub use edit::{apply_edit, EditError};
pub use extract::{extract_text, DocumentFormat, ExtractedText, Limits};
pub use job::{match_profile, parse_job};
pub use mianshi_core::{CandidateDocuments, JobSpec, Profile, SkillMatch};
pub use profile::parse_profile;

/// Why a document could not be read. Each variant has a stable code for the API.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResumeError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the PDF is password-protected; remove the password and upload it again")]
    Encrypted,
    #[error(
        "the PDF has no text layer (a scan or an image); export the résumé as a text PDF or DOCX"
    )]
    ScannedPdf,
    #[error("the file is {0}, which is not a résumé format; upload PDF, DOCX, TXT or Markdown")]
    UnsupportedFormat(String),
    #[error(
        "the document expands to more than {limit} bytes; it is refused as a decompression bomb"
    )]
    DecompressionLimit { limit: u64 },
    #[error("the file could not be read: {0}")]
    Unreadable(String),
    #[error("no text was found in the document")]
    NoText,
}

impl ResumeError {
    pub fn code(&self) -> &'static str {
        match self {
            ResumeError::Empty => "resume_empty",
            ResumeError::TooLarge { .. } => "resume_too_large",
            ResumeError::Encrypted => "resume_encrypted",
            ResumeError::ScannedPdf => "resume_scanned_pdf",
            ResumeError::UnsupportedFormat(_) => "resume_unsupported_format",
            ResumeError::DecompressionLimit { .. } => "resume_too_large",
            ResumeError::Unreadable(_) => "resume_unreadable",
            ResumeError::NoText => "resume_no_text",
        }
    }
}

/// Reads a document from disk, refusing an oversized file before reading it.
pub fn extract_file(path: &std::path::Path, limits: &Limits) -> Result<ExtractedText, ResumeError> {
    let unreadable = |err: std::io::Error| ResumeError::Unreadable(err.to_string());
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > limits.max_bytes as u64 {
        return Err(ResumeError::TooLarge {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit: limits.max_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    extract_text(&bytes, path.file_name().and_then(|n| n.to_str()), limits)
}

/// The documents of an interview from extracted texts: the profile, the job and their match.
pub fn build_documents(
    resume_text: Option<&str>,
    job_text: Option<&str>,
) -> mianshi_core::CandidateDocuments {
    let profile = resume_text.map(parse_profile);
    let job = job_text.map(parse_job);
    let skill_match = match (&profile, &job) {
        (Some(profile), Some(job)) => Some(match_profile(profile, job)),
        _ => None,
    };
    mianshi_core::CandidateDocuments {
        profile,
        job,
        skill_match,
    }
}

/// Reads a résumé file (any supported format) into a profile.
pub fn parse_resume_bytes(
    bytes: &[u8],
    file_name: Option<&str>,
    limits: &Limits,
) -> Result<Profile, ResumeError> {
    let extracted = extract_text(bytes, file_name, limits)?;
    Ok(parse_profile(&extracted.text))
}
