//! Word and character error rates for judging transcripts against references, with the
//! normalisation both sides need: case and punctuation removed, number words and numerals as
//! digits (Whisper writes "1, 2, 3" for "one two three" and 1234 for 一二三四), each digit a
//! token of its own so "12345678910" and "one two … ten" compare equal.

const ENGLISH_NUMBERS: [&str; 11] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];
const CHINESE_NUMERALS: [char; 11] = [
    '零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十',
];

fn split_digits(token: String) -> Vec<String> {
    if token.chars().all(|c| c.is_ascii_digit()) {
        token.chars().map(String::from).collect()
    } else {
        vec![token]
    }
}

/// Words for English WER.
pub fn english_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| match ENGLISH_NUMBERS.iter().position(|n| *n == w) {
            Some(i) => i.to_string(),
            None => w.to_owned(),
        })
        .flat_map(split_digits)
        .collect()
}

/// Characters for Chinese CER (spaces and punctuation dropped, 十 as "10").
pub fn chinese_chars(text: &str) -> Vec<String> {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| match CHINESE_NUMERALS.iter().position(|n| *n == c) {
            Some(10) => vec!["1".to_owned(), "0".to_owned()],
            Some(i) => vec![i.to_string()],
            None => vec![c.to_string()],
        })
        .collect()
}

/// Tokens for the language: characters for Chinese and Japanese, words otherwise.
pub fn tokens(text: &str, language: &str) -> Vec<String> {
    match language {
        "zh" | "ja" | "yue" => chinese_chars(text),
        _ => english_words(text),
    }
}

/// Levenshtein distance over tokens (substitutions + insertions + deletions).
pub fn edit_distance(reference: &[String], hypothesis: &[String]) -> usize {
    let mut row: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, x) in reference.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in hypothesis.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal
            } else {
                1 + diagonal.min(row[j]).min(above)
            };
            diagonal = above;
        }
    }
    row[hypothesis.len()]
}

/// (errors, reference length) of a hypothesis.
pub fn errors(reference: &str, hypothesis: &str, language: &str) -> (usize, usize) {
    let r = tokens(reference, language);
    let h = tokens(hypothesis, language);
    (edit_distance(&r, &h), r.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_makes_equivalent_writings_equal() {
        assert_eq!(errors("One two three.", "1, 2, 3", "en"), (0, 3));
        assert_eq!(errors("one two ten", "1210", "en"), (0, 4));
        assert_eq!(
            errors("一二三四五六七八九十。", "12345678910", "zh"),
            (0, 11)
        );
        assert_eq!(errors("你好世界。", "你好事件", "zh"), (2, 4));
        assert_eq!(
            errors("the quick brown fox", "the quick fox jumps", "en"),
            (2, 4)
        );
        assert_eq!(errors("", "", "en"), (0, 0));
    }
}
