//! Word timestamps from cross-attention, following openai/whisper `timing.py`
//! (`find_alignment`, `dtw_cpu`, `median_filter`, `merge_punctuations`,
//! `add_word_timestamps`) and `tokenizer.split_to_word_tokens`.
//!
//! A forced decoder pass over a window's text reads the cross-attention of the model's
//! alignment heads (config.json `alignment_heads`); each head's scores are softmaxed over the
//! window's real audio frames, standardised per frame across tokens, median-filtered (width 7)
//! along time and averaged over heads. Dynamic time warping through the negated matrix gives
//! a monotonic token → frame path; a word starts where the path first reaches its first token
//! and ends where it reaches the next word's first token. Frames are 20 ms.

use candle_core::{DType, Tensor, D};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::WhisperWeights;
use super::tokenizer::Tokenizer;
use super::{round2, WhisperError};

/// Seconds per encoder frame (whisper's `TOKENS_PER_SECOND` = 50).
const FRAME_SECONDS: f64 = 0.02;
const MEDIAN_FILTER_WIDTH: usize = 7;
/// openai/whisper's defaults for `merge_punctuations`.
const PREPEND_PUNCTUATION: &str = "\"'“¿([{-";
const APPEND_PUNCTUATION: &str = "\"'.。,，!！?？:：”)]}、";

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Word {
    /// Seconds from the start of the audio.
    pub start: f64,
    pub end: f64,
    /// The word as decoded, with its leading space in space-separated languages.
    pub word: String,
    /// Mean probability of the word's tokens in the forced pass.
    pub probability: f64,
}

/// Languages written without spaces: every character is a word.
fn splits_on_characters(language: &str) -> bool {
    matches!(language, "zh" | "ja" | "th" | "lo" | "my" | "yue")
}

/// Groups `tokens` (text tokens, then `eot`) into words: whole characters first (a character
/// may span tokens), then, for space-separated languages, a new word at a leading space or
/// punctuation.
pub fn split_words(
    tokenizer: &Tokenizer,
    tokens: &[u32],
    language: &str,
) -> Vec<(String, Vec<u32>)> {
    let mut units: Vec<(String, Vec<u32>)> = Vec::new();
    let mut pending: Vec<u32> = Vec::new();
    let mut bytes: Vec<u8> = Vec::new();
    for &token in tokens {
        if token >= tokenizer.eot && !pending.is_empty() {
            // An unfinished character before a special token stays a unit of its own.
            units.push((
                String::from_utf8_lossy(&bytes).into_owned(),
                std::mem::take(&mut pending),
            ));
            bytes.clear();
        }
        pending.push(token);
        bytes.extend_from_slice(tokenizer.piece(token));
        let complete = token >= tokenizer.eot || std::str::from_utf8(&bytes).is_ok();
        // A token run that never forms valid UTF-8 is flushed at 8 bytes so it cannot swallow
        // the rest of the window.
        if complete || bytes.len() >= 8 {
            units.push((
                String::from_utf8_lossy(&bytes).into_owned(),
                std::mem::take(&mut pending),
            ));
            bytes.clear();
        }
    }
    if !pending.is_empty() {
        units.push((String::from_utf8_lossy(&bytes).into_owned(), pending));
    }
    if splits_on_characters(language) {
        return units;
    }
    let mut words: Vec<(String, Vec<u32>)> = Vec::new();
    for (text, unit_tokens) in units {
        let special = unit_tokens[0] >= tokenizer.eot;
        let with_space = text.starts_with(' ');
        let trimmed = text.trim();
        let punctuation = !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_punctuation());
        match words.last_mut() {
            Some((word, word_tokens)) if !(special || with_space || punctuation) => {
                word.push_str(&text);
                word_tokens.extend(unit_tokens);
            }
            _ => words.push((text, unit_tokens)),
        }
    }
    words
}

/// Median over a sliding window along each row, edges reflected (scipy / torch `reflect`).
fn median_filter(row: &mut [f32], width: usize) {
    let n = row.len();
    let half = width / 2;
    if n <= half {
        return;
    }
    let source = row.to_vec();
    let reflect = |i: isize| -> f32 {
        let n = n as isize;
        let j = if i < 0 {
            -i
        } else if i >= n {
            2 * (n - 1) - i
        } else {
            i
        };
        source[j.clamp(0, n - 1) as usize]
    };
    let mut window = vec![0f32; width];
    for (i, out) in row.iter_mut().enumerate() {
        for (k, slot) in window.iter_mut().enumerate() {
            *slot = reflect(i as isize + k as isize - half as isize);
        }
        window.sort_by(f32::total_cmp);
        *out = window[half];
    }
}

