//! Request extractors whose failures speak our error format instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use mianshi_core::SessionId;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON body. Syntax errors are 400 `malformed_json`, wrong shapes 422 `invalid_body`, a
/// non-JSON content type 415, an oversized body 413.
pub struct ApiJson<T>(pub T);

/// Like [`ApiJson`], but an empty body is `None` (for endpoints that also take query values).
pub struct OptionalApiJson<T>(pub Option<T>);

/// Reads a JSON body under the JSON limit (`body_limit_bytes`). The router-wide limit is the
/// larger upload limit of the document endpoints, so JSON bodies enforce their own.
async fn read_body(req: Request, state: &AppState) -> Result<(HeaderMap, Bytes), ApiError> {
    let limit = state.config.body_limit_bytes;
    let headers = req.headers().clone();
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|err| body_error(err, limit))?;
    Ok((headers, bytes))
}

fn body_error(err: axum::Error, limit: usize) -> ApiError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return ApiError::PayloadTooLarge { limit };
        }
        source = cause.source();
    }
    ApiError::InvalidBody(format!("the request body could not be read: {err}"))
}

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = content_type.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/json")
        || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde lets a struct come as an array of its fields in order (`[]` would start an
    // interview with every field left out); every body of this API is an object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => {
                    ApiError::InvalidBody("the body must be a JSON object, not an array".into())
                }
                Err(syntax) => ApiError::MalformedJson(syntax.to_string()),
            },
        );
    }
    serde_json::from_slice(bytes).map_err(|err| match err.classify() {
        // The parser stops at the first value of the wrong type, which may come before the
        // body stops being JSON at all (`[[[…` cut off): only JSON can have the wrong shape.
        // (Skipping a value is iterative, so any depth is checked within the body limit.)
        serde_json::error::Category::Data => {
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => ApiError::InvalidBody(err.to_string()),
                Err(syntax) => ApiError::MalformedJson(syntax.to_string()),
            }
        }
        _ => ApiError::MalformedJson(err.to_string()),
    })
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (headers, bytes) = read_body(req, state).await?;
        if !is_json(&headers) {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_json(&bytes).map(ApiJson)
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for OptionalApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (headers, bytes) = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalApiJson(None));
        }
        if !is_json(&headers) {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_json(&bytes).map(|value| OptionalApiJson(Some(value)))
    }
}

/// A multipart form; a missing or bad boundary is 400 `malformed_multipart`, not axum's
/// plain-text rejection.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|rejection| ApiError::MalformedMultipart(rejection.body_text()))
    }
}

/// Query parameters; a bad value is 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

/// Who is making the request, as the access log records it: the caller the token names (the
/// candidate, or an operator token's scope, name and id), the peer address and the user agent.
/// Never fails: an unknown part is `-`.
pub struct Reader(pub String);

const MAX_USER_AGENT_CHARS: usize = 120;

impl<S: Send + Sync> FromRequestParts<S> for Reader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or("-".to_owned(), |info| info.0.ip().to_string());
        let agent: String = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_USER_AGENT_CHARS)
            .collect();
        let who = parts
            .extensions
            .get::<crate::auth::Caller>()
            .map_or("-".to_owned(), crate::auth::Caller::describe);
        Ok(Reader(format!("{who} · {address} {agent}")))
    }
}

/// The `{session_id}` path segment, parsed. A malformed id is 400 `invalid_session_id`.
pub struct SessionPath(pub SessionId);

impl<S: Send + Sync> FromRequestParts<S> for SessionPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::InvalidSessionId(rejection.body_text()))?;
        raw.parse()
            .map(SessionPath)
            .map_err(|err: mianshi_core::SessionIdError| {
                ApiError::InvalidSessionId(err.to_string())
            })
    }
}

/// Refuses a multipart form with a field this operation does not take: a misspelt field would
/// otherwise be dropped without a word (422 `validation_failed`, naming it and the known ones).
pub fn only_known_fields<'a>(
    names: impl IntoIterator<Item = &'a String>,
    known: &[&str],
) -> Result<(), ApiError> {
    match names.into_iter().find(|n| !known.contains(&n.as_str())) {
        None => Ok(()),
        Some(unknown) => Err(ApiError::Validation(format!(
            "unknown form field {:?}; this form takes {}",
            unknown.chars().take(64).collect::<String>(),
            known.join(", ")
        ))),
    }
}

/// A multipart read error as the API reports it: over the upload limit is 413, anything
/// else a malformed form.
pub fn multipart_error(
    limit: usize,
) -> impl Fn(axum::extract::multipart::MultipartError) -> ApiError + Copy {
    move |e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::MalformedMultipart(e.body_text())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn json_content_types() {
        let mut headers = HeaderMap::new();
        assert!(!is_json(&headers));
        for (value, expected) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/problem+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
        ] {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            assert_eq!(is_json(&headers), expected, "{value}");
        }
    }

    #[test]
    fn syntax_and_shape_errors_are_told_apart() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            n: u32,
        }
        assert!(matches!(
            parse_json::<Body>(b"{"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b"{\"n\": \"x\"}"),
            Err(ApiError::InvalidBody(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b"{}"),
            Err(ApiError::InvalidBody(_))
        ));
        assert!(parse_json::<Body>(b"{\"n\": 3}").is_ok());
        // Cut off after a value of the wrong type: not JSON, whatever its shape.
        assert!(matches!(
            parse_json::<Body>(&vec![b'['; 60_000]),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b"{\"n\": \"x\"} }{"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b"[\"x\"]"),
            Err(ApiError::InvalidBody(_))
        ));
        // A struct of optional fields would take `[]` (or `[3]`) as itself.
        assert!(matches!(
            parse_json::<Body>(b" [3]"),
            Err(ApiError::InvalidBody(_))
        ));
    }
}
