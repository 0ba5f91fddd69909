//! Text in reading order → [`Profile`]: name, contacts, skills with evidence, education,
//! experience, projects, languages and certifications.
//!
//! Rules, not a model: section headings split the text, and each section's lines are grouped
//! into entries (a new entry starts at a line naming a new school or company, a new date range,
//! or a header line after bullet points). Everything extracted keeps to what the text says.

use std::collections::HashMap;
use std::sync::LazyLock;

use mianshi_core::{Contact, Education, Experience, Profile, Project, Skill, Span};
use regex::Regex;

use crate::dates::{find_range, DateRange};
use crate::sections::{self, kind_at, Section, SectionKind};
use crate::taxonomy::taxonomy;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .unwrap()
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\(?\+\d{1,3}\)?[\s\-]?)?(?:\(\d{1,4}\)[\s\-]?)?\d[\d \-]{5,}\d|\b\d{3}\.\d{3}\.\d{4}\b").unwrap()
});
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?://[^\s<>()（）,，|｜]+|(?:www\.|github\.com/|gitee\.com/|linkedin\.com/|gitlab\.com/)[^\s<>()（）,，|｜]+)").unwrap()
});
static NAME_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:姓\s*名|^\s*name)\s*[:：]\s*([^\t\n|｜,，;；]+)").unwrap()
});
static PHONE_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(电话|手机|联系方式|phone|mobile|tel|cell)").unwrap());
static FIELD_SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\t|\s*[|｜]\s*|\s{2,}|\s+[—–·•]\s+|\s+-\s+|\s*/\s+|，|；|;").unwrap()
});
static BULLET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[•·▪◦●○■□◆◇➢➤►▶✓✔\-\*–—]|\d{1,2}[.、)）]|[（(]\d{1,2}[)）])\s*").unwrap()
});

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯",
    "长孙",
];

const NOT_NAME_WORDS: &[&str] = &[
    "简历",
    "个人",
    "求职",
    "工程师",
    "经理",
    "开发",
    "设计",
    "大学",
    "学院",
    "公司",
    "电话",
    "邮箱",
    "手机",
    "地址",
    "resume",
    "curriculum",
    "vitae",
    "cv",
    "engineer",
    "developer",
    "manager",
    "senior",
    "junior",
    "software",
    "data",
    "product",
    "designer",
    "analyst",
    "scientist",
    "intern",
    "university",
    "college",
    "summary",
    "profile",
    "street",
    "road",
    "avenue",
    "email",
    "phone",
    "contact",
    "objective",
    "experience",
    "education",
    "skills",
    "full",
    "stack",
    "frontend",
    "backend",
    "front-end",
    "back-end",
    "marketing",
    "finance",
    "specialist",
    "consultant",
    "lead",
    "director",
    "associate",
    "candidate",
    "portfolio",
    "mobile",
    "android",
    "ios",
    "web",
    "remote",
];

