//! Dates and date ranges as résumés write them: `2021.09–2024.06`, `2021年9月 - 至今`,
//! `2018/09-2022/06`, `Sep 2021 – Present`, `03/2020 - 12/2022`, `2017 – 2021`. Normalised to
//! `YYYY-MM`, `YYYY` or `present`.

use std::sync::LazyLock;

use regex::Regex;

/// One date token: (normalised value, byte range in the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateToken {
    pub value: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRange {
    pub start: Option<String>,
    pub end: Option<String>,
    /// Byte range of the whole expression in the text.
    pub span: (usize, usize),
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)",
        // 2021.09 / 2021-09 / 2021/9 / 2021年9月 / 2021年09月
        r"(?P<ym_y>(?:19|20)\d{2})\s*(?:[./\-年]\s*)(?P<ym_m>0?[1-9]|1[0-2])(?:\s*月)?(?:[./\-]\d{1,2}(?:日)?)?(?P<ym_end>)(?:[^\d]|$)",
        // 09/2021
        r"|(?P<my_m>0?[1-9]|1[0-2])\s*/\s*(?P<my_y>(?:19|20)\d{2})",
        // Sep 2021 / September, 2021 / Sept. 2021
        r"|\b(?P<mn_m>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?\s+(?P<mn_y>(?:19|20)\d{2})",
        // present
        r"|(?P<now>至今|现在|目前|今|\bpresent\b|\bnow\b|\bcurrent(?:ly)?\b|\btoday\b|\bongoing\b)",
        // 2021 / 2021年
        r"|(?P<y>\b(?:19|20)\d{2})(?:\s*年)?",
    ))
    .unwrap()
});

static RANGE_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:-|–|—|―|~|～|－|至|到|to|until|till|\s)\s*$").unwrap()
});

/// Every date in `text`, in order.
pub fn find_dates(text: &str) -> Vec<DateToken> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(caps) = DATE.captures_at(text, at) {
        let whole = caps
            .get(0)
            .map(|m| (m.start(), m.end()))
            .unwrap_or((at, at));
        let (value, end) = if let (Some(y), Some(m)) = (caps.name("ym_y"), caps.name("ym_m")) {
            let end = caps.name("ym_end").map(|e| e.start()).unwrap_or(whole.1);
            (
                format!(
                    "{}-{:02}",
                    y.as_str(),
                    m.as_str().parse::<u32>().unwrap_or(1)
                ),
                end,
            )
        } else if let (Some(m), Some(y)) = (caps.name("my_m"), caps.name("my_y")) {
            (
                format!(
                    "{}-{:02}",
                    y.as_str(),
                    m.as_str().parse::<u32>().unwrap_or(1)
                ),
                whole.1,
            )
        } else if let (Some(m), Some(y)) = (caps.name("mn_m"), caps.name("mn_y")) {
            let key = m.as_str().to_ascii_lowercase();
            let month = MONTHS
                .iter()
                .position(|p| key.starts_with(p))
                .map(|i| i + 1)
                .unwrap_or(1);
            (format!("{}-{:02}", y.as_str(), month), whole.1)
        } else if caps.name("now").is_some() {
            ("present".to_owned(), whole.1)
        } else if let Some(y) = caps.name("y") {
            (y.as_str().to_owned(), whole.1)
        } else {
            at = whole.1.max(at + 1);
            continue;
        };
        out.push(DateToken {
            value,
            start: whole.0,
            end,
        });
        at = end.max(whole.0 + 1);
        while at < text.len() && !text.is_char_boundary(at) {
            at += 1;
        }
    }
    // A lone "今" inside words (今年, 如今) is not "present"; keep it only right after a range separator.
    out.retain(|d| {
        d.value != "present"
            || &text[d.start..d.end] != "今"
            || text[..d.start]
                .trim_end()
                .ends_with(['-', '–', '—', '~', '至'])
    });
    out
}

/// The first date range in `text` (two dates joined by a dash, 至, to …), or a single date.
pub fn find_range(text: &str) -> Option<DateRange> {
    let dates = find_dates(text);
    for pair in dates.windows(2) {
        let between = &text[pair[0].end..pair[1].start];
        if pair[0].value != "present" && RANGE_SEPARATOR.is_match(between) {
            return Some(DateRange {
                start: Some(pair[0].value.clone()),
                end: Some(pair[1].value.clone()),
                span: (pair[0].start, pair[1].end),
            });
        }
    }
    let first = dates.into_iter().find(|d| d.value != "present")?;
    // A bare year is too weak alone unless the text is short (a date line, not a sentence).
    if first.value.len() == 4 && text.chars().count() > 40 {
        return None;
    }
    Some(DateRange {
        start: Some(first.value),
        end: None,
        span: (first.start, first.end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> (Option<String>, Option<String>) {
        let r = find_range(text).unwrap_or_else(|| panic!("no range in {text}"));
        (r.start, r.end)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn range_styles() {
        assert_eq!(range("2021.09–2024.06"), (s("2021-09"), s("2024-06")));
        assert_eq!(range("2021.09 - 至今"), (s("2021-09"), s("present")));
        assert_eq!(range("2019年7月 - 2021年6月"), (s("2019-07"), s("2021-06")));
        assert_eq!(range("2018/09-2022/06"), (s("2018-09"), s("2022-06")));
        assert_eq!(range("Sep 2021 – Present"), (s("2021-09"), s("present")));
        assert_eq!(range("June 2019 - Aug 2021"), (s("2019-06"), s("2021-08")));
        assert_eq!(range("2017 – 2021"), (s("2017"), s("2021")));
        assert_eq!(range("03/2020 - 12/2022"), (s("2020-03"), s("2022-12")));
        assert_eq!(
            range("浙江大学 硕士 2016.09-2019.06"),
            (s("2016-09"), s("2019-06"))
        );
        assert_eq!(
            range("2020年09月～2021年03月"),
            (s("2020-09"), s("2021-03"))
        );
        assert_eq!(
            range("Jan. 2020 to Dec. 2021"),
            (s("2020-01"), s("2021-12"))
        );
        assert_eq!(range("2022.07 至今"), (s("2022-07"), s("present")));
    }

    #[test]
    fn non_dates_are_ignored() {
        assert!(find_range(
            "QPS 从 2000 提升到 12000，延迟降低 35%，团队 8 人协作完成一个很长的描述"
        )
        .is_none());
        assert!(find_range("13800138000").is_none());
        assert_eq!(find_dates("如今今年").len(), 0);
    }
}
