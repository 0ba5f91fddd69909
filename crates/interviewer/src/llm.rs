//! The seam for language models (the seed's Decision, Question and Scorer roles). The built-in
//! engine needs none; a backend implements [`Llm`] and the interviewer asks it for one role at
//! a time with a JSON shape to fill. What comes back is untrusted: [`parse_decision`] and
//! [`parse_scorer`] accept only replies that fit our types and our rules (at most the allowed
//! follow-ups, scores 0–100, quotes that really occur in the answer), so a model that drifts
//! is caught and the rule engine's result stands.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::decider::Decision;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmRole {
    Decision,
    Question,
    Scorer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

#[derive(Debug, Clone)]
pub struct LlmRequest {
    pub role: LlmRole,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
    pub temperature: f32,
    /// JSON Schema the reply must follow (backends constrain decoding to it where they can).
    pub json_schema: Option<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the language model is unavailable: {0}")]
    Unavailable(String),
    #[error("the language model timed out")]
    Timeout,
    #[error("the language model's reply does not fit: {0}")]
    BadReply(String),
}

/// A language model backend (local GGUF, or an OpenAI-compatible server).
pub trait Llm: Send + Sync {
    fn name(&self) -> &str;
    /// The reply's text (JSON when the request carries a schema).
    fn complete(&self, request: &LlmRequest) -> Result<String, LlmError>;
}

/// JSON Schema of the Decision role's reply.
pub fn decision_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "action": {"enum": ["FOLLOW_UP", "SWITCH", "END"]},
            "guidance": {"type": "string"},
            "key_point": {"type": ["integer", "null"]},
            "reason": {"type": "string"}
        },
        "required": ["action"]
    })
}

/// JSON Schema of the Scorer role's reply.
pub fn scorer_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "evidence": {"type": "array", "items": {
                "type": "object",
                "properties": {"quote": {"type": "string"}, "effect": {"type": "integer"}, "note": {"type": "string"}},
                "required": ["quote", "effect", "note"]
            }},
            "advice": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["score", "evidence", "advice"]
    })
}

/// The JSON object in a reply: models wrap it in prose or code fences.
fn json_object(reply: &str) -> Result<Value, LlmError> {
    let start = reply.find('{');
    let end = reply.rfind('}');
    match (start, end) {
        (Some(s), Some(e)) if s < e => serde_json::from_str(&reply[s..=e])
            .map_err(|err| LlmError::BadReply(format!("not JSON: {err}"))),
        _ => Err(LlmError::BadReply("no JSON object in the reply".into())),
    }
}

/// A Decision-role reply, checked against what the interview allows: `key_points` is how many
/// key points the question has, `follow_ups_left` how many follow-ups the topic may still have.
pub fn parse_decision(
    reply: &str,
    key_points: usize,
    follow_ups_left: u8,
) -> Result<Decision, LlmError> {
    #[derive(Deserialize)]
    struct Raw {
        action: String,
        #[serde(default)]
        guidance: String,
        #[serde(default)]
        key_point: Option<i64>,
        #[serde(default)]
        reason: String,
    }
    let raw: Raw = serde_json::from_value(json_object(reply)?)
        .map_err(|e| LlmError::BadReply(e.to_string()))?;
    let text = |s: String, what: &str| {
        let s = s.trim().to_owned();
        if s.is_empty() {
            Err(LlmError::BadReply(format!("{what} is empty")))
        } else {
            Ok(s)
        }
    };
    match raw.action.trim().to_ascii_uppercase().as_str() {
        "FOLLOW_UP" => {
            if follow_ups_left == 0 {
                return Err(LlmError::BadReply(
                    "a follow-up was asked for past the limit".into(),
                ));
            }
            let key_point = match raw.key_point {
                None => None,
                Some(k) if k >= 0 && (k as usize) < key_points => Some(k as usize),
                Some(k) => return Err(LlmError::BadReply(format!("no key point {k}"))),
            };
            Ok(Decision::FollowUp {
                guidance: text(raw.guidance, "guidance")?,
                key_point,
            })
        }
        "SWITCH" => Ok(Decision::Switch {
            reason: text(raw.reason, "reason")?,
        }),
        "END" => Ok(Decision::End {
            reason: text(raw.reason, "reason")?,
        }),
        other => Err(LlmError::BadReply(format!("unknown action {other:?}"))),
    }
}

