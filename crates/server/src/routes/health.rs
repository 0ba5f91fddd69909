//! Liveness and readiness probes.

use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// `connected` when the node is joined to others over NATS; absent on a single node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats: Option<&'static str>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The process can serve requests: the database answers, and NATS too when configured (a node
/// cut off from the others would strand a candidate who moves to it mid-answer).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "A dependency is down", body = ErrorBody),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let nats = match &state.cluster {
        Some(cluster) if cluster.connected() => Some("connected"),
        Some(_) => {
            return Err(ApiError::Unavailable(
                "not connected to NATS (MIANSHI_NATS_URL)".into(),
            ))
        }
        None => None,
    };
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(Readiness {
            status: "ready",
            database: state.store.backend().name(),
            nats,
        })),
        Ok(Err(err)) => {
            tracing::warn!(%err, "readiness: database ping failed");
            Err(ApiError::Unavailable(
                "the database is not reachable".into(),
            ))
        }
        Err(_) => Err(ApiError::Unavailable(
            "database did not answer in 2 s".into(),
        )),
    }
}
