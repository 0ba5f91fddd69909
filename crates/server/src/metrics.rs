//! Prometheus metrics, served as text at `/metrics`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NudgeLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    to: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    sessions_created: Counter,
    status_changes: Family<StatusLabels, Counter>,
    nudges: Family<NudgeLabels, Counter>,
    nudge_latency: Histogram,
    resident_memory: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~8 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mianshi");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        let sessions_created = Counter::default();
        let status_changes = Family::<StatusLabels, Counter>::default();
        let nudges = Family::<NudgeLabels, Counter>::default();
        let nudge_latency = latency_histogram();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route",
            latency.clone(),
        );
        registry.register(
            "sessions_created",
            "Interview sessions created",
            sessions_created.clone(),
        );
        registry.register(
            "session_status_changes",
            "Session status changes by target status",
            status_changes.clone(),
        );
        registry.register("nudges", "Live nudges sent by kind", nudges.clone());
        registry.register(
            "nudge_latency_seconds",
            "From the arrival of the data that closed a nudge's evidence window to the nudge's send",
            nudge_latency.clone(),
        );
        let resident_memory = Gauge::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of the server process when /metrics was read",
            resident_memory.clone(),
        );
        Self {
            resident_memory,
            registry,
            requests,
            latency,
            sessions_created,
            status_changes,
            nudges,
            nudge_latency,
        }
    }

    pub fn session_created(&self) {
        self.sessions_created.inc();
    }

    pub fn status_changed(&self, to: &str) {
        self.status_changes
            .get_or_create(&StatusLabels { to: to.to_owned() })
            .inc();
    }

    pub fn nudge_sent(&self, kind: &str, latency_seconds: f64) {
        self.nudges
            .get_or_create(&NudgeLabels {
                kind: kind.to_owned(),
            })
            .inc();
        self.nudge_latency.observe(latency_seconds);
    }

    pub fn render(&self) -> Result<String, std::fmt::Error> {
        if let Some(mb) = crate::bench::process_memory_mb("VmRSS:") {
            self.resident_memory.set((mb * 1024.0 * 1024.0) as i64);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Middleware: counts and times every request. Unmatched paths share one label so that
/// scanners probing random URLs cannot blow up the number of series.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

pub async fn serve_metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render() {
        Ok(text) => (
            [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            text,
        )
            .into_response(),
        Err(err) => ApiError::Internal(format!("metrics encoding: {err}")).into_response(),
    }
}