/// Minimum-cost monotonic path through `cost` (`rows × cols`, row-major) from the top-left
/// to the bottom-right corner; returns (row, col) steps in order (openai `dtw_cpu`).
fn dtw(cost: &[f32], rows: usize, cols: usize) -> Vec<(usize, usize)> {
    let width = cols + 1;
    let mut total = vec![f32::INFINITY; (rows + 1) * width];
    let mut trace = vec![0u8; (rows + 1) * width];
    total[0] = 0.0;
    for j in 1..=cols {
        for i in 1..=rows {
            let diagonal = total[(i - 1) * width + j - 1];
            let up = total[(i - 1) * width + j];
            let left = total[i * width + j - 1];
            let (best, step) = if diagonal <= up && diagonal <= left {
                (diagonal, 0)
            } else if up <= left {
                (up, 1)
            } else {
                (left, 2)
            };
            total[i * width + j] = cost[(i - 1) * cols + j - 1] + best;
            trace[i * width + j] = step;
        }
    }
    let (mut i, mut j) = (rows, cols);
    let mut path = Vec::with_capacity(rows + cols);
    while i > 0 || j > 0 {
        path.push((i.saturating_sub(1), j.saturating_sub(1)));
        let step = if i == 0 {
            2
        } else if j == 0 {
            1
        } else {
            trace[i * width + j]
        };
        match step {
            0 => {
                i -= 1;
                j -= 1;
            }
            1 => i -= 1,
            _ => j -= 1,
        }
    }
    path.reverse();
    path
}

/// One window's segments, as text tokens (no timestamps), to be timed word by word.
pub struct WindowText<'a> {
    pub sot_sequence: &'a [u32],
    pub segments: &'a [Vec<u32>],
    pub language: &'a str,
    /// Mel frames of real audio in the window (at most 3000).
    pub mel_frames: usize,
    /// Seconds of the window's start from the start of the audio.
    pub offset: f64,
    /// The window's 16 kHz samples, to pull word edges out of silence.
    pub samples: &'a [f32],
}

