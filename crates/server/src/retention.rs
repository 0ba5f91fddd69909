//! The retention period (`MIANSHI_RETENTION_DAYS`): sessions nobody has changed for that many
//! days are deleted with everything kept with them, as a candidate's own delete does (on SQLite
//! scrubbed from the files too). Raw audio and video are never stored, so sessions are all
//! there is to expire. Every node sweeps; deleting a session twice is harmless.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mianshi_store::{Store, StoreError};

/// How often a node looks for expired sessions.
const SWEEP_EVERY: Duration = Duration::from_secs(3_600);
/// Sessions deleted per query, so one sweep never holds a long transaction.
const BATCH: u32 = 100;

/// Deletes every session not changed since `cutoff`; how many were deleted.
pub async fn sweep(store: &dyn Store, cutoff: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut deleted = 0;
    loop {
        let expired = store.sessions_untouched_since(cutoff, BATCH).await?;
        if expired.is_empty() {
            return Ok(deleted);
        }
        let mut progressed = false;
        for id in expired {
            if store.delete_session(id).await? {
                deleted += 1;
                progressed = true;
            }
        }
        // Another node deleted this batch first; the next query shows what is left.
        if !progressed {
            tokio::task::yield_now().await;
        }
    }
}

/// Sweeps now and then every hour, for as long as the server runs.
pub fn spawn(store: Arc<dyn Store>, days: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            let cutoff = Utc::now() - chrono::Duration::days(i64::from(days));
            match sweep(store.as_ref(), cutoff).await {
                Ok(0) => {}
                Ok(deleted) => {
                    tracing::info!(deleted, days, "sessions past the retention period deleted")
                }
                Err(err) => tracing::warn!(%err, "retention sweep failed; retried in an hour"),
            }
        }
    })
}
