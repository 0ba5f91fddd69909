//! The `mianshi` command. Thin by design: it parses arguments and calls the library crates.

use std::path::PathBuf;

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
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TOML configuration file [default: ./mianshi.toml if it exists]
    #[arg(long, env = "MIANSHI_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: ConfigLayer,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
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