/// Words with times for each of the window's segments.
pub fn align_window(
    weights: &WhisperWeights,
    tokenizer: &Tokenizer,
    heads: &[(usize, usize)],
    audio: &Tensor,
    window: &WindowText,
) -> Result<Vec<Vec<Word>>, WhisperError> {
    let text_tokens: Vec<u32> = window.segments.iter().flatten().copied().collect();
    if text_tokens.is_empty() || heads.is_empty() {
        return Ok(vec![Vec::new(); window.segments.len()]);
    }
    let mut tokens = window.sot_sequence.to_vec();
    tokens.push(tokenizer.no_timestamps);
    let first_text = tokens.len();
    tokens.extend(&text_tokens);
    tokens.push(tokenizer.eot);

    let mut state = weights.start(audio)?;
    let (scores, log_probs) = weights.align(&mut state, &tokens, heads)?;
    let frames = (window.mel_frames / 2).clamp(1, scores.dim(D::Minus1)?);
    let weights_per_head =
        candle_nn::ops::softmax_last_dim(&scores.narrow(2, 0, frames)?.contiguous()?)?;
    // Standardise every frame across tokens, per head (torch.std_mean over dim -2, unbiased).
    let mean = weights_per_head.mean_keepdim(1)?;
    let centred = weights_per_head.broadcast_sub(&mean)?;
    let n_tokens = tokens.len();
    let variance = (centred.sqr()?.sum_keepdim(1)? / (n_tokens.max(2) - 1) as f64)?;
    let standardised = centred.broadcast_div(&(variance.sqrt()? + 1e-10)?)?;
    let mut per_head: Vec<Vec<Vec<f32>>> = standardised.to_dtype(DType::F32)?.to_vec3()?;
    for head in &mut per_head {
        for row in head.iter_mut() {
            median_filter(row, MEDIAN_FILTER_WIDTH);
        }
    }
    // Rows from the <|notimestamps|> position (whose query predicts the first text token)
    // to the last text token: one row per text token plus the end.
    let rows = text_tokens.len() + 1;
    let mut matrix = vec![0f32; rows * frames];
    for head in &per_head {
        for r in 0..rows {
            for (f, value) in head[first_text - 1 + r].iter().enumerate() {
                matrix[r * frames + f] -= value / per_head.len() as f32;
            }
        }
    }
    let path = dtw(&matrix, rows, frames);
    // Time at which the path first reaches each row.
    let mut jump_times = vec![0f64; rows];
    let mut last_row = usize::MAX;
    for &(row, col) in &path {
        if row != last_row {
            jump_times[row] = col as f64 * FRAME_SECONDS;
            last_row = row;
        }
    }

    let log_probs: Vec<Vec<f32>> = log_probs.to_vec2()?;
    let token_probability = |k: usize| -> f64 {
        // The logits at position p predict token p + 1.
        let (Some(row), Some(&token)) = (log_probs.get(first_text - 1 + k), text_tokens.get(k))
        else {
            return 0.0;
        };
        row.get(token as usize).map_or(0.0, |&l| f64::from(l).exp())
    };

    let mut all_tokens = text_tokens.clone();
    all_tokens.push(tokenizer.eot);
    let words = split_words(tokenizer, &all_tokens, window.language);
    let mut timed: Vec<Word> = Vec::with_capacity(words.len());
    let mut boundary = 0usize;
    for (text, word_tokens) in &words {
        if word_tokens[0] >= tokenizer.eot {
            break;
        }
        let next = (boundary + word_tokens.len()).min(text_tokens.len());
        let probability =
            (boundary..next).map(token_probability).sum::<f64>() / word_tokens.len() as f64;
        timed.push(Word {
            start: jump_times[boundary],
            end: jump_times[next.min(rows - 1)],
            word: text.clone(),
            probability,
        });
        boundary = next;
    }
    clamp_long_words(&mut timed);
    trim_to_sound(&mut timed, window.samples);
    if splits_on_characters(window.language) {
        timed = split_characters(timed);
    }
    merge_punctuations(&mut timed);

    // Hand the words back to their segments, in order, by token count.
    let mut out = Vec::with_capacity(window.segments.len());
    let mut words = timed.into_iter().peekable();
    let mut consumed_text = String::new();
    for segment in window.segments {
        let target = tokenizer.decode(segment);
        let mut these = Vec::new();
        consumed_text.clear();
        while consumed_text.len() < target.len() {
            let Some(mut word) = words.next() else { break };
            consumed_text.push_str(&word.word);
            word.start = round2(window.offset + word.start);
            word.end = round2(window.offset + word.end);
            these.push(word);
        }
        out.push(these);
    }
    // Anything left (a decode mismatch) goes to the last segment rather than being lost.
    if let Some(last) = out.last_mut() {
        for mut word in words {
            word.start = round2(window.offset + word.start);
            word.end = round2(window.offset + word.end);
            last.push(word);
        }
    }
    Ok(out)
}

/// openai/whisper truncates words at sentence ends that the alignment stretched over a pause
/// (longer than twice the median word, at most 0.7 s for the median).
fn clamp_long_words(words: &mut [Word]) {
    let mut durations: Vec<f64> = words
        .iter()
        .map(|w| w.end - w.start)
        .filter(|&d| d > 0.0)
        .collect();
    if durations.is_empty() {
        return;
    }
    durations.sort_by(f64::total_cmp);
    let median = durations[durations.len() / 2].min(0.7);
    let max = median * 2.0;
    let sentence_end = ['.', '。', '!', '！', '?', '？'];
    for i in 0..words.len() {
        if words[i].end - words[i].start <= max {
            continue;
        }
        let text = words[i].word.trim();
        if text.ends_with(sentence_end) || i + 1 == words.len() {
            words[i].end = words[i].start + max;
        } else if i > 0 && words[i - 1].word.trim().ends_with(sentence_end) {
            words[i].start = (words[i].end - max).max(words[i].start);
        }
    }
}

/// A token may carry several characters ("你好"); where every character is a word, they
/// share the token's time evenly.
fn split_characters(words: Vec<Word>) -> Vec<Word> {
    let mut out = Vec::with_capacity(words.len());
    for word in words {
        let chars: Vec<char> = word.word.chars().collect();
        if chars.len() <= 1 {
            out.push(word);
            continue;
        }
        let step = (word.end - word.start) / chars.len() as f64;
        for (i, c) in chars.iter().enumerate() {
            out.push(Word {
                start: word.start + step * i as f64,
                end: word.start + step * (i + 1) as f64,
                word: c.to_string(),
                probability: word.probability,
            });
        }
    }
    out
}

