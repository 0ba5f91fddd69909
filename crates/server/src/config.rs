//! Typed, layered configuration.
//!
//! Precedence, highest first: command-line flags, `MIANSHI_*` environment variables, the Python
//! seed's variable names (`HOST`, `PORT`, `LOG_LEVEL`, `WHISPER_MODEL`, `MODEL_CACHE_DIR`), the
//! TOML file (`--config`, `MIANSHI_CONFIG`, or `./mianshi.toml` if present), built-in defaults.
//! Every layer is a [`ConfigLayer`] of optional values; [`Config::resolve`] stacks them.

use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

/// One layer of settings; unset fields fall through to the layer below.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Args)]
#[serde(deny_unknown_fields)]
pub struct ConfigLayer {
    /// Address to listen on [default: 127.0.0.1; seed alias: HOST]
    #[arg(long, env = "MIANSHI_HOST")]
    pub host: Option<String>,
    /// Port to listen on; 0 picks a free port [default: 8000; seed alias: PORT]
    #[arg(long, env = "MIANSHI_PORT")]
    pub port: Option<u16>,
    /// Database: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://DATA_DIR/mianshi.db]
    #[arg(long, env = "MIANSHI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder for the embedded database and stored files [default: ./data]
    #[arg(long, env = "MIANSHI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Maximum open database connections [default: 10]
    #[arg(long, env = "MIANSHI_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// Log level or tracing filter, e.g. info or mianshi_server=debug [default: info; seed alias: LOG_LEVEL]
    #[arg(long, env = "MIANSHI_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Folder for daily log files ai_interview_YYYYMMDD.log and error_YYYYMMDD.log [default: ./logs]
    #[arg(long, env = "MIANSHI_LOG_DIR")]
    pub log_dir: Option<PathBuf>,
    /// Write log files (stderr logging is always on) [default: true]
    #[arg(long, env = "MIANSHI_LOG_FILES")]
    pub log_files: Option<bool>,
    /// Largest accepted request body in bytes; larger bodies get 413 [default: 1048576]
    #[arg(long, env = "MIANSHI_BODY_LIMIT_BYTES")]
    pub body_limit_bytes: Option<usize>,
    /// Largest accepted résumé or job-description upload in bytes [default: 10485760]
    #[arg(long, env = "MIANSHI_RESUME_MAX_BYTES")]
    pub resume_max_bytes: Option<usize>,
    /// Parallel document-parsing jobs (CPU work, off the async workers) [default: 2]
    #[arg(long, env = "MIANSHI_PARSE_WORKERS")]
    pub parse_workers: Option<usize>,
    /// Model cache folder [default: ~/.cache/mianshi/models; seed alias: MODEL_CACHE_DIR]
    #[arg(long, env = "MIANSHI_MODEL_DIR")]
    pub model_dir: Option<PathBuf>,
    /// Fetch missing default models in the background on start [default: true]
    #[arg(long, env = "MIANSHI_FETCH_MODELS")]
    pub fetch_models: Option<bool>,
    /// Whisper model size for speech recognition [default: base; seed alias: WHISPER_MODEL]
    #[arg(long, env = "MIANSHI_WHISPER_MODEL")]
    pub whisper_model: Option<String>,
    /// Seconds without any frame from a live-stream client before the server closes the
    /// stream; it pings the client at a quarter of that [default: 120]
    #[arg(long, env = "MIANSHI_LIVE_IDLE_SECONDS")]
    pub live_idle_seconds: Option<u64>,
    /// Seconds a shutdown waits for live answers to finish: a candidate mid-answer gets that
    /// long, then what was heard is committed as the answer [default: 30]
    #[arg(long, env = "MIANSHI_DRAIN_SECONDS")]
    pub drain_seconds: Option<u64>,
    /// Checkpoint of the review expert's fusion model (`mianshi train review --out`); without
    /// one, behaviour scores come from the rule engine [default: <model_dir>/review-fusion]
    #[arg(long, env = "MIANSHI_REVIEW_MODEL")]
    pub review_model: Option<PathBuf>,
    /// Whether anyone may start an interview without a token (the laptop default). Turn it off
    /// where operators hand out interview links: then starting needs an operator token
    /// [default: true]
    #[arg(long, env = "MIANSHI_OPEN_SIGNUP")]
    pub open_signup: Option<bool>,
    /// Other origins (comma-separated, e.g. `https://hr.example.com`, or `*`) whose pages may
    /// call the API and open the live stream; this server's own pages always may [default: none]
    #[arg(long, env = "MIANSHI_ALLOWED_ORIGINS")]
    pub allowed_origins: Option<String>,
    /// Requests per minute per caller (operator token, candidate session or, without a token,
    /// address), spendable at once; 0 turns the limit off [default: 600]
    #[arg(long, env = "MIANSHI_RATE_LIMIT_PER_MINUTE")]
    pub rate_limit_per_minute: Option<u32>,
    /// NATS server (`nats://host:4222`) joining this node to others on the same database: a
    /// candidate's live answer moves with them to whichever node they reconnect to, and live
    /// events are published per session [default: none, a single node]
    #[arg(long, env = "MIANSHI_NATS_URL")]
    pub nats_url: Option<String>,
    /// Days after its last change that a session is deleted with everything kept with it
    /// (checked hourly) [default: kept until deleted]
    #[arg(long, env = "MIANSHI_RETENTION_DAYS")]
    pub retention_days: Option<u32>,
}