/// A Scorer-role reply.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmScore {
    pub overall: u8,
    pub evidence: Vec<mianshi_core::Evidence>,
    pub advice: Vec<String>,
}

/// Parses a Scorer-role reply; every quote must occur in the answer (a model that invents
/// evidence is refused).
pub fn parse_scorer(reply: &str, answer: &str) -> Result<LlmScore, LlmError> {
    #[derive(Deserialize)]
    struct RawEvidence {
        quote: String,
        effect: i64,
        note: String,
    }
    #[derive(Deserialize)]
    struct Raw {
        score: i64,
        evidence: Vec<RawEvidence>,
        advice: Vec<String>,
    }
    let raw: Raw = serde_json::from_value(json_object(reply)?)
        .map_err(|e| LlmError::BadReply(e.to_string()))?;
    if !(0..=100).contains(&raw.score) {
        return Err(LlmError::BadReply(format!(
            "score {} is outside 0–100",
            raw.score
        )));
    }
    let mut evidence = Vec::new();
    for item in raw.evidence {
        let quote = item.quote.trim();
        if quote.is_empty() || !answer.contains(quote) {
            return Err(LlmError::BadReply(format!(
                "quote {quote:?} is not in the answer"
            )));
        }
        evidence.push(mianshi_core::Evidence {
            quote: quote.to_owned(),
            effect: item.effect.clamp(-100, 100) as i16,
            note: item.note.trim().to_owned(),
        });
    }
    Ok(LlmScore {
        overall: raw.score as u8,
        evidence,
        advice: raw
            .advice
            .into_iter()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_accepted_only_within_the_rules() {
        let ok = parse_decision(
            "Sure! ```json\n{\"action\": \"FOLLOW_UP\", \"guidance\": \"Ask about fsync\", \"key_point\": 1}\n```",
            3,
            2,
        )
        .unwrap();
        assert_eq!(
            ok,
            Decision::FollowUp {
                guidance: "Ask about fsync".into(),
                key_point: Some(1)
            }
        );
        assert!(matches!(
            parse_decision(r#"{"action":"switch","reason":"covered"}"#, 3, 0),
            Ok(Decision::Switch { .. })
        ));
        for bad in [
            r#"{"action":"FOLLOW_UP","guidance":"x","key_point":7}"#,
            r#"{"action":"FOLLOW_UP","guidance":""}"#,
            r#"{"action":"DANCE"}"#,
            "no json here",
            r#"{"action": "END""#,
        ] {
            assert!(parse_decision(bad, 3, 2).is_err(), "{bad}");
        }
        assert!(parse_decision(r#"{"action":"FOLLOW_UP","guidance":"more"}"#, 3, 0).is_err());
    }

    #[test]
    fn scores_need_real_quotes_and_a_valid_range() {
        let answer = "I cut p99 latency from 120 ms to 35 ms by adding a Redis cache.";
        let ok = parse_scorer(
            r#"{"score": 82, "evidence": [{"quote": "from 120 ms to 35 ms", "effect": 8, "note": "numbers"}], "advice": ["Say why Redis."]}"#,
            answer,
        )
        .unwrap();
        assert_eq!(ok.overall, 82);
        assert_eq!(ok.evidence[0].quote, "from 120 ms to 35 ms");
        assert!(parse_scorer(
            r#"{"score": 82, "evidence": [{"quote": "halved costs", "effect": 8, "note": "x"}], "advice": []}"#,
            answer
        )
        .is_err());
        assert!(parse_scorer(r#"{"score": 140, "evidence": [], "advice": []}"#, answer).is_err());
        assert!(serde_json::to_string(&scorer_schema())
            .unwrap()
            .contains("evidence"));
        assert!(serde_json::to_string(&decision_schema())
            .unwrap()
            .contains("FOLLOW_UP"));
    }
}