/// Cross-attention cannot see silence: the path starts at frame 0, so the first word after
/// a pause is stretched back over it. Word edges that fall in frames far quieter than the
/// window's speech move inward to the first and last audible frame of the word.
fn trim_to_sound(words: &mut [Word], samples: &[f32]) {
    const FRAME: usize = 320; // 20 ms at 16 kHz, the alignment's resolution
    let levels: Vec<f32> = samples
        .chunks(FRAME)
        .map(|c| {
            let power = c.iter().map(|x| x * x).sum::<f32>() / c.len() as f32;
            10.0 * power.max(1e-12).log10()
        })
        .collect();
    if levels.is_empty() {
        return;
    }
    let mut sorted = levels.clone();
    sorted.sort_by(f32::total_cmp);
    let loud = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
    // 35 dB under the loud frames, and never above -50 dBFS: quiet speakers keep their words.
    let floor = (loud - 35.0).min(-50.0);
    let audible = |t: f64| -> bool {
        let i = (t / FRAME_SECONDS) as usize;
        levels.get(i).is_some_and(|&l| l > floor)
    };
    for word in words.iter_mut() {
        let mut start = word.start;
        while start + FRAME_SECONDS < word.end && !audible(start) {
            start += FRAME_SECONDS;
        }
        let mut end = word.end;
        while end - FRAME_SECONDS > start && !audible(end - FRAME_SECONDS) {
            end -= FRAME_SECONDS;
        }
        if audible(start) {
            word.start = start;
            word.end = end;
        }
    }
}

/// Attaches opening punctuation to the following word and closing punctuation to the
/// preceding one (openai `merge_punctuations`).
fn merge_punctuations(words: &mut Vec<Word>) {
    let mut merged: Vec<Word> = Vec::with_capacity(words.len());
    let mut carry: Option<Word> = None;
    for mut word in words.drain(..) {
        let trimmed = word.word.trim().to_owned();
        if !trimmed.is_empty() && trimmed.chars().all(|c| PREPEND_PUNCTUATION.contains(c)) {
            carry = Some(match carry {
                Some(mut c) => {
                    c.word.push_str(&word.word);
                    c
                }
                None => word,
            });
            continue;
        }
        if let Some(c) = carry.take() {
            word.word = format!("{}{}", c.word, word.word.trim_start());
            if c.word.starts_with(' ') && !word.word.starts_with(' ') {
                word.word.insert(0, ' ');
            }
        }
        let closing =
            !trimmed.is_empty() && trimmed.chars().all(|c| APPEND_PUNCTUATION.contains(c));
        match merged.last_mut() {
            Some(previous) if closing && !word.word.starts_with(' ') => {
                previous.word.push_str(&word.word);
                previous.end = previous.end.max(word.end);
            }
            _ => merged.push(word),
        }
    }
    if let Some(c) = carry {
        merged.push(c);
    }
    *words = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtw_follows_the_cheap_diagonal() {
        // 3 rows × 6 columns, cheap cells along a staircase.
        let mut cost = vec![1.0f32; 18];
        for (r, c) in [(0, 0), (0, 1), (1, 2), (1, 3), (2, 4), (2, 5)] {
            cost[r * 6 + c] = 0.0;
        }
        let path = dtw(&cost, 3, 6);
        assert_eq!(path.first(), Some(&(0, 0)));
        assert_eq!(path.last(), Some(&(2, 5)));
        assert!(
            path.iter().all(|&(r, c)| cost[r * 6 + c] == 0.0),
            "{path:?}"
        );
    }

    #[test]
    fn median_filter_removes_spikes_and_keeps_edges() {
        let mut row = vec![0.0, 0.0, 9.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        median_filter(&mut row, 3);
        assert_eq!(row, vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    }

    fn word(text: &str, start: f64, end: f64) -> Word {
        Word {
            start,
            end,
            word: text.into(),
            probability: 1.0,
        }
    }

    #[test]
    fn punctuation_joins_its_neighbours() {
        let mut words = vec![
            word(" \"", 0.0, 0.1),
            word("Hello", 0.1, 0.5),
            word(",", 0.5, 0.6),
            word(" world", 0.6, 1.0),
            word(".", 1.0, 1.1),
        ];
        merge_punctuations(&mut words);
        let texts: Vec<&str> = words.iter().map(|w| w.word.as_str()).collect();
        assert_eq!(texts, [" \"Hello,", " world."]);
        assert_eq!(words[1].end, 1.1);
    }

    #[test]
    fn a_word_stretched_over_a_pause_is_cut_back() {
        let mut words = vec![
            word(" one", 0.0, 0.3),
            word(" two", 0.3, 0.6),
            word(" three.", 0.6, 3.0),
        ];
        clamp_long_words(&mut words);
        assert!((words[2].end - 1.2).abs() < 1e-9, "{words:?}");
    }
}