impl ConfigLayer {
    /// Fills every field unset in `self` from `lower`.
    pub fn or(self, lower: ConfigLayer) -> ConfigLayer {
        ConfigLayer {
            host: self.host.or(lower.host),
            port: self.port.or(lower.port),
            database_url: self.database_url.or(lower.database_url),
            data_dir: self.data_dir.or(lower.data_dir),
            db_max_connections: self.db_max_connections.or(lower.db_max_connections),
            log_level: self.log_level.or(lower.log_level),
            log_dir: self.log_dir.or(lower.log_dir),
            log_files: self.log_files.or(lower.log_files),
            body_limit_bytes: self.body_limit_bytes.or(lower.body_limit_bytes),
            resume_max_bytes: self.resume_max_bytes.or(lower.resume_max_bytes),
            parse_workers: self.parse_workers.or(lower.parse_workers),
            model_dir: self.model_dir.or(lower.model_dir),
            whisper_model: self.whisper_model.or(lower.whisper_model),
            fetch_models: self.fetch_models.or(lower.fetch_models),
            live_idle_seconds: self.live_idle_seconds.or(lower.live_idle_seconds),
            drain_seconds: self.drain_seconds.or(lower.drain_seconds),
            review_model: self.review_model.or(lower.review_model),
            open_signup: self.open_signup.or(lower.open_signup),
            allowed_origins: self.allowed_origins.or(lower.allowed_origins),
            rate_limit_per_minute: self.rate_limit_per_minute.or(lower.rate_limit_per_minute),
            nats_url: self.nats_url.or(lower.nats_url),
            retention_days: self.retention_days.or(lower.retention_days),
        }
    }

    /// The Python seed's environment variable names, read through `lookup`.
    pub fn from_seed_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let port = match lookup("PORT") {
            Some(raw) => Some(raw.trim().parse().map_err(|_| ConfigError::Invalid {
                key: "PORT".into(),
                message: format!("`{raw}` is not a port number"),
            })?),
            None => None,
        };
        Ok(ConfigLayer {
            host: lookup("HOST"),
            port,
            log_level: lookup("LOG_LEVEL"),
            model_dir: lookup("MODEL_CACHE_DIR").map(PathBuf::from),
            whisper_model: lookup("WHISPER_MODEL"),
            ..Default::default()
        })
    }

    pub fn from_toml_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError::File {
            path: path.to_owned(),
            message: err.to_string(),
        })?;
        toml::from_str(&text).map_err(|err| ConfigError::File {
            path: path.to_owned(),
            message: err.to_string(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {}: {message}", path.display())]
    File { path: PathBuf, message: String },
    #[error("invalid setting {key}: {message}")]
    Invalid { key: String, message: String },
}

/// The resolved settings the server runs with.
#[derive(Clone, PartialEq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub db_max_connections: u32,
    pub log_level: String,
    pub log_dir: PathBuf,
    pub log_files: bool,
    pub body_limit_bytes: usize,
    pub resume_max_bytes: usize,
    pub parse_workers: usize,
    pub live_idle_seconds: u64,
    pub drain_seconds: u64,
    pub model_dir: PathBuf,
    pub whisper_model: String,
    pub fetch_models: bool,
    pub review_model: PathBuf,
    pub open_signup: bool,
    pub allowed_origins: Vec<String>,
    pub rate_limit_per_minute: u32,
    pub nats_url: Option<String>,
    pub retention_days: Option<u32>,
}

impl fmt::Debug for Config {
    // The database URL may hold a password: show only its scheme.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.database_url.split(':').next().unwrap_or("");
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &scheme)
            .field("data_dir", &self.data_dir)
            .field("db_max_connections", &self.db_max_connections)
            .field("log_level", &self.log_level)
            .field("log_dir", &self.log_dir)
            .field("log_files", &self.log_files)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("resume_max_bytes", &self.resume_max_bytes)
            .field("parse_workers", &self.parse_workers)
            .field("live_idle_seconds", &self.live_idle_seconds)
            .field("drain_seconds", &self.drain_seconds)
            .field("model_dir", &self.model_dir)
            .field("whisper_model", &self.whisper_model)
            .field("fetch_models", &self.fetch_models)
            .field("review_model", &self.review_model)
            .field("open_signup", &self.open_signup)
            .field("allowed_origins", &self.allowed_origins)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            // A NATS URL may carry a user and password too.
            .field("nats", &self.nats_url.as_ref().map(|_| "configured"))
            .field("retention_days", &self.retention_days)
            .finish()
    }
}