const SCHOOL_WORDS: &[&str] = &[
    "大学",
    "学院",
    "学校",
    "中学",
    "研究生院",
    "university",
    "college",
    "institute",
    "school",
    "academy",
    "polytechnic",
];
const DEGREE_WORDS: &[&str] = &[
    "博士研究生",
    "硕士研究生",
    "本科",
    "学士",
    "硕士",
    "研究生",
    "博士",
    "大专",
    "专科",
    "高中",
    "MBA",
    "EMBA",
    "PhD",
    "Ph.D.",
    "Ph.D",
    "Bachelor of Science",
    "Bachelor of Arts",
    "Bachelor of Engineering",
    "Bachelor's",
    "Bachelor",
    "Master of Science",
    "Master of Arts",
    "Master of Engineering",
    "Master of Business Administration",
    "Master's",
    "Master",
    "Doctor of Philosophy",
    "Associate Degree",
    "B.S.",
    "B.Sc.",
    "B.Sc",
    "B.A.",
    "B.E.",
    "B.Eng.",
    "B.Eng",
    "M.S.",
    "M.Sc.",
    "M.Sc",
    "M.A.",
    "M.Eng.",
    "M.Eng",
    "BS",
    "BA",
    "BE",
    "MS",
    "MA",
    "MEng",
    "BEng",
    "BSc (Hons)",
    "BA (Hons)",
    "BEng (Hons)",
    "BSc",
    "MSc",
    "MPhil",
    "LLB",
    "LLM",
];
const COMPANY_WORDS: &[&str] = &[
    "公司",
    "有限",
    "集团",
    "科技",
    "银行",
    "研究院",
    "研究所",
    "工作室",
    "事务所",
    "实验室",
    "中心",
    "网络",
    "信息技术",
    "inc",
    "inc.",
    "ltd",
    "ltd.",
    "llc",
    "corp",
    "corp.",
    "corporation",
    "company",
    "co.",
    "technologies",
    "technology",
    "labs",
    "lab",
    "group",
    "bank",
    "gmbh",
    "studio",
    "software",
    "systems",
    "solutions",
    "capital",
    "partners",
    "consulting",
    "agency",
    "networks",
    "digital",
    "ventures",
    "holdings",
    "media",
    "games",
    "analytics",
    "health",
    "robotics",
    "insurance",
    "logistics",
    "payments",
    "telecom",
    "hosting",
    "streaming",
    "apps",
    "fitness",
    "bank",
];
const TITLE_WORDS: &[&str] = &[
    "工程师",
    "开发",
    "经理",
    "实习生",
    "实习",
    "总监",
    "专员",
    "分析师",
    "设计师",
    "主管",
    "负责人",
    "架构师",
    "顾问",
    "助理",
    "运营",
    "研究员",
    "组长",
    "主任",
    "合伙人",
    "创始人",
    "科学家",
    "程序员",
    "测试",
    "产品",
    "engineer",
    "developer",
    "manager",
    "intern",
    "analyst",
    "designer",
    "lead",
    "director",
    "consultant",
    "specialist",
    "scientist",
    "architect",
    "associate",
    "head",
    "officer",
    "coordinator",
    "programmer",
    "administrator",
    "researcher",
    "vp",
    "president",
    "founder",
    "co-founder",
    "co-op",
    "sde",
    "swe",
    "owner",
    "strategist",
    "executive",
    "assistant",
    "trainee",
];
const ROLE_WORDS: &[&str] = &[
    "负责人",
    "核心开发",
    "主要开发",
    "开发者",
    "组长",
    "队长",
    "成员",
    "独立开发",
    "技术负责人",
    "项目经理",
    "lead",
    "owner",
    "developer",
    "engineer",
    "member",
    "maintainer",
    "creator",
    "author",
    "contributor",
    "manager",
];
const TABLE_HEADER_WORDS: &[&str] = &[
    "学校",
    "院校",
    "专业",
    "学历",
    "学位",
    "时间",
    "起止时间",
    "school",
    "university",
    "degree",
    "major",
    "dates",
    "date",
    "period",
];
const LOCATIONS: &[&str] = &[
    "北京",
    "上海",
    "深圳",
    "广州",
    "杭州",
    "成都",
    "南京",
    "武汉",
    "西安",
    "苏州",
    "天津",
    "重庆",
    "长沙",
    "厦门",
    "远程",
    "remote",
    "beijing",
    "shanghai",
    "shenzhen",
    "hangzhou",
    "singapore",
    "london",
    "new york",
    "san francisco",
    "seattle",
];

fn contains_word(text: &str, words: &[&str]) -> bool {
    let lower = text.to_lowercase();
    words.iter().any(|w| {
        if w.is_ascii() {
            lower
                .match_indices(w)
                .any(|(at, m)| word_boundary(&lower, at, at + m.len()))
        } else {
            lower.contains(w)
        }
    })
}

fn word_boundary(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(|c| c.is_ascii_alphanumeric())
        && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

fn is_cjk_char(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x9FFF)
}

fn cjk_count(text: &str) -> usize {
    text.chars()
        .filter(|c| matches!(*c as u32, 0x3400..=0x9FFF))
        .count()
}

pub fn detect_language(text: &str) -> &'static str {
    let cjk = cjk_count(text);
    let latin = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    // A Chinese character carries about as much as a four-letter word.
    if cjk * 4 >= latin / 2 && cjk > 10 {
        "zh"
    } else {
        "en"
    }
}

fn span(text: &str, start: usize, end: usize) -> Span {
    Span {
        start,
        end,
        text: text[start..end].to_owned(),
    }
}

/// Parses résumé text (as returned by [`crate::extract_text`]).
pub fn parse_profile(text: &str) -> Profile {
    let sections = sections::split(text);
    let mut profile = Profile {
        language: detect_language(text).to_owned(),
        text: text.to_owned(),
        ..Default::default()
    };
    profile.contact = contact(text);
    profile.name = name(text, &sections);
    profile.skills = skills(text, &sections);
    for section in &sections {
        let body = &text[section.start..section.end];
        match section.kind {
            SectionKind::Education => profile.education.extend(education(body)),
            SectionKind::Experience => profile.experience.extend(experience(body)),
            SectionKind::Projects => profile.projects.extend(projects(body)),
            SectionKind::Summary if profile.summary.is_none() => {
                let summary = join_wrapped(body.lines().map(str::trim).filter(|l| !l.is_empty()));
                if !summary.is_empty() {
                    profile.summary = Some(summary.chars().take(800).collect());
                }
            }
            SectionKind::Languages => profile.languages.extend(list_items(body)),
            SectionKind::Certifications => profile.certifications.extend(list_items(body)),
            _ => {}
        }
    }
    if profile.name.is_none() {
        profile.warnings.push("no name found".into());
    }
    if profile.contact.email.is_none() {
        profile.warnings.push("no email address found".into());
    }
    if profile.contact.phone.is_none() {
        profile.warnings.push("no phone number found".into());
    }
    if profile.skills.is_empty() {
        profile.warnings.push("no known skills found".into());
    }
    profile
}

