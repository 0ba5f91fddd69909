//! Meaning-level relevance from a sentence-embedding model: how close the answer is to the
//! question, and which key points some sentence of the answer expresses even in other words.
//! The model sits behind [`Embedder`]; the scorer takes the resulting [`Semantic`] signal and
//! falls back to its lexical rules (and says so) when there is none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::text::sentences;

#[derive(Debug, thiserror::Error)]
#[error("sentence embedding failed: {0}")]
pub struct EmbedError(pub String);

/// A sentence-embedding model: L2-normalised vectors, one per text, comparable by dot product.
pub trait Embedder: Send + Sync {
    fn name(&self) -> &str;
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Texts that come back (questions, key points): an embedder may keep their vectors, so
    /// that embedding them ahead of the answer takes them off the answer's critical path.
    fn embed_recurring(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed(texts)
    }
}

/// An [`Embedder`] that remembers the vectors of recurring texts. Bounded: two generations
/// of at most `capacity / 2` entries each; a full young generation becomes the old one and
/// the old one is dropped, so memory stays fixed and recently used texts survive.
pub struct CachingEmbedder {
    inner: Arc<dyn Embedder>,
    capacity: usize,
    generations: Mutex<[HashMap<String, Arc<[f32]>>; 2]>,
}

impl CachingEmbedder {
    pub fn new(inner: Arc<dyn Embedder>, capacity: usize) -> Self {
        Self {
            inner,
            capacity: capacity.max(2),
            generations: Mutex::new([HashMap::new(), HashMap::new()]),
        }
    }

    fn lookup(&self, text: &str) -> Option<Arc<[f32]>> {
        let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(vector) = generations[0].get(text) {
            return Some(vector.clone());
        }
        let vector = generations[1].remove(text)?;
        self.insert_locked(&mut generations, text, vector.clone());
        Some(vector)
    }

    fn insert_locked(
        &self,
        generations: &mut [HashMap<String, Arc<[f32]>>; 2],
        text: &str,
        vector: Arc<[f32]>,
    ) {
        if generations[0].len() >= self.capacity / 2 {
            generations[1] = std::mem::take(&mut generations[0]);
        }
        generations[0].insert(text.to_owned(), vector);
    }

    /// Texts whose vectors are held (for tests and metrics).
    pub fn len(&self) -> usize {
        let generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        generations[0].len() + generations[1].len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Embedder for CachingEmbedder {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed(texts)
    }

    fn embed_recurring(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out: Vec<Option<Vec<f32>>> = texts
            .iter()
            .map(|t| self.lookup(t).map(|v| v.to_vec()))
            .collect();
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
        if !missing.is_empty() {
            let batch: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            let vectors = checked(self.inner.embed(&batch)?, batch.len())?;
            let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
            for (&i, vector) in missing.iter().zip(vectors) {
                self.insert_locked(&mut generations, texts[i], Arc::from(vector.as_slice()));
                out[i] = Some(vector);
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }
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

/// Embeds the question and key points (recurring: see [`Embedder::embed_recurring`]), then
/// the answer and its sentences.
pub fn measure(
    embedder: &dyn Embedder,
    question: &str,
    key_points: &[&str],
    answer: &str,
) -> Result<Semantic, EmbedError> {
    let mut recurring: Vec<&str> = Vec::with_capacity(1 + key_points.len());
    recurring.push(question);
    recurring.extend(key_points);
    let recurring_vectors = checked(embedder.embed_recurring(&recurring)?, recurring.len())?;

    let spans: Vec<(usize, usize)> = sentences(answer)
        .into_iter()
        .filter(|(s, e)| answer[*s..*e].trim().chars().count() >= 4)
        .take(MAX_SENTENCES)
        .collect();
    // A one-sentence answer is its own only sentence: embed it once.
    let answer_is_one_sentence =
        spans.len() == 1 && answer[spans[0].0..spans[0].1].trim() == answer.trim();
    let mut texts: Vec<&str> = Vec::with_capacity(1 + spans.len());
    texts.push(answer);
    if !answer_is_one_sentence {
        texts.extend(spans.iter().map(|(s, e)| answer[*s..*e].trim()));
    }
    let vectors = checked(embedder.embed(&texts)?, texts.len())?;
    let answer_vector = &vectors[0];
    let sentence_vectors = if answer_is_one_sentence {
        &vectors[..]
    } else {
        &vectors[1..]
    };
    let key_points = recurring_vectors[1..]
        .iter()
        .map(|point| {
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
        question: dot(answer_vector, &recurring_vectors[0]),
        key_points,
    })
}

fn checked(vectors: Vec<Vec<f32>>, expected: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    if vectors.len() != expected {
        return Err(EmbedError(format!(
            "{} vectors for {} texts",
            vectors.len(),
            expected
        )));
    }
    Ok(vectors)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the texts it is asked to embed; a text's vector is its length and first byte,
    /// so vectors are distinguishable and order mistakes show.
    #[derive(Default)]
    struct Counting {
        texts: AtomicUsize,
    }

    impl Embedder for Counting {
        fn name(&self) -> &str {
            "counting"
        }

        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.texts.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts
                .iter()
                .map(|t| vec![t.len() as f32, f32::from(t.bytes().next().unwrap_or(0))])
                .collect())
        }
    }

    #[test]
    fn recurring_texts_are_embedded_once_and_returned_in_order() {
        let inner = Arc::new(Counting::default());
        let cache = CachingEmbedder::new(inner.clone(), 64);
        let first = cache.embed_recurring(&["a", "bb"]).unwrap();
        let second = cache.embed_recurring(&["ccc", "bb", "a"]).unwrap();
        assert_eq!(inner.texts.load(Ordering::SeqCst), 3);
        assert_eq!(second[1], first[1]);
        assert_eq!(second[2], first[0]);
        assert_eq!(second[0], vec![3.0, f32::from(b'c')]);
        // Answers are not kept.
        cache.embed(&["an answer"]).unwrap();
        cache.embed(&["an answer"]).unwrap();
        assert_eq!(inner.texts.load(Ordering::SeqCst), 5);
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn the_cache_stays_bounded_and_keeps_recent_texts() {
        let inner = Arc::new(Counting::default());
        let cache = CachingEmbedder::new(inner.clone(), 10);
        let texts: Vec<String> = (0..100).map(|i| format!("question {i}")).collect();
        for text in &texts {
            cache.embed_recurring(&[text]).unwrap();
            assert!(cache.len() <= 10);
        }
        let before = inner.texts.load(Ordering::SeqCst);
        cache.embed_recurring(&[&texts[99], &texts[98]]).unwrap();
        assert_eq!(inner.texts.load(Ordering::SeqCst), before);
        cache.embed_recurring(&[&texts[0]]).unwrap();
        assert_eq!(inner.texts.load(Ordering::SeqCst), before + 1);
    }

    #[test]
    fn a_one_sentence_answer_is_embedded_once() {
        let inner = Counting::default();
        let semantic = measure(&inner, "Why Redis?", &["latency"], "Because it is fast.").unwrap();
        assert_eq!(inner.texts.load(Ordering::SeqCst), 3);
        assert_eq!(semantic.key_points.len(), 1);
        let two = measure(
            &inner,
            "Why Redis?",
            &["latency"],
            "It is fast. It is simple.",
        )
        .unwrap();
        assert_eq!(inner.texts.load(Ordering::SeqCst), 3 + 2 + 3);
        assert_eq!(two.key_points.len(), 1);
    }
}
