//! Mianshi's server: the REST API (OpenAPI at `/openapi.json`, docs at `/docs`), health and
//! metrics endpoints, and the wiring of configuration, logging and storage. `main` lives in the
//! `mianshi` CLI and only calls [`Server::bind`] and [`Server::run`].

pub mod asr;
pub mod auth;
pub mod bench;
pub mod bench_asr;
pub mod bench_live;
pub mod camera;
pub mod cluster;
pub mod config;
pub mod cpu;
pub mod error;
pub mod extract;
pub mod live_video;
pub mod logging;
pub mod metrics;
pub mod models;
pub mod replay;
pub mod retention;
pub mod review_data;
pub mod routes;
pub mod semantic;
pub mod state;
pub mod web;
pub mod webm_video;

/// The fusion model when its checkpoint is there and loads, the rule engine otherwise (said in
/// the log: a damaged checkpoint must not stop the server).
fn load_behaviour_scorer(dir: &std::path::Path) -> mianshi_review::scorer::BehaviourScorer {
    use mianshi_review::scorer::BehaviourScorer;
    let rules = mianshi_review::Rules::built_in();
    if !dir.join(mianshi_review::train::MODEL_FILE).is_file() {
        tracing::info!(checkpoint = %dir.display(), "no review model; behaviour scores come from the rule engine");
        return BehaviourScorer::rules_only(rules);
    }
    match BehaviourScorer::with_model(rules.clone(), dir) {
        Ok(scorer) => {
            tracing::info!(checkpoint = %dir.display(), "behaviour scores from the review model");
            scorer
        }
        Err(err) => {
            tracing::warn!(checkpoint = %dir.display(), %err, "the review model does not load; behaviour scores come from the rule engine");
            BehaviourScorer::rules_only(rules)
        }
    }
}

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use mianshi_store::{SqlStore, Store, StoreError, StoreOptions};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

pub use config::{Config, ConfigLayer};
use error::ApiError;
use metrics::Metrics;
use state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mianshi API",
        description = "Mianshi (面试) — AI mock interviews. Every error is \
                       `{\"error\": {\"code\": \"…\", \"message\": \"…\"}}` with a stable code.",
        license(name = "MIT")
    ),
    tags(
        (name = "interview", description = "Interview sessions (the seed's /api/interview paths)"),
        (name = "resume", description = "Résumé and job-description parsing"),
        (name = "speech", description = "Speech-delivery measures"),
        (name = "privacy", description = "Consent, export and the candidate's control over their data"),
        (name = "operations", description = "Health and readiness")
    )
)]
struct ApiDoc;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenAPI document and the API routes it describes.
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use routes::{documents, health, interview, loop_, privacy, report, speech, vision};
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(interview::start_interview))
        .routes(routes!(interview::get_session, interview::delete_session))
        .routes(routes!(interview::update_status))
        .routes(routes!(interview::list_sessions))
        .routes(routes!(interview::get_results))
        .routes(routes!(interview::history))
        .routes(routes!(report::report_html))
        .routes(routes!(report::report_pdf))
        .routes(routes!(privacy::export_session))
        .routes(routes!(privacy::record_consent))
        .routes(routes!(privacy::access_log))
        .routes(routes!(documents::get_documents, documents::edit_documents))
        .routes(routes!(documents::parse_resume))
        .routes(routes!(loop_::current_question))
        .routes(routes!(loop_::answer))
        .routes(routes!(models::models_status))
        .routes(routes!(speech::analyze_speech_quality))
        .routes(routes!(speech::transcribe))
        .routes(routes!(vision::analyze_video))
        .routes(routes!(vision::detect_emotions))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .split_for_parts();
    let mut openapi = openapi;
    auth::document_access(&mut openapi);
    document_inputs(&mut openapi);
    (router, openapi)
}

/// What every operation shares and its annotations would repeat: session ids are canonical
/// lower-case UUIDs (anything else is 400 `invalid_session_id`), user ids are 1–128 characters
/// without control characters, every operation that takes input can answer 400 for input it
/// cannot read at all, and one with a body 413 and 415. Multipart forms take only the fields
/// they list (a field name with control characters is not even readable multipart).
fn document_inputs(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{
        AdditionalProperties, KnownFormat, ObjectBuilder, SchemaFormat, Type,
    };
    use utoipa::openapi::{RefOr, Schema};
    let error = error::documented_error;
    if let Some(components) = openapi.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            if let (true, RefOr::T(Schema::Object(object))) = (name.ends_with("Form"), schema) {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.delete.as_mut(),
        ];
        for operation in operations.into_iter().flatten() {
            let mut takes_input = operation.request_body.is_some();
            for parameter in operation.parameters.iter_mut().flatten() {
                takes_input = true;
                let RefOr::T(parameter) = parameter else {
                    continue;
                };
                if parameter.name == "user_id"
                    && parameter.parameter_in == utoipa::openapi::path::ParameterIn::Path
                {
                    parameter.schema = Some(RefOr::T(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .max_length(Some(128))
                            .pattern(Some("^[^\\x00-\\x1f\\x7f-\\x9f]*$"))
                            .into(),
                    ));
                }
                if parameter.name == "session_id" {
                    parameter.schema = Some(RefOr::T(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                            .pattern(Some(
                                "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                            ))
                            .into(),
                    ));
                }
            }
            let responses = &mut operation.responses.responses;
            if takes_input {
                responses.entry("400".into()).or_insert_with(|| {
                    error("Input that cannot be read: a malformed session id, JSON, query or form")
                });
            }
            if operation.request_body.is_some() {
                responses
                    .entry("413".into())
                    .or_insert_with(|| error("The body is over its limit (`payload_too_large`)"));
                responses.entry("415".into()).or_insert_with(|| {
                    error(
                        "A body of a type this operation does not take (`unsupported_media_type`)",
                    )
                });
            }
        }
    }
}

/// The whole HTTP application over `state`.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api_routes();
    // The router-wide limit is what uploads need; JSON bodies enforce their own smaller limit
    // as they are read (see `extract`).
    let body_limit = state.config.upload_limit_bytes();
    let observed = api
        .route("/metrics", get(metrics::serve_metrics))
        .route(
            "/ws/video-stream/{session_id}",
            get(routes::live::video_stream),
        )
        // Runs after routing (so it sees the matched template) and inside the metrics layer
        // (so refusals are counted).
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ));
    let cors = cors_layer(&state.config.allowed_origins);
    Router::new()
        .merge(observed)
        .merge(web::routes())
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                // Baseline browser protections on every response (the app pages add a CSP).
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    HeaderName::from_static("permissions-policy"),
                    HeaderValue::from_static("camera=(self), microphone=(self), geolocation=()"),
                ))
                .layer(CatchPanicLayer::custom(panic_response)),
        )
        .layer(cors)
        .with_state(state)
}

