//! Text measures the scorer builds on, for Chinese and English alike: keyword presence,
//! sentences with their byte spans, word counts, numbers, fillers and first-person actions.

use std::sync::LazyLock;

use regex::Regex;

pub use mianshi_core::text::{filler_count, is_cjk, word_count};

/// Whether `keyword` occurs in `lower` (the answer, lower-cased): as a substring for Chinese
/// keywords, on word boundaries for Latin ones.
pub fn contains_keyword(lower: &str, keyword: &str) -> Option<usize> {
    let keyword = keyword.trim().to_lowercase();
    if keyword.is_empty() {
        return None;
    }
    if keyword.chars().any(is_cjk) {
        return lower.find(&keyword);
    }
    lower.match_indices(&keyword).map(|(at, _)| at).find(|&at| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + keyword.len()..].chars().next();
        let boundary = |c: Option<char>| !c.is_some_and(|c| c.is_ascii_alphanumeric());
        // Inflections still count: "snapshots" for "snapshot", "indexing" for "index".
        let inflected = lower[at + keyword.len()..].starts_with(['s', 'e'])
            || lower[at + keyword.len()..].starts_with("ing");
        boundary(before) && (boundary(after) || (keyword.len() >= 4 && inflected))
    })
}

/// Sentences as byte ranges (split on 。！？.!?; and line breaks).
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (at, ch) in text.char_indices() {
        if matches!(ch, '。' | '！' | '？' | '!' | '?' | '\n' | '；' | ';')
            || (ch == '.' && text[at + 1..].starts_with(|c: char| c.is_whitespace() || c == '\n'))
        {
            let end = at + ch.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push((start, end));
            }
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push((start, text.len()));
    }
    out
}

/// The sentence that contains byte offset `at`, trimmed.
pub fn sentence_at(text: &str, at: usize) -> (usize, usize) {
    sentences(text)
        .into_iter()
        .find(|(s, e)| *s <= at && at < *e)
        .map(|(s, e)| {
            let slice = &text[s..e];
            let lead = slice.len() - slice.trim_start().len();
            let trail = slice.len() - slice.trim_end().len();
            (s + lead, e - trail)
        })
        .unwrap_or((0, text.len()))
}

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\d+(?:\.\d+)?\s*(?:%|％|ms|s\b|秒|分钟|小时|天|倍|万|亿|千|k\b|m\b|gb|mb|tb|qps|tps|rps|x\b|人|个|次|条|台|行)?|[一二三四五六七八九十两百千万]+\s*(?:个|倍|人|次|万|秒|天)").unwrap()
});

pub fn numbers(text: &str) -> Vec<(usize, usize)> {
    NUMBER
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect()
}

static OWN_ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)我(?:们)?(?:主要)?(?:负责|主导|设计|实现|开发|推动|决定|提出|搭建|优化|重构|排查|定位|协调|组织|带领|编写|引入|发现|分析|沟通|说服|写了|做了|牵头)|\bi\s+(?:led|built|designed|implemented|wrote|owned|decided|proposed|introduced|drove|created|migrated|refactored|debugged|found|fixed|set up|organized|organised|coordinated|convinced|measured|ran|reduced|improved|started|mentored|took)\b|\bmy (?:role|part|job|responsibility)\b").unwrap()
});

pub fn own_actions(text: &str) -> Vec<(usize, usize)> {
    OWN_ACTION
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect()
}

static REASONING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)因为|所以|原因|取舍|权衡|代价|但是|不过|相比|而不是|否则|如果|区别|优点|缺点|瓶颈|\bbecause\b|\bso that\b|\btherefore\b|\btrade-?offs?\b|\bhowever\b|\binstead\b|\bunless\b|\bcompared\b|\bwhereas\b|\bdownside\b|\bbottleneck\b|\bif\b|\bwhy\b").unwrap()
});

pub fn reasoning_markers(text: &str) -> usize {
    REASONING.find_iter(text).count()
}

static STRUCTURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)首先|其次|然后|最后|第一|第二|第三|一方面|另一方面|总结|总的来说|\bfirst(?:ly)?\b|\bsecond(?:ly)?\b|\bthen\b|\bfinally\b|\bin short\b|\boverall\b|\bto sum up\b").unwrap()
});

pub fn structure_markers(text: &str) -> usize {
    STRUCTURE.find_iter(text).count()
}

/// Content words of a text (lower-case Latin words of 3+ letters and Chinese bigrams), for
/// the lexical relevance of an answer to its question.
pub fn content_terms(text: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "the", "and", "for", "you", "your", "with", "that", "this", "what", "how", "why", "when",
        "which", "would", "does", "did", "was", "were", "are", "have", "has", "from", "into",
        "about", "there", "their", "they", "them", "our", "can", "could", "should", "will", "its",
        "not", "but", "all", "any", "one", "use", "used",
    ];
    const STOP_ZH: &[&str] = &[
        "什么", "怎么", "如何", "为什", "么是", "一下", "一个", "你的", "我们", "可以", "这个",
        "那个", "是否", "有哪", "哪些",
    ];
    let lower = text.to_lowercase();
    let mut terms: Vec<String> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3 && !STOP.contains(w))
        .map(str::to_owned)
        .collect();
    let cjk: Vec<char> = lower.chars().collect();
    for pair in cjk.windows(2) {
        if is_cjk(pair[0]) && is_cjk(pair[1]) {
            let bigram: String = pair.iter().collect();
            if !STOP_ZH.contains(&bigram.as_str()) {
                terms.push(bigram);
            }
        }
    }
    terms.sort();
    terms.dedup();
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whole_words_and_chinese_substrings() {
        assert!(contains_keyword("we used rdb snapshots", "snapshot").is_some());
        assert!(contains_keyword("the cache was cold", "ache").is_none());
        assert!(contains_keyword("用 aof 记录写命令", "写命令").is_some());
        assert!(contains_keyword("everysec fsync", "fsync").is_some());
    }

    #[test]
    fn sentences_and_measures() {
        let text = "首先我负责缓存。QPS 从 2000 提升到 12000！Then I led the rollout. Done";
        assert_eq!(sentences(text).len(), 4);
        assert!(own_actions(text).len() >= 2);
        assert!(numbers(text).len() >= 2);
        assert!(structure_markers(text) >= 2);
    }
}