/// Joins wrapped lines: with a space between words, without one between Chinese characters.
fn join_wrapped<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for line in lines {
        let glue = match (out.chars().last(), line.chars().next()) {
            (None, _) => "",
            (Some(a), Some(b))
                if (is_cjk_char(a) || "，。；：、）".contains(a))
                    && (is_cjk_char(b) || !b.is_ascii()) =>
            {
                ""
            }
            _ => " ",
        };
        out.push_str(glue);
        out.push_str(line);
    }
    out
}

fn contact(text: &str) -> Contact {
    let email = EMAIL
        .find(text)
        .map(|m| m.as_str().trim_end_matches('.').to_owned());
    let mut links: Vec<String> = Vec::new();
    for m in URL.find_iter(text) {
        let raw = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ')', '）', '。']);
        // An email's domain is not a link.
        if text[..m.start()].ends_with('@') {
            continue;
        }
        let link = if raw.to_ascii_lowercase().starts_with("http") {
            raw.to_owned()
        } else {
            format!("https://{raw}")
        };
        if !links.contains(&link) {
            links.push(link);
        }
    }
    Contact {
        email,
        phone: phone(text),
        links,
    }
}

/// Digits of a phone candidate, or `None` if it cannot be a phone number.
fn phone_digits(candidate: &str) -> Option<String> {
    let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
    let national = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11 && d.starts_with('1'))
        .unwrap_or(&digits);
    let valid = match national.len() {
        11 if national.starts_with('1') && !candidate.trim_start().starts_with('+') => {
            matches!(national.as_bytes()[1], b'3'..=b'9')
        }
        10..=13 => candidate.contains(['+', '(', '-', ' ']) || national.len() == 10,
        _ => false,
    };
    valid.then_some(digits)
}

fn phone(text: &str) -> Option<String> {
    let mut best: Option<(bool, usize, String)> = None;
    for line in text.lines() {
        let labelled = PHONE_LABEL.is_match(line);
        for m in PHONE.find_iter(line) {
            // Cut at a wide gap: a table cell boundary, not part of the number.
            let candidate = m
                .as_str()
                .split("  ")
                .next()
                .unwrap_or("")
                .trim()
                .trim_end_matches('-');
            if phone_digits(candidate).is_none()
                || find_range(candidate).is_some_and(|r| r.end.is_some())
            {
                continue;
            }
            // Labelled numbers win; otherwise the first one in the document.
            let rank = (labelled, usize::MAX - m.start());
            if best.as_ref().is_none_or(|(l, _, _)| !*l && labelled) {
                best = Some((rank.0, rank.1, candidate.to_owned()));
            }
        }
    }
    best.map(|(_, _, phone)| phone)
}

fn is_chinese_name(part: &str) -> bool {
    let part = part.trim();
    let chars: Vec<char> = part.chars().filter(|c| *c != '·' && *c != ' ').collect();
    if !(2..=4).contains(&chars.len())
        || chars.iter().any(|c| !matches!(*c as u32, 0x3400..=0x9FFF))
    {
        return false;
    }
    let surname_ok =
        SURNAMES.contains(chars[0]) || COMPOUND_SURNAMES.iter().any(|s| part.starts_with(s));
    surname_ok && !contains_word(part, NOT_NAME_WORDS) && sections::heading(part).is_none()
}

fn is_english_name(part: &str) -> bool {
    let words: Vec<&str> = part.split_whitespace().collect();
    // "New York, NY" is a place: names carry no commas.
    if !(2..=4).contains(&words.len())
        || sections::heading(part).is_some()
        || part.contains(',')
        || is_location(part)
    {
        return false;
    }
    words.iter().all(|w| {
        let w = w.trim_end_matches(',');
        let mut chars = w.chars();
        let first_upper = chars
            .next()
            .is_some_and(|c| c.is_uppercase() && !is_cjk_char(c));
        let rest_ok = w
            .chars()
            .all(|c| (c.is_alphabetic() && !is_cjk_char(c)) || matches!(c, '-' | '\'' | '.'));
        first_upper && rest_ok && !NOT_NAME_WORDS.contains(&w.to_ascii_lowercase().as_str())
    })
}

