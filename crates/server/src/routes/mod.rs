//! HTTP routes, grouped by the part of the API they serve.

pub mod documents;
pub mod health;
pub mod interview;
pub mod live;
pub mod loop_;
pub mod privacy;
pub mod report;
pub mod speech;
pub mod vision;
