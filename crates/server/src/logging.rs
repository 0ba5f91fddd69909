//! Logging: human-readable lines on stderr, plus the seed's daily files in the log folder —
//! `ai_interview_YYYYMMDD.log` (everything at or above the level) and `error_YYYYMMDD.log`
//! (errors only). Request spans carry the request id, so every line of a request shows it.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::Local;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the background log writers alive; drop it last so buffered lines are flushed.
#[must_use = "dropping the guard stops file logging"]
pub struct LogGuard {
    _writers: Vec<WorkerGuard>,
}

/// A file that starts anew each local day as `{prefix}_{YYYYMMDD}.log`.
///
/// tracing-appender's own rotation names files `prefix.YYYY-MM-DD`; the seed's operators look
/// for `ai_interview_YYYYMMDD.log`, so the naming is ours.
pub struct DailyFile {
    dir: PathBuf,
    prefix: &'static str,
    current: Option<(String, File)>,
}

impl DailyFile {
    pub fn new(dir: &Path, prefix: &'static str) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut file = Self {
            dir: dir.to_owned(),
            prefix,
            current: None,
        };
        // Open today's file at once: operators (and the seed's tooling) expect both files to
        // exist from start-up, even before the first error is logged.
        file.file_for_today()?;
        Ok(file)
    }

    pub fn file_name(prefix: &str, day: &str) -> String {
        format!("{prefix}_{day}.log")
    }

    fn file_for_today(&mut self) -> io::Result<&mut File> {
        let today = Local::now().format("%Y%m%d").to_string();
        let stale = !matches!(&self.current, Some((day, _)) if *day == today);
        if stale {
            let path = self.dir.join(Self::file_name(self.prefix, &today));
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            self.current = Some((today, file));
        }
        match &mut self.current {
            Some((_, file)) => Ok(file),
            None => Err(io::Error::other("log file not open")),
        }
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file_for_today()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.current {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

fn level_filter(level: &str) -> EnvFilter {
    // Accept the seed's upper-case names (INFO, WARNING) as well as full tracing directives.
    let normalized = match level.trim().to_ascii_lowercase().as_str() {
        "warning" => "warn".to_owned(),
        "critical" | "fatal" => "error".to_owned(),
        other => other.to_owned(),
    };
    EnvFilter::try_new(&normalized).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the global subscriber. `log_dir: None` logs to stderr only.
pub fn init(level: &str, log_dir: Option<&Path>) -> io::Result<LogGuard> {
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr)
        .with_filter(level_filter(level));
    let mut writers = Vec::new();
    // The stderr layer caches each span's formatted fields (with colour codes) in the span; a
    // field formatter of another type makes the file layers format (and cache) their own plain copy.
    let plain_fields = || {
        tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
            if field.name() == "message" {
                write!(writer, "{value:?}")
            } else {
                write!(writer, "{field}={value:?}")
            }
        })
        .delimited(" ")
    };
    let file_layers = match log_dir {
        Some(dir) => {
            let (all, all_guard) =
                tracing_appender::non_blocking(DailyFile::new(dir, "ai_interview")?);
            let (errors, error_guard) =
                tracing_appender::non_blocking(DailyFile::new(dir, "error")?);
            writers.push(all_guard);
            writers.push(error_guard);
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .fmt_fields(plain_fields())
                    .with_writer(all)
                    .with_filter(level_filter(level))
                    .and_then(
                        tracing_subscriber::fmt::layer()
                            .with_ansi(false)
                            .fmt_fields(plain_fields())
                            .with_writer(errors)
                            .with_filter(LevelFilter::ERROR),
                    ),
            )
        }
        None => None,
    };
    // A second init (tests, embedding) keeps the first subscriber rather than failing.
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layers)
        .try_init();
    Ok(LogGuard { _writers: writers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_file_uses_the_seed_naming_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = DailyFile::new(dir.path(), "ai_interview").unwrap();
        writeln!(file, "first").unwrap();
        writeln!(file, "second").unwrap();
        file.flush().unwrap();
        let today = Local::now().format("%Y%m%d").to_string();
        let path = dir.path().join(format!("ai_interview_{today}.log"));
        assert_eq!(std::fs::read_to_string(path).unwrap(), "first\nsecond\n");
    }

    #[test]
    fn seed_level_names_are_understood() {
        assert_eq!(level_filter("WARNING").to_string(), "warn");
        assert_eq!(level_filter("INFO").to_string(), "info");
        assert_eq!(level_filter("CRITICAL").to_string(), "error");
    }
}
