//! Meaning-level relevance from a sentence-embedding model: how close the answer is to the
//! question, and which key points some sentence of the answer expresses even in other words.
//! The model sits behind [`Embedder`]; the scorer takes the resulting [`Semantic`] signal and
//! falls back to its lexical rules (and says so) when there is none.

use crate::text::sentences;

#[derive(Debug, thiserror::Error)]
#[error("sentence embedding failed: {0}")]
pub struct EmbedError(pub String);

/// A sentence-embedding model: L2-normalised vectors, one per text, comparable by dot product.
pub trait Embedder: Send + Sync {
    fn name(&self) -> &str;
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Cosine similarities the scorer uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Semantic {
    pub model: String,
    /// The whole answer against the question asked.
    pub question: f32,
    /// Per key point in play (in the target's order): the best-matching answer sentence's
    /// cosine and that sentence's byte offset in the answer.
    pub key_points: Vec<(f32, usize)>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// At most this many sentences are embedded per answer (a long answer's first sentences
/// carry its content; the whole answer is always embedded too).
const MAX_SENTENCES: usize = 12;

/// Embeds the question, the key points, the answer and its sentences in one batch.
pub fn measure(
    embedder: &dyn Embedder,
    question: &str,
    key_points: &[&str],
    answer: &str,
) -> Result<Semantic, EmbedError> {
    let spans: Vec<(usize, usize)> = sentences(answer)
        .into_iter()
        .filter(|(s, e)| answer[*s..*e].trim().chars().count() >= 4)
        .take(MAX_SENTENCES)
        .collect();
    let mut texts: Vec<&str> = Vec::with_capacity(2 + key_points.len() + spans.len());
    texts.push(question);
    texts.push(answer);
    texts.extend(key_points);
    texts.extend(spans.iter().map(|(s, e)| answer[*s..*e].trim()));
    let vectors = embedder.embed(&texts)?;
    if vectors.len() != texts.len() {
        return Err(EmbedError(format!(
            "{} vectors for {} texts",
            vectors.len(),
            texts.len()
        )));
    }
    let answer_vector = &vectors[1];
    let sentence_vectors = &vectors[2 + key_points.len()..];
    let key_points = (0..key_points.len())
        .map(|k| {
            let point = &vectors[2 + k];
            let mut best = (dot(answer_vector, point), 0usize);
            for (vector, (start, _)) in sentence_vectors.iter().zip(&spans) {
                let similarity = dot(vector, point);
                if similarity > best.0 {
                    best = (similarity, *start);
                }
            }
            best
        })
        .collect();
    Ok(Semantic {
        model: embedder.name().to_owned(),
        question: dot(answer_vector, &vectors[0]),
        key_points,
    })
}

impl Embedder for crate::e5::E5Model {
    fn name(&self) -> &str {
        "multilingual-e5-small"
    }

    /// Symmetric similarity (answer against question or key point): the same "query: "
    /// prefix on both sides, as E5 prescribes for symmetric tasks.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        crate::e5::E5Model::embed(self, texts, crate::e5::EmbedKind::Query)
            .map_err(|e| EmbedError(e.to_string()))
    }
}
