//! The skill taxonomy (`data/skills.toml`) and the matcher that finds its skills in text.
//!
//! ASCII aliases match case-insensitively on whole words; Chinese aliases match as substrings.
//! Aliases marked `ambiguous` ("Go", "C", "R", "PS" …) are also ordinary words, so they count
//! only when written in the listed case and either inside a skills section or set off like a
//! list item (commas, slashes, 、, parentheses, line ends).

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;

const SKILLS_TOML: &str = include_str!("../data/skills.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct SkillEntry {
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub ambiguous: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct TaxonomyFile {
    version: u32,
    #[serde(default)]
    date_words: Vec<String>,
    skill: Vec<SkillEntry>,
}

struct Pattern {
    skill: usize,
    text: String,
    ambiguous: bool,
}

pub struct Taxonomy {
    pub version: u32,
    pub skills: Vec<SkillEntry>,
    patterns: Vec<Pattern>,
    matcher: AhoCorasick,
    by_name: HashMap<String, usize>,
    date_words: Vec<String>,
}

/// One mention of a skill in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillHit {
    pub skill: usize,
    pub start: usize,
    pub end: usize,
}

static TAXONOMY: LazyLock<Taxonomy> =
    LazyLock::new(|| Taxonomy::from_toml(SKILLS_TOML).expect("data/skills.toml is valid (tested)"));

/// The built-in taxonomy.
pub fn taxonomy() -> &'static Taxonomy {
    &TAXONOMY
}

fn is_word_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || ch == '_'
}

fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| matches!(c as u32, 0x3400..=0x9FFF))
}

/// Characters that set a list item apart.
fn is_list_separator(ch: char) -> bool {
    matches!(
        ch,
        ',' | '，'
            | '、'
            | '/'
            | '|'
            | ';'
            | '；'
            | '('
            | ')'
            | '（'
            | '）'
            | ':'
            | '：'
            | '\n'
            | '\t'
            | '•'
            | '·'
    )
}

impl Taxonomy {
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: TaxonomyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut patterns = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut by_name = HashMap::new();
        for (index, skill) in file.skill.iter().enumerate() {
            by_name.insert(skill.name.to_lowercase(), index);
            for alias in std::iter::once(&skill.name).chain(&skill.aliases) {
                let key = alias.to_lowercase();
                if let Some(&other) = seen.get(&key) {
                    if other != index {
                        return Err(format!(
                            "alias `{alias}` belongs to both {} and {}",
                            file.skill[other].name, skill.name
                        ));
                    }
                    continue;
                }
                seen.insert(key, index);
                patterns.push(Pattern {
                    skill: index,
                    text: alias.clone(),
                    ambiguous: skill.ambiguous.iter().any(|a| a == alias),
                });
            }
            for ambiguous in &skill.ambiguous {
                if !skill.aliases.contains(ambiguous) && &skill.name != ambiguous {
                    return Err(format!(
                        "`{ambiguous}` is marked ambiguous but is not an alias of {}",
                        skill.name
                    ));
                }
            }
        }
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(patterns.iter().map(|p| p.text.as_str()))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            version: file.version,
            skills: file.skill,
            patterns,
            matcher,
            by_name,
            date_words: file.date_words,
        })
    }

    pub fn skill(&self, index: usize) -> &SkillEntry {
        &self.skills[index]
    }

    /// The skill whose canonical name (or any alias) is `name`.
    pub fn lookup(&self, name: &str) -> Option<&SkillEntry> {
        if let Some(&index) = self.by_name.get(&name.to_lowercase()) {
            return Some(&self.skills[index]);
        }
        let lower = name.to_lowercase();
        self.patterns
            .iter()
            .find(|p| p.text.to_lowercase() == lower)
            .map(|p| &self.skills[p.skill])
    }

    /// Every skill mention in `text`. `in_skill_list(offset)` tells whether an offset lies in a
    /// skills section, where ambiguous aliases are trusted.
    pub fn find(&self, text: &str, in_skill_list: impl Fn(usize) -> bool) -> Vec<SkillHit> {
        let mut hits = Vec::new();
        for m in self.matcher.find_overlapping_iter(text) {
            let pattern = &self.patterns[m.pattern().as_usize()];
            let (start, end) = (m.start(), m.end());
            let matched = &text[start..end];
            let before = text[..start].chars().next_back();
            let after = text[end..].chars().next();
            if !has_cjk(&pattern.text) {
                let first_is_word = pattern.text.chars().next().is_some_and(is_word_char);
                let last_is_word = pattern.text.chars().next_back().is_some_and(is_word_char);
                if (first_is_word && before.is_some_and(is_word_char))
                    || (last_is_word && after.is_some_and(is_word_char))
                {
                    continue;
                }
                // "C" in "C++"/"C#" style names or "Go" in "Go-to" are other words.
                if after.is_some_and(|c| matches!(c, '+' | '#' | '-'))
                    && pattern.text.chars().count() <= 2
                {
                    continue;
                }
                // A dot right after ".NET"-like names is punctuation; a dot before means a file
                // extension or a domain ("site.ts").
                if before == Some('.') && first_is_word {
                    continue;
                }
            }
            // "Spring 2023" is a term, not the framework.
            if self.date_words.iter().any(|w| w == &pattern.text) && followed_by_year(&text[end..])
            {
                continue;
            }
            if pattern.ambiguous {
                let exact_case = matched == pattern.text;
                // An all-caps acronym of three or more letters written exactly so ("REST") is
                // meant; shorter ones ("ML", "PS") still need a list around them.
                let acronym =
                    pattern.text.len() >= 3 && pattern.text.chars().all(|c| c.is_ascii_uppercase());
                if exact_case && acronym {
                    hits.push(SkillHit {
                        skill: pattern.skill,
                        start,
                        end,
                    });
                    continue;
                }
                let set_off = |c: Option<char>| c.is_none_or(|c| is_list_separator(c) || c == ' ');
                let tight = |c: Option<char>| c.is_none_or(is_list_separator);
                let listed = set_off(before)
                    && set_off(after)
                    && (tight(before)
                        || tight(after)
                        || tight(skip_spaces_back(text, start))
                        || tight(skip_spaces_forward(text, end)));
                if !(exact_case && (in_skill_list(start) || listed)) {
                    continue;
                }
            }
            hits.push(SkillHit {
                skill: pattern.skill,
                start,
                end,
            });
        }
        // Keep the longest reading of each stretch ("React Native", not also "React"), but let
        // readings that only overlap stand side by side: "分布式系统设计" says both
        // 分布式系统 and 系统设计.
        let nested = |h: &SkillHit| {
            hits.iter().any(|o| {
                o != h
                    && o.start <= h.start
                    && h.end <= o.end
                    && (o.end - o.start) > (h.end - h.start)
            })
        };
        let mut kept: Vec<SkillHit> = hits.iter().filter(|h| !nested(h)).cloned().collect();
        kept.sort_by_key(|h| (h.start, h.end));
        kept.dedup();
        kept
    }
}