fn name(text: &str, sections: &[Section]) -> Option<String> {
    if let Some(caps) = NAME_LABEL.captures(text) {
        let value = caps[1].split("  ").next().unwrap_or("").trim();
        if !value.is_empty() && value.chars().count() <= 40 {
            return Some(value.to_owned());
        }
    }
    // The name sits near the top, often sharing a line with a headline or contacts.
    let header_end = sections
        .iter()
        .find(|s| s.kind != SectionKind::Header && s.kind != SectionKind::Personal)
        .map(|s| s.start)
        .unwrap_or(text.len());
    let mut candidates = text[..header_end]
        .lines()
        .take(15)
        .chain(text.lines().take(6));
    candidates.find_map(|line| {
        FIELD_SPLIT
            .split(line)
            .map(str::trim)
            .map(|p| p.trim_matches(|c: char| !c.is_alphanumeric() && c != '·'))
            .find(|p| is_chinese_name(p) || is_english_name(p))
            .map(str::to_owned)
    })
}

fn skills(text: &str, sections: &[Section]) -> Vec<Skill> {
    let taxonomy = taxonomy();
    // "github.com/…" is a link, not the skill Git; "https" is not HTTP.
    let masked: Vec<(usize, usize)> = URL
        .find_iter(text)
        .chain(EMAIL.find_iter(text))
        .map(|m| (m.start(), m.end()))
        .collect();
    let hits = taxonomy
        .find(text, |offset| {
            kind_at(sections, offset) == SectionKind::Skills
        })
        .into_iter()
        .filter(|hit| !masked.iter().any(|(s, e)| hit.start >= *s && hit.end <= *e));
    let mut order: Vec<usize> = Vec::new();
    let mut found: HashMap<usize, Skill> = HashMap::new();
    for hit in hits {
        let entry = found.entry(hit.skill).or_insert_with(|| {
            order.push(hit.skill);
            let skill = taxonomy.skill(hit.skill);
            Skill {
                name: skill.name.clone(),
                category: skill.category.clone(),
                evidence_span: span(text, hit.start, hit.end),
                mentions: 0,
                section: kind_at(sections, hit.start).name().to_owned(),
            }
        });
        entry.mentions += 1;
    }
    order.into_iter().filter_map(|i| found.remove(&i)).collect()
}