/// Cross-origin browser access only for the origins the operator listed; none by default,
/// so the browser's same-origin rule keeps other sites' pages out of the API.
fn cors_layer(allowed: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let mut cors = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::LOCATION, header::RETRY_AFTER, REQUEST_ID])
        .max_age(Duration::from_secs(600));
    if allowed.iter().any(|o| o == "*") {
        cors = cors.allow_origin(AllowOrigin::any());
    } else {
        let origins: Vec<HeaderValue> = allowed
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        cors = cors.allow_origin(AllowOrigin::list(origins));
    }
    cors
}

fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("handler panicked".into()).into_response()
}

async fn route_not_found(uri: Uri) -> ApiError {
    ApiError::RouteNotFound(uri.path().chars().take(200).collect())
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Cluster(#[from] cluster::ClusterError),
}

/// A bound, ready-to-run server.
pub struct Server {
    listener: TcpListener,
    app: Router,
    store: Arc<SqlStore>,
    /// The live streams' shutdown signal, and how long they get to finish their answers.
    drain: (Arc<state::Drain>, u64),
}

impl Server {
    /// Opens the database (migrating it) and binds the listening socket.
    pub async fn bind(config: Config) -> Result<Self, ServerError> {
        let store = Arc::new(
            SqlStore::connect(
                &config.database_url,
                &StoreOptions {
                    max_connections: config.db_max_connections,
                    ..Default::default()
                },
            )
            .await?,
        );
        let address = config.bind_address();
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|source| ServerError::Bind { address, source })?;
        let board = Arc::new(models::ModelBoard::default());
        if config.fetch_models {
            models::fetch_defaults_in_background(board.clone(), config.model_dir.clone());
        }
        // One speech worker per core (at most 4): see `AsrEngine::start`.
        let asr_workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let asr = asr::AsrEngine::start(
            config.model_dir.clone(),
            &config.whisper_model,
            4,
            asr_workers,
        );
        let embedder = Arc::new(semantic::EmbedderSlot::new(config.model_dir.clone()));
        // Load it now, off the request path, when its files are already here.
        {
            let embedder = embedder.clone();
            tokio::task::spawn_blocking(move || embedder.get());
        }
        let behaviour = Arc::new(load_behaviour_scorer(&config.review_model));
        let cluster = match &config.nats_url {
            Some(url) => Some(cluster::Cluster::connect(url).await?),
            None => None,
        };
        let state = AppState {
            behaviour,
            asr,
            vision: Arc::new(camera::VisionSlot::new(config.model_dir.clone())),
            embedder: embedder.clone(),
            models: board,
            store: store.clone() as Arc<dyn Store>,
            cpu: Arc::new(cpu::CpuPool::new(
                config.parse_workers,
                Duration::from_secs(10),
            )),
            limiter: Arc::new(auth::RateLimiter::new(config.rate_limit_per_minute)),
            cluster,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            parked_answers: Arc::new(routes::live::ParkedAnswers::default()),
            nudges: Arc::new(mianshi_review::Catalogue::built_in()),
            drain: Arc::new(state::Drain::default()),
        };
        if let Some(days) = state.config.retention_days {
            retention::spawn(state.store.clone(), days);
        }
        let drain = (state.drain.clone(), state.config.drain_seconds);
        Ok(Self {
            listener,
            app: app(state),
            store,
            drain,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests and closes the database.
    pub async fn run(self) -> Result<(), ServerError> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Server {
            listener,
            app,
            store,
            drain: (drain, drain_seconds),
        } = self;
        let signal = drain.clone();
        let shutdown = async move {
            shutdown.await;
            tracing::info!(drain_seconds, "shutting down; live answers may finish");
            signal.begin();
        };
        // The peer address goes into the access log of who read a report.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve)?;
        // Live streams outlive their upgraded HTTP connections: they close themselves once their
        // answer is committed (or the drain time is up), and only then may the store close.
        if !drain
            .wait_closed(Duration::from_secs(drain_seconds + 10))
            .await
        {
            tracing::warn!("live streams still open after the drain time");
        }
        // Give the pool a moment to finish; WAL checkpoints on close.
        let _ = tokio::time::timeout(Duration::from_secs(5), store.close()).await;
        tracing::info!("server stopped");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
