//! What every handler can reach: the store, the settings and the metrics.

use std::sync::Arc;

use mianshi_store::Store;

use crate::config::Config;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
}
