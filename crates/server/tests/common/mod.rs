//! A real server on port 0 over a throwaway database, and a small JSON client for it.

#![allow(dead_code)]

use mianshi_server::{Config, ConfigLayer, Server};
use mianshi_store::test_support::TestDatabase;
use mianshi_store::{SqlStore, Store, StoreOptions, TokenScope};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

pub const BODY_LIMIT: usize = 64 * 1024;
pub const RESUME_LIMIT: usize = 2 * 1024 * 1024;

pub struct TestServer {
    pub base: String,
    /// Sends every request with [`TestServer::admin_token`]; tests of access control use
    /// [`TestServer::anonymous`] and set their own `Authorization`.
    pub client: reqwest::Client,
    /// A client that sends no credential.
    pub anonymous: reqwest::Client,
    /// An admin operator token, made in the store before the server starts.
    pub admin_token: String,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
    _db: TestDatabase,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// Makes an operator token the way `mianshi token create` does, straight in the store.
pub async fn operator_token(database_url: &str, name: &str, scope: TokenScope) -> String {
    let store = SqlStore::connect(database_url, &StoreOptions::default())
        .await
        .unwrap();
    let token = mianshi_server::auth::new_token(mianshi_server::auth::OPERATOR_PREFIX).unwrap();
    store
        .create_api_token(name, scope, &mianshi_server::auth::hash_token(&token))
        .await
        .unwrap();
    store.close().await;
    token
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

impl TestServer {
    pub async fn start(db: TestDatabase) -> Self {
        Self::start_with_models(db, None).await
    }

    /// `model_dir`: a real model cache (default: an empty one, so every model is missing).
    pub async fn start_with_models(
        db: TestDatabase,
        model_dir: Option<std::path::PathBuf>,
    ) -> Self {
        Self::start_configured(db, model_dir, ConfigLayer::default()).await
    }

    /// `settings` override the test defaults.
    pub async fn start_configured(
        db: TestDatabase,
        model_dir: Option<std::path::PathBuf>,
        settings: ConfigLayer,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::resolve([
            settings,
            ConfigLayer {
                port: Some(0),
                database_url: Some(db.url.clone()),
                data_dir: Some(dir.path().to_owned()),
                log_files: Some(false),
                body_limit_bytes: Some(BODY_LIMIT),
                resume_max_bytes: Some(RESUME_LIMIT),
                fetch_models: Some(false),
                model_dir: Some(model_dir.unwrap_or_else(|| dir.path().join("models"))),
                ..Default::default()
            },
        ])
        .unwrap();
        let admin_token = operator_token(&db.url, "tests", TokenScope::Admin).await;
        let server = Server::bind(config).await.unwrap();
        let base = format!("http://{}", server.local_addr());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            server
                .run_until(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Self {
            base,
            client: client_with_token(&admin_token),
            anonymous: reqwest::Client::new(),
            admin_token,
            shutdown: Some(tx),
            handle: Some(handle),
            _db: db,
            _dir: dir,
        }
    }

    /// The database this server stores into.
    pub fn database_url(&self) -> &str {
        &self._db.url
    }

    pub async fn sqlite() -> Self {
        Self::start(TestDatabase::sqlite()).await
    }

    pub async fn postgres() -> Self {
        Self::start(TestDatabase::postgres().await).await
    }

    /// Sends a request; `body` is sent as-is with the given content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        Reply::read(request.body(body).send().await.unwrap()).await
    }

    pub async fn json(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        match body {
            Some(body) => {
                self.raw(
                    method,
                    path,
                    Some("application/json"),
                    serde_json::to_vec(&body).unwrap(),
                )
                .await
            }
            None => self.raw(method, path, None, Vec::new()).await,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.json(Method::GET, path, None).await
    }

    /// Posts a multipart form and returns the reply.
    pub async fn multipart(&self, path: &str, form: reqwest::multipart::Form) -> Reply {
        let request = self
            .client
            .post(format!("{}{}", self.base, path))
            .multipart(form);
        Reply::read(request.send().await.unwrap()).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.json(Method::DELETE, path, None).await
    }

    /// Starts a graceful shutdown (as SIGTERM does) without waiting for it; `stop` waits.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap();
        }
    }
}

impl Reply {
    /// Reads a response whose body is JSON (or empty).
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "{status} response is not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Asserts an error reply: status, code, a message, the JSON envelope and a request id.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
        let message = self.body["error"]["message"].as_str().unwrap_or("");
        assert!(
            !message.is_empty(),
            "error without a message: {}",
            self.body
        );
        assert!(self.headers.contains_key("x-request-id"));
        assert_eq!(self.headers["x-content-type-options"], "nosniff");
        assert_eq!(self.headers["x-frame-options"], "DENY");
    }
}

/// The models a live stream with camera runs (speech, voice activity, face, pose,
/// expression), fetched into the user's cache. Blocking.
pub fn fetch_live_models() {
    for name in mianshi_models::LIVE_MODELS {
        mianshi_models::fetch_into_user_cache(name).unwrap();
    }
}