pub const DEFAULT_CONFIG_FILE: &str = "mianshi.toml";
/// Where `mianshi train review` puts its checkpoint inside the model cache by default.
pub const REVIEW_MODEL_DIR: &str = "review-fusion";

impl Config {
    /// Stacks the layers (highest precedence first) over the defaults and validates the result.
    pub fn resolve(layers: impl IntoIterator<Item = ConfigLayer>) -> Result<Self, ConfigError> {
        let merged = layers
            .into_iter()
            .fold(ConfigLayer::default(), |upper, lower| upper.or(lower));
        let data_dir = merged.data_dir.unwrap_or_else(|| PathBuf::from("data"));
        let database_url = merged
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("mianshi.db").display()));
        let config = Config {
            host: merged.host.unwrap_or_else(|| "127.0.0.1".to_owned()),
            port: merged.port.unwrap_or(8000),
            database_url,
            data_dir,
            db_max_connections: merged.db_max_connections.unwrap_or(10),
            log_level: merged.log_level.unwrap_or_else(|| "info".to_owned()),
            log_dir: merged.log_dir.unwrap_or_else(|| PathBuf::from("logs")),
            log_files: merged.log_files.unwrap_or(true),
            body_limit_bytes: merged.body_limit_bytes.unwrap_or(1024 * 1024),
            resume_max_bytes: merged.resume_max_bytes.unwrap_or(10 * 1024 * 1024),
            parse_workers: merged.parse_workers.unwrap_or(2),
            live_idle_seconds: merged.live_idle_seconds.unwrap_or(120),
            drain_seconds: merged.drain_seconds.unwrap_or(30),
            review_model: merged.review_model.unwrap_or_else(|| {
                merged
                    .model_dir
                    .clone()
                    .unwrap_or_else(default_model_dir)
                    .join(REVIEW_MODEL_DIR)
            }),
            model_dir: merged.model_dir.unwrap_or_else(default_model_dir),
            whisper_model: merged.whisper_model.unwrap_or_else(|| "base".to_owned()),
            fetch_models: merged.fetch_models.unwrap_or(true),
            open_signup: merged.open_signup.unwrap_or(true),
            allowed_origins: merged
                .allowed_origins
                .map(|list| {
                    list.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            rate_limit_per_minute: merged.rate_limit_per_minute.unwrap_or(600),
            nats_url: merged.nats_url.filter(|url| !url.trim().is_empty()),
            retention_days: merged.retention_days,
        };
        config.validate()?;
        Ok(config)
    }

    /// Reads the whole stack from the process: `flags` are the command line (clap has already
    /// merged `MIANSHI_*` variables into it), then seed aliases, then the TOML file.
    pub fn load(flags: ConfigLayer, config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let seed = ConfigLayer::from_seed_env(|key| std::env::var(key).ok())?;
        let file = match config_file {
            Some(path) => ConfigLayer::from_toml_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                ConfigLayer::from_toml_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => ConfigLayer::default(),
        };
        Self::resolve([flags, seed, file])
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.to_owned(),
            message,
        };
        if self.host.trim().is_empty() {
            return Err(invalid("host", "must not be empty".into()));
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                "must start with sqlite: or postgres://".into(),
            ));
        }
        if self.db_max_connections == 0 {
            return Err(invalid("db_max_connections", "must be at least 1".into()));
        }
        if self.body_limit_bytes < 1024 {
            return Err(invalid("body_limit_bytes", "must be at least 1024".into()));
        }
        if self.resume_max_bytes < 1024 {
            return Err(invalid("resume_max_bytes", "must be at least 1024".into()));
        }
        if self.parse_workers == 0 {
            return Err(invalid("parse_workers", "must be at least 1".into()));
        }
        if let Some(bad) = self
            .allowed_origins
            .iter()
            .find(|o| *o != "*" && !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(invalid(
                "allowed_origins",
                format!("`{bad}` is not an origin like https://example.com (or `*`)"),
            ));
        }
        if self.live_idle_seconds == 0 {
            return Err(invalid("live_idle_seconds", "must be at least 1".into()));
        }
        Ok(())
    }

    /// The largest request the router accepts: a résumé and a job-description file with form
    /// overhead (JSON bodies keep their own smaller limit).
    pub fn upload_limit_bytes(&self) -> usize {
        self.body_limit_bytes.max(
            self.resume_max_bytes
                .saturating_mul(2)
                .saturating_add(64 * 1024),
        )
    }

    pub fn bind_address(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn default_model_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".cache/mianshi/models")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = Config::resolve([]).unwrap();
        assert_eq!(config.bind_address(), "127.0.0.1:8000");
        assert_eq!(config.database_url, "sqlite://data/mianshi.db");
        assert_eq!(config.whisper_model, "base");
        assert!(config.log_files);
    }

    #[test]
    fn layers_stack_in_precedence_order() {
        let env: HashMap<&str, &str> = [
            ("PORT", "9001"),
            ("HOST", "0.0.0.0"),
            ("LOG_LEVEL", "debug"),
        ]
        .into_iter()
        .collect();
        let seed = ConfigLayer::from_seed_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        let file: ConfigLayer = toml::from_str(
            "port = 7000\nlog_level = \"warn\"\nwhisper_model = \"small\"\ndata_dir = \"/srv/m\"",
        )
        .unwrap();
        let flags = ConfigLayer {
            port: Some(1234),
            ..Default::default()
        };
        let config = Config::resolve([flags, seed, file]).unwrap();
        assert_eq!(config.port, 1234, "flag beats everything");
        assert_eq!(config.host, "0.0.0.0", "seed alias beats the default");
        assert_eq!(config.log_level, "debug", "seed alias beats the file");
        assert_eq!(config.whisper_model, "small", "file beats the default");
        assert_eq!(config.database_url, "sqlite:///srv/m/mianshi.db");
    }

    /// The documented example is a working configuration, every key of it known.
    #[test]
    fn the_example_file_parses_and_resolves() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mianshi.example.toml");
        let layer = ConfigLayer::from_toml_file(&path).unwrap();
        assert_eq!(layer.open_signup, Some(true));
        assert_eq!(layer.rate_limit_per_minute, Some(600));
        Config::resolve([layer]).unwrap();
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let err =
            ConfigLayer::from_seed_env(|k| (k == "PORT").then(|| "eighty".to_owned())).unwrap_err();
        assert!(err.to_string().contains("PORT"), "{err}");
        let err = toml::from_str::<ConfigLayer>("prot = 1").unwrap_err();
        assert!(err.to_string().contains("prot"), "{err}");
        let err = Config::resolve([ConfigLayer {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        }])
        .unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { ref key, .. } if key == "database_url"));
    }

    #[test]
    fn debug_output_hides_database_credentials() {
        let config = Config::resolve([ConfigLayer {
            database_url: Some("postgres://admin:s3cret@db/mianshi".into()),
            ..Default::default()
        }])
        .unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn ipv6_hosts_get_brackets() {
        let config = Config::resolve([ConfigLayer {
            host: Some("::1".into()),
            port: Some(80),
            ..Default::default()
        }])
        .unwrap();
        assert_eq!(config.bind_address(), "[::1]:80");
    }
}
