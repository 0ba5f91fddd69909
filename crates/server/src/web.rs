//! The browser app (`web/`), compiled into the binary and served at `/`: plain ES modules,
//! no build step, and no asset fetched from anywhere else.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::sync::LazyLock;

use crate::state::AppState;

const INDEX: &str = include_str!("../../../web/index.html");
const APP: &str = include_str!("../../../web/app.js");
const I18N: &str = include_str!("../../../web/i18n.js");
const LIVE: &str = include_str!("../../../web/live.js");
const CAPTURE_WORKLET: &str = include_str!("../../../web/capture-worklet.js");
const STYLE: &str = include_str!("../../../web/style.css");

/// The delivery signals' names and units and the rubric's dimension names: the same tables
/// the printed report uses.
static SIGNALS: LazyLock<String> = LazyLock::new(|| {
    let signals =
        serde_json::to_string(mianshi_core::turn::SIGNAL_LABELS).expect("static labels serialise");
    let rubric =
        serde_json::to_string(mianshi_core::turn::RUBRIC_LABELS).expect("static labels serialise");
    format!("export const SIGNALS = {signals};\nexport const RUBRIC = {rubric};\n")
});

/// Only our own origin: no CDN, no inline script (inline styles carry the score bars).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "no-cache"),
            (CONTENT_SECURITY_POLICY, CSP),
        ],
        body,
    )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/app/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP) }),
        )
        .route(
            "/app/i18n.js",
            get(|| async { asset("text/javascript; charset=utf-8", I18N) }),
        )
        .route(
            "/app/live.js",
            get(|| async { asset("text/javascript; charset=utf-8", LIVE) }),
        )
        .route(
            "/app/capture-worklet.js",
            get(|| async { asset("text/javascript; charset=utf-8", CAPTURE_WORKLET) }),
        )
        .route(
            "/app/signals.js",
            get(|| async { asset("text/javascript; charset=utf-8", SIGNALS.as_str()) }),
        )
        .route(
            "/app/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DESIGN §2: messages describe answers and behaviour, never the person.
    #[test]
    fn the_message_catalogue_has_no_trait_words() {
        const TRAITS: &[&str] = &[
            "nervous",
            "anxious",
            "confident",
            "confidence",
            "dishonest",
            "honest",
            "lying",
            "insecure",
            "shy",
            "arrogant",
            "紧张",
            "焦虑",
            "自信",
            "不诚实",
            "撒谎",
            "害羞",
            "自卑",
            "傲慢",
        ];
        let lower = I18N.to_lowercase();
        for word in TRAITS {
            assert!(!lower.contains(word), "trait word `{word}` in web/i18n.js");
        }
        // Both catalogues carry the same keys.
        let keys = |block: &str| -> Vec<String> {
            block
                .lines()
                .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k.trim().to_owned()))
                .filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric()))
                .collect()
        };
        let (zh, en) = I18N.split_once("  en: {").expect("an en block");
        assert_eq!(keys(zh.split_once("zh: {").unwrap().1), keys(en));
    }
}