fn list_items(body: &str) -> Vec<String> {
    body.lines()
        .flat_map(|line| {
            let line = BULLET.replace(line, "");
            line.split(['，', '、', '；', ';', '|', '｜', '\t', ','])
                .map(|s| s.trim().trim_end_matches(['。', '.']).to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// A line of an entry: a header field line or a bullet of detail.
fn is_detail_line(line: &str, zh: bool) -> bool {
    if BULLET.is_match(line) {
        return true;
    }
    let len = line.chars().count();
    // A line with a date range is an entry's header, however long.
    if find_range(line).is_some_and(|r| r.end.is_some()) {
        return false;
    }
    let sentence_like = line.contains(['。', '；', '，'])
        || line.trim_end().ends_with('.')
        || line.split_whitespace().count() >= 12;
    const DETAIL_PREFIXES: &[&str] = &[
        "项目描述",
        "项目简介",
        "项目介绍",
        "主要职责",
        "工作内容",
        "职责",
        "负责",
        "描述",
        "成果",
        "业绩",
        "技术栈",
        "技术",
        "使用技术",
        "主修课程",
        "核心课程",
        "相关课程",
        "荣誉",
        "gpa",
        "绩点",
        "description",
        "responsibilities",
        "tech",
        "stack",
        "technologies",
        "coursework",
        "courses",
        "achievements",
        "highlights",
        "built",
        "led ",
        "designed",
        "developed",
    ];
    let lower = line.trim().to_lowercase();
    DETAIL_PREFIXES.iter().any(|p| lower.starts_with(p))
        || (sentence_like && len > if zh { 28 } else { 60 })
}

#[derive(Default)]
struct RawEntry {
    fields: Vec<String>,
    details: Vec<String>,
    dates: Option<DateRange>,
}

/// Groups a section's lines into entries. `org_words` recognise the line that names the
/// school or company; a second such line, or a second date range, starts a new entry.
fn group_entries(body: &str, org_words: &[&str]) -> Vec<RawEntry> {
    let zh = detect_language(body) == "zh";
    let mut entries: Vec<RawEntry> = Vec::new();
    let mut current = RawEntry::default();
    let mut has_org = false;
    let mut after_blank = false;
    let mut last_header_ended_with_comma = false;
    for raw_line in body.lines() {
        let line = raw_line.trim();
        if line.is_empty() {
            after_blank = true;
            continue;
        }
        let blank_before = std::mem::replace(&mut after_blank, false);
        if is_detail_line(line, zh) {
            let detail = BULLET.replace(line, "").trim().to_owned();
            if !detail.is_empty() {
                current.details.push(detail);
            }
            continue;
        }
        let range = find_range(line);
        let line_has_org = contains_word(line, org_words);
        // A wrapped bullet continues on a plain line; a new entry's header names an
        // organisation or a role, carries dates, or follows a gap.
        if !current.details.is_empty()
            && !blank_before
            && range.as_ref().is_none_or(|r| r.end.is_none())
            && !line_has_org
            && !contains_word(line, TITLE_WORDS)
        {
            if let Some(last) = current.details.last_mut() {
                let joined = join_wrapped([last.as_str(), line].into_iter());
                *last = joined;
            }
            continue;
        }
        let starts_new = !current.fields.is_empty()
            && (!current.details.is_empty()
                || (line_has_org && has_org)
                || (range.is_some()
                    && current.dates.is_some()
                    && range.as_ref().is_some_and(|r| r.end.is_some())));
        if starts_new {
            entries.push(std::mem::take(&mut current));
            has_org = false;
        }
        // "University of California," wrapped before "Davis" in a narrow column.
        let wrapped = std::mem::replace(&mut last_header_ended_with_comma, line.ends_with(','));
        if wrapped && range.is_none() && !line_has_org {
            if let Some(last) = current.fields.last_mut() {
                last.push_str(", ");
                last.push_str(line);
            }
            continue;
        }
        has_org |= line_has_org;
        let mut rest = line.to_owned();
        if let Some(range) = range {
            if current.dates.is_none()
                || current
                    .dates
                    .as_ref()
                    .is_some_and(|d| d.end.is_none() && range.end.is_some())
            {
                rest = format!("{}\t{}", &line[..range.span.0], &line[range.span.1..]);
                current.dates = Some(range);
            }
        }
        current.fields.extend(
            FIELD_SPLIT
                .split(&rest)
                .map(|f| {
                    f.trim()
                        .trim_matches(['(', ')', '（', '）', ',', '，', '|', '·', '–', '—', '-'])
                        .trim()
                        .to_owned()
                })
                .filter(|f| !f.is_empty()),
        );
    }
    if !current.fields.is_empty() {
        entries.push(current);
    }
    entries
}

fn is_location(field: &str) -> bool {
    let lower = field.to_lowercase();
    LOCATIONS.iter().any(|l| {
        lower == *l || lower.starts_with(&format!("{l},")) || lower.starts_with(&format!("{l}市"))
    }) || Regex::new(r"^[A-Z][a-z]+(?: [A-Z][a-z]+)?, [A-Z]{2}$")
        .map(|r| r.is_match(field))
        .unwrap_or(false)
}

fn strip_label(field: &str) -> &str {
    match field.find(['：', ':']) {
        Some(at) if field[..at].chars().count() <= 6 => {
            field[at..].trim_start_matches(['：', ':']).trim()
        }
        _ => field,
    }
}

fn degree_in(field: &str) -> Option<String> {
    let mut best: Option<&str> = None;
    for degree in DEGREE_WORDS {
        let found = if degree.is_ascii() {
            field.match_indices(degree).any(|(at, m)| {
                let before = field[..at].chars().next_back();
                let after = field[at + m.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_alphanumeric())
                    && !after.is_some_and(|c| c.is_ascii_alphabetic())
            })
        } else {
            field.contains(degree)
        };
        if found && best.is_none_or(|b| degree.len() > b.len()) {
            best = Some(degree);
        }
    }
    best.map(str::to_owned)
}

fn education(body: &str) -> Vec<Education> {
    group_entries(body, SCHOOL_WORDS)
        .into_iter()
        .filter_map(|entry| {
            let mut edu = Education {
                start: entry.dates.as_ref().and_then(|d| d.start.clone()),
                end: entry.dates.as_ref().and_then(|d| d.end.clone()),
                ..Default::default()
            };
            for field in entry.fields.iter().flat_map(|f| split_role_and_org(f)) {
                let value = strip_label(&field);
                let lower = value.to_lowercase();
                if lower.starts_with("gpa")
                    || value.contains("绩点")
                    || value.contains("排名")
                    || is_location(value)
                {
                    continue;
                }
                // The header row of an education table ("学校 | 专业 | 学历 | 时间").
                if value
                    .split_whitespace()
                    .all(|w| TABLE_HEADER_WORDS.contains(&w.to_lowercase().as_str()))
                {
                    continue;
                }
                if edu.school.is_none() && contains_word(value, SCHOOL_WORDS) {
                    edu.school = Some(value.to_owned());
                    continue;
                }
                if let Some(degree) = degree_in(value) {
                    if edu.degree.is_none() {
                        edu.degree = Some(degree.clone());
                        // "B.S. in Computer Science", "计算机科学与技术 本科"
                        let rest = value.replacen(&degree, "", 1);
                        let rest = rest
                            .trim()
                            .trim_start_matches("in ")
                            .trim_start_matches("of ")
                            .trim_matches([',', '，', ' ', '(', ')', '（', '）']);
                        if edu.major.is_none() && !rest.is_empty() && rest.chars().count() <= 40 {
                            edu.major = Some(rest.to_owned());
                        }
                        continue;
                    }
                }
                if edu.major.is_none()
                    && value.chars().count() <= 40
                    && (field.contains("专业")
                        || lower.starts_with("major")
                        || edu.school.is_some())
                {
                    edu.major = Some(value.to_owned());
                }
            }
            (edu.school.is_some() || edu.degree.is_some()).then_some(edu)
        })
        .collect()
}

fn experience(body: &str) -> Vec<Experience> {
    group_entries(body, COMPANY_WORDS)
        .into_iter()
        .filter_map(|entry| {
            let mut exp = Experience {
                start: entry.dates.as_ref().and_then(|d| d.start.clone()),
                end: entry.dates.as_ref().and_then(|d| d.end.clone()),
                highlights: entry.details.clone(),
                ..Default::default()
            };
            let mut leftovers = Vec::new();
            for field in entry.fields.iter().flat_map(|f| split_role_and_org(f)) {
                let value = strip_label(&field);
                if is_location(value) {
                    continue;
                }
                // "Senior Engineer at Acme Corp"
                if let Some((title, company)) =
                    value.split_once(" at ").or_else(|| value.split_once(" @ "))
                {
                    if contains_word(title, TITLE_WORDS) {
                        exp.title.get_or_insert_with(|| title.trim().to_owned());
                        exp.company.get_or_insert_with(|| company.trim().to_owned());
                        continue;
                    }
                }
                let (is_company, is_title) = classify_org_or_role(value);
                if is_company
                    && exp.company.is_none()
                    && !(is_title && value.chars().count() < 12 && !value.contains("公司"))
                {
                    exp.company = Some(value.to_owned());
                } else if is_title && exp.title.is_none() {
                    exp.title = Some(value.to_owned());
                } else {
                    leftovers.push(value.to_owned());
                }
            }
            let mut leftovers = leftovers.into_iter().filter(|l| l.chars().count() <= 60);
            if exp.company.is_none() {
                exp.company = leftovers.next();
            }
            if exp.title.is_none() {
                exp.title = leftovers.next();
            }
            (exp.company.is_some() || exp.title.is_some()).then_some(exp)
        })
        .collect()
}

/// Whether a field names an organisation and/or a role. When it has words of both kinds
/// ("Software Engineering Intern", "Acme Software Inc."), its last word decides.
fn classify_org_or_role(value: &str) -> (bool, bool) {
    let is_company = contains_word(value, COMPANY_WORDS);
    let is_title = contains_word(value, TITLE_WORDS);
    if !(is_company && is_title) {
        return (is_company, is_title);
    }
    let tail: String = value
        .split_whitespace()
        .last()
        .unwrap_or(value)
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .to_owned();
    let tail_is_title = TITLE_WORDS.iter().any(|w| {
        if w.is_ascii() {
            tail.eq_ignore_ascii_case(w)
        } else {
            value.ends_with(w)
        }
    });
    let tail_is_company = COMPANY_WORDS.iter().any(|w| {
        if w.is_ascii() {
            tail.eq_ignore_ascii_case(w.trim_end_matches('.'))
        } else {
            value.ends_with(w)
        }
    });
    match (tail_is_company, tail_is_title) {
        (true, false) => (true, false),
        (false, true) => (false, true),
        _ => (true, true),
    }
}

/// "Senior Engineer, Acme Corp", "Ph.D. in Informatics, University of Edinburgh" and
/// "北京某某科技有限公司 高级工程师" hold a role (or degree) and an organisation in one field;
/// split them when both halves are recognisable.
fn split_role_and_org(field: &str) -> Vec<String> {
    if let Some((a, b)) = field.split_once(", ") {
        if degree_in(a).is_some() && contains_word(b, SCHOOL_WORDS) {
            return vec![a.trim().to_owned(), b.trim().to_owned()];
        }
        let (a_org, a_role) = classify_org_or_role(a);
        let (_, b_role) = classify_org_or_role(b);
        if (a_role && !a_org && !b_role) || (a_org && !a_role && b_role) {
            return vec![a.trim().to_owned(), b.trim().to_owned()];
        }
    }
    const SUFFIXES: &[&str] = &[
        "公司",
        "集团",
        "银行",
        "研究院",
        "工作室",
        "大学",
        "学院",
        "事务所",
    ];
    for suffix in SUFFIXES {
        if let Some(at) = field.find(&format!("{suffix} ")) {
            let split = at + suffix.len();
            let (org, rest) = (field[..split].trim(), field[split..].trim());
            if !rest.is_empty() {
                return vec![org.to_owned(), rest.to_owned()];
            }
        }
    }
    vec![field.to_owned()]
}

fn projects(body: &str) -> Vec<Project> {
    let taxonomy = taxonomy();
    group_entries(body, &["项目名称", "project:"])
        .into_iter()
        .filter_map(|entry| {
            let mut project = Project {
                start: entry.dates.as_ref().and_then(|d| d.start.clone()),
                end: entry.dates.as_ref().and_then(|d| d.end.clone()),
                ..Default::default()
            };
            let mut tech: Vec<String> = Vec::new();
            for field in &entry.fields {
                let lower = field.to_lowercase();
                let value = strip_label(field);
                if field.starts_with("角色")
                    || field.starts_with("担任")
                    || lower.starts_with("role")
                    || (project.role.is_none()
                        && !project.name.is_empty()
                        && contains_word(value, ROLE_WORDS)
                        && value.chars().count() <= 20)
                {
                    project.role = Some(value.to_owned());
                } else if project.name.is_empty() {
                    project.name = value.to_owned();
                }
            }
            for detail in &entry.details {
                let lower = detail.to_lowercase();
                if lower.starts_with("技术栈")
                    || lower.starts_with("使用技术")
                    || lower.starts_with("技术：")
                    || lower.starts_with("tech")
                {
                    tech.extend(
                        strip_label(detail)
                            .split([',', '，', '、', '/', '|', ';', '；'])
                            .map(|t| t.trim().to_owned())
                            .filter(|t| !t.is_empty()),
                    );
                }
            }
            if tech.is_empty() {
                let entry_text =
                    format!("{}\n{}", entry.fields.join("\t"), entry.details.join("\n"));
                for hit in taxonomy.find(&entry_text, |_| false) {
                    let name = &taxonomy.skill(hit.skill).name;
                    if !tech.contains(name) {
                        tech.push(name.clone());
                    }
                }
            }
            project.tech = tech;
            project.highlights = entry.details;
            (!project.name.is_empty()).then_some(project)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZH: &str = "张伟\n后端开发工程师 | 电话：138-0013-8000 | 邮箱：zhangwei@example.com\nGitHub: github.com/zhangwei\n\n【教育背景】\n浙江大学\t计算机科学与技术\t硕士\t2016.09-2019.06\n\n■ 工作经历\n杭州某某科技有限公司\t高级后端工程师\t2021.07 - 至今\n• 负责订单中心微服务化改造，QPS 从 2000 提升到 12000。\n• 使用 Kafka 和 Redis 设计异步削峰方案。\n上海某某网络有限公司 | Java开发工程师 | 2019年7月 - 2021年6月\n• 维护 Spring Boot 服务。\n\n项目经验\n订单中心重构 2022.01-2022.12\n角色：技术负责人\n技术栈：Java, Spring Cloud, MySQL\n• 拆分单体为 12 个服务。\n\n专业技能\n熟悉 Java、Go、MySQL、Redis、Docker、k8s；具备良好的团队合作能力。\n";

    #[test]
    fn chinese_resume_fields() {
        let p = parse_profile(ZH);
        assert_eq!(p.language, "zh");
        assert_eq!(p.name.as_deref(), Some("张伟"));
        assert_eq!(p.contact.phone.as_deref(), Some("138-0013-8000"));
        assert_eq!(p.contact.email.as_deref(), Some("zhangwei@example.com"));
        assert_eq!(p.contact.links, vec!["https://github.com/zhangwei"]);
        assert_eq!(p.education.len(), 1, "{:?}", p.education);
        let edu = &p.education[0];
        assert_eq!(edu.school.as_deref(), Some("浙江大学"));
        assert_eq!(edu.degree.as_deref(), Some("硕士"));
        assert_eq!(edu.major.as_deref(), Some("计算机科学与技术"));
        assert_eq!(
            (edu.start.as_deref(), edu.end.as_deref()),
            (Some("2016-09"), Some("2019-06"))
        );
        assert_eq!(p.experience.len(), 2, "{:?}", p.experience);
        assert_eq!(
            p.experience[0].company.as_deref(),
            Some("杭州某某科技有限公司")
        );
        assert_eq!(p.experience[0].title.as_deref(), Some("高级后端工程师"));
        assert_eq!(p.experience[0].end.as_deref(), Some("present"));
        assert_eq!(p.experience[0].highlights.len(), 2);
        assert_eq!(p.experience[1].start.as_deref(), Some("2019-07"));
        assert_eq!(p.projects.len(), 1, "{:?}", p.projects);
        assert_eq!(p.projects[0].name, "订单中心重构");
        assert_eq!(p.projects[0].role.as_deref(), Some("技术负责人"));
        assert_eq!(p.projects[0].tech, vec!["Java", "Spring Cloud", "MySQL"]);
        let names: Vec<&str> = p.skills.iter().map(|s| s.name.as_str()).collect();
        for expected in [
            "Java",
            "Go",
            "MySQL",
            "Redis",
            "Docker",
            "Kubernetes",
            "Kafka",
            "Spring",
            "Teamwork",
            "Microservices",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        let k8s = p.skills.iter().find(|s| s.name == "Kubernetes").unwrap();
        assert_eq!(k8s.evidence_span.text, "k8s");
        assert_eq!(
            &p.text[k8s.evidence_span.start..k8s.evidence_span.end],
            "k8s"
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    const EN: &str = "JANE DOE\nSenior Software Engineer\n(555) 123-4567 · jane.doe@example.com · linkedin.com/in/janedoe\n\nSUMMARY\nBackend engineer with 8 years building payment systems.\n\nEXPERIENCE\nSenior Software Engineer at Acme Payments Inc.\tSep 2021 – Present\n- Led migration of the ledger to PostgreSQL and Kubernetes, cutting p99 latency by 40%.\n- Mentored 4 engineers.\nGlobex Corp — Backend Developer\tJune 2017 - Aug 2021\n- Built REST APIs in Go and Python.\n\nEDUCATION\nUniversity of Michigan\nB.S. in Computer Science\t2013 – 2017\n\nSKILLS\nGo, Python, PostgreSQL, Redis, AWS, Docker, C\n\nLanguages: English (native), Spanish (professional)\n";

    #[test]
    fn english_resume_fields() {
        let p = parse_profile(EN);
        assert_eq!(p.language, "en");
        assert_eq!(p.name.as_deref(), Some("JANE DOE"));
        assert_eq!(p.contact.phone.as_deref(), Some("(555) 123-4567"));
        assert_eq!(p.contact.links, vec!["https://linkedin.com/in/janedoe"]);
        assert_eq!(
            p.summary.as_deref(),
            Some("Backend engineer with 8 years building payment systems.")
        );
        assert_eq!(p.experience.len(), 2, "{:?}", p.experience);
        assert_eq!(
            p.experience[0].company.as_deref(),
            Some("Acme Payments Inc.")
        );
        assert_eq!(
            p.experience[0].title.as_deref(),
            Some("Senior Software Engineer")
        );
        assert_eq!(p.experience[1].company.as_deref(), Some("Globex Corp"));
        assert_eq!(p.experience[1].title.as_deref(), Some("Backend Developer"));
        assert_eq!(p.experience[1].start.as_deref(), Some("2017-06"));
        assert_eq!(p.education.len(), 1, "{:?}", p.education);
        assert_eq!(
            p.education[0].school.as_deref(),
            Some("University of Michigan")
        );
        assert_eq!(p.education[0].degree.as_deref(), Some("B.S."));
        assert_eq!(p.education[0].major.as_deref(), Some("Computer Science"));
        let names: Vec<&str> = p.skills.iter().map(|s| s.name.as_str()).collect();
        for expected in [
            "PostgreSQL",
            "Kubernetes",
            "REST API",
            "Go",
            "Python",
            "Redis",
            "AWS",
            "Docker",
            "C",
            "Backend Development",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert_eq!(
            p.languages,
            vec!["English (native)", "Spanish (professional)"]
        );
    }

    #[test]
    fn phone_numbers_and_their_look_alikes() {
        assert_eq!(phone("手机：13912345678"), Some("13912345678".into()));
        assert_eq!(phone("+86 139 1234 5678"), Some("+86 139 1234 5678".into()));
        assert_eq!(phone("+1 415-555-0132"), Some("+1 415-555-0132".into()));
        assert_eq!(phone("2019.07 - 2021.06\n2018 - 2022"), None);
        assert_eq!(phone("QPS 2000 提升到 12000"), None);
        assert_eq!(
            phone("Order 12345678 shipped\nPhone: 138-0013-8000"),
            Some("138-0013-8000".into())
        );
    }

    #[test]
    fn labelled_name_wins() {
        let p = parse_profile("个人简历\n个人信息\n姓名：李娜    性别：女\n电话：15012345678\n");
        assert_eq!(p.name.as_deref(), Some("李娜"));
    }
}
