//! Language-neutral text measures shared by the scorer and the speech metrics, so "a word" and
//! "a filler" mean the same everywhere: Latin words, Chinese characters at 1.5 to a word, and
//! one filler list for Chinese and English.

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x9FFF)
}

/// Words: Latin words plus Chinese characters counted at 1.5 characters a word, which puts
/// Chinese and English answers of the same substance on one scale.
pub fn word_count(text: &str) -> f32 {
    let latin = text
        .split(|c: char| !c.is_alphanumeric() || is_cjk(c))
        .filter(|w| !w.is_empty())
        .count();
    let cjk = text.chars().filter(|&c| is_cjk(c)).count();
    latin as f32 + cjk as f32 / 1.5
}

pub const FILLERS: &[&str] = &[
    "嗯",
    "呃",
    "啊",
    "那个",
    "就是说",
    "然后呢",
    "对吧",
    "怎么说呢",
    "um",
    "uh",
    "erm",
    "you know",
    "i mean",
    "kind of",
    "sort of",
    "like,",
    "basically",
    "actually",
];

/// Fillers in `text`: Chinese ones as substrings, English ones as whole words.
pub fn filler_count(text: &str) -> usize {
    filler_spans(text).len()
}

/// Byte ranges of the fillers in `text`, in order (same rules as [`filler_count`]). The
/// fillers are ASCII or CJK, so ASCII lower-casing suffices and keeps the offsets.
pub fn filler_spans(text: &str) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut spans: Vec<(usize, usize)> = FILLERS
        .iter()
        .flat_map(|filler| {
            let lower = &lower;
            lower
                .match_indices(filler)
                .filter(move |(at, m)| {
                    if !filler.is_ascii() {
                        return true;
                    }
                    let before = lower[..*at].chars().next_back();
                    let after = lower[at + m.len()..].chars().next();
                    !before.is_some_and(char::is_alphanumeric)
                        && !after.is_some_and(char::is_alphanumeric)
                })
                .map(|(at, m)| (at, at + m.len()))
        })
        .collect();
    spans.sort_unstable();
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_fillers_in_both_languages() {
        assert!((word_count("hello world") - 2.0).abs() < 1e-6);
        assert!((word_count("你好世界") - 4.0 / 1.5).abs() < 1e-6);
        assert_eq!(filler_count("Um, I mean, 嗯 那个 — umbrella, likely"), 4);
        assert_eq!(filler_count("so basically, you know"), 2);
    }
}
