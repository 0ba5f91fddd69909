//! The `mianshi` command. Thin by design: it parses arguments and calls the library crates.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mianshi_server::logging;
use mianshi_server::{Config, ConfigLayer, Server};

#[derive(Parser)]
#[command(
    name = "mianshi",
    version,
    about = "Mianshi (面试) — AI mock interviews, offline on one laptop"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (REST API, docs at /docs).
    ///
    /// Settings are read, highest precedence first, from these flags, MIANSHI_* environment
    /// variables, the seed's HOST / PORT / LOG_LEVEL / WHISPER_MODEL / MODEL_CACHE_DIR variables,
    /// the TOML file (same keys as the flags, with underscores), and the defaults.
    Serve(ServeArgs),
    /// Parse a résumé (PDF, DOCX, TXT, Markdown) and print what was found.
    Resume(ResumeArgs),
    /// Measure a component against labelled data.
    #[command(subcommand)]
    Eval(EvalTarget),
}

#[derive(clap::Args)]
struct ResumeArgs {
    /// The résumé file.
    file: PathBuf,
    /// A job description (text, PDF or DOCX) to match the résumé against.
    #[arg(long)]
    jd: Option<PathBuf>,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
    /// Print the extracted text (reading order) instead of the profile.
    #[arg(long, conflicts_with = "json")]
    text: bool,
}

#[derive(Subcommand)]
enum EvalTarget {
    /// Field-level precision/recall/F1 of the résumé parser on a labelled folder (files with
    /// X.expected.json labels; a folder holding resumes/ and jd/ evaluates both).
    Resume { dir: PathBuf },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TOML configuration file [default: ./mianshi.toml if it exists]
    #[arg(long, env = "MIANSHI_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: ConfigLayer,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Display, not Debug: a user error needs its message, not a symbolicated backtrace.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Resume(args) => resume(args),
        Command::Eval(EvalTarget::Resume { dir }) => eval_resume(&dir),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(args.settings, args.config.as_deref())?;
    let _log_guard = logging::init(
        &config.log_level,
        config.log_files.then_some(config.log_dir.as_path()),
    )
    .with_context(|| format!("cannot write logs to {}", config.log_dir.display()))?;
    tracing::info!(?config, "starting");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        let address = server.local_addr();
        tracing::info!(%address, "listening");
        // Scripts and tests read this line to find the port when started with --port 0.
        println!("mianshi listening on http://{address}");
        server.run().await?;
        anyhow::Ok(())
    })
}

fn read_document(path: &Path) -> anyhow::Result<mianshi_resume::ExtractedText> {
    mianshi_resume::extract_file(path, &mianshi_resume::Limits::default())
        .map_err(|err| anyhow::anyhow!("{}: {err} [{}]", path.display(), err.code()))
}

fn resume(args: ResumeArgs) -> anyhow::Result<()> {
    let extracted = read_document(&args.file)?;
    if args.text {
        print!("{}", extracted.text);
        return Ok(());
    }
    let profile = mianshi_resume::parse_profile(&extracted.text);
    let job = match &args.jd {
        Some(path) => Some(mianshi_resume::parse_job(&read_document(path)?.text)),
        None => None,
    };
    let skill_match = job
        .as_ref()
        .map(|job| mianshi_resume::match_profile(&profile, job));
    if args.json {
        let value = serde_json::json!({ "profile": profile, "job": job, "match": skill_match });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", mianshi_resume::summary::profile_summary(&profile));
        if let (Some(job), Some(m)) = (&job, &skill_match) {
            println!();
            print!("{}", mianshi_resume::summary::match_summary(job, m));
        }
    }
    Ok(())
}

fn eval_resume(dir: &Path) -> anyhow::Result<()> {
    use mianshi_resume::eval::{evaluate_jobs, evaluate_resumes};
    let (resumes, jobs) = if dir.join("resumes").is_dir() {
        (
            Some(dir.join("resumes")),
            dir.join("jd").is_dir().then(|| dir.join("jd")),
        )
    } else {
        (Some(dir.to_owned()), None)
    };
    for (title, folder, is_resume) in [
        ("résumés", resumes, true),
        ("job descriptions", jobs, false),
    ] {
        let Some(folder) = folder else { continue };
        let report = if is_resume {
            evaluate_resumes(&folder)
        } else {
            evaluate_jobs(&folder)
        }
        .map_err(|err| anyhow::anyhow!(err))?;
        println!("{}", report.table(title));
        for mistake in &report.mistakes {
            println!("  {mistake}");
        }
        println!();
    }
    Ok(())
}