fn followed_by_year(rest: &str) -> bool {
    let rest = rest.trim_start();
    rest.len() >= 4
        && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && (rest.starts_with("19") || rest.starts_with("20"))
}

fn skip_spaces_back(text: &str, at: usize) -> Option<char> {
    text[..at].chars().rev().find(|c| *c != ' ')
}

fn skip_spaces_forward(text: &str, at: usize) -> Option<char> {
    text[at..].chars().find(|c| *c != ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str, in_skills: bool) -> Vec<String> {
        let t = taxonomy();
        let mut found: Vec<String> = t
            .find(text, |_| in_skills)
            .into_iter()
            .map(|h| t.skill(h.skill).name.clone())
            .collect();
        found.dedup();
        found
    }

    #[test]
    fn taxonomy_file_is_consistent_and_large() {
        let t = taxonomy();
        assert!(t.skills.len() >= 120, "{}", t.skills.len());
        for category in [
            "language", "frontend", "backend", "database", "cloud", "ml", "soft",
        ] {
            assert!(
                t.skills.iter().any(|s| s.category == category),
                "{category}"
            );
        }
    }

    #[test]
    fn aliases_map_to_canonical_names() {
        assert_eq!(
            names("熟悉 JS、k8s 和前端开发", false),
            vec!["JavaScript", "Kubernetes", "Frontend Development"]
        );
        assert_eq!(
            names("Spring Boot, MySQL; golang", false),
            vec!["Spring", "MySQL", "Go"]
        );
        assert_eq!(
            names("C++ and C# and JavaScript", false),
            vec!["C++", "C#", "JavaScript"]
        );
    }

    #[test]
    fn words_inside_words_do_not_match() {
        assert!(names("Javanese reaction rustic", false).is_empty());
        assert!(names("I like to go hiking and read", false).is_empty());
        assert!(names("config.ts and index.js", false).is_empty());
    }

    #[test]
    fn ambiguous_aliases_need_a_list_context() {
        assert_eq!(
            names("Languages: Python, Go, R", false),
            vec!["Python", "Go", "R"]
        );
        assert!(names("Let's Go to the R building", false).is_empty());
        assert_eq!(names("C", true), vec!["C"]);
    }
}
