//! Finding a résumé's sections by their headings, in Chinese and English, with or without
//! decorations (`【教育背景】`, `■ 工作经历`, `—— Projects ——`, `EDUCATION`, `Skills:`) and
//! bilingual headings (`工作经历 Work Experience`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// Lines before the first heading: name, contacts, a headline.
    Header,
    Personal,
    Summary,
    Education,
    Experience,
    Projects,
    Skills,
    Certifications,
    Languages,
    Awards,
    Other,
}

impl SectionKind {
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Header => "header",
            SectionKind::Personal => "personal",
            SectionKind::Summary => "summary",
            SectionKind::Education => "education",
            SectionKind::Experience => "experience",
            SectionKind::Projects => "projects",
            SectionKind::Skills => "skills",
            SectionKind::Certifications => "certifications",
            SectionKind::Languages => "languages",
            SectionKind::Awards => "awards",
            SectionKind::Other => "other",
        }
    }
}

/// Heading phrases, lower-case, spaces removed. Longer phrases are tried first.
const HEADINGS: &[(&str, SectionKind)] = &[
    ("个人信息", SectionKind::Personal),
    ("基本信息", SectionKind::Personal),
    ("基本资料", SectionKind::Personal),
    ("个人资料", SectionKind::Personal),
    ("联系方式", SectionKind::Personal),
    ("personalinformation", SectionKind::Personal),
    ("personalinfo", SectionKind::Personal),
    ("personaldetails", SectionKind::Personal),
    ("contactinformation", SectionKind::Personal),
    ("contactinfo", SectionKind::Personal),
    ("contact", SectionKind::Personal),
    ("自我评价", SectionKind::Summary),
    ("个人简介", SectionKind::Summary),
    ("个人总结", SectionKind::Summary),
    ("个人优势", SectionKind::Summary),
    ("求职意向", SectionKind::Summary),
    ("职业目标", SectionKind::Summary),
    ("自我介绍", SectionKind::Summary),
    ("professionalsummary", SectionKind::Summary),
    ("careerobjective", SectionKind::Summary),
    ("summary", SectionKind::Summary),
    ("profile", SectionKind::Summary),
    ("objective", SectionKind::Summary),
    ("aboutme", SectionKind::Summary),
    ("about", SectionKind::Summary),
    ("教育背景", SectionKind::Education),
    ("教育经历", SectionKind::Education),
    ("学历背景", SectionKind::Education),
    ("教育", SectionKind::Education),
    ("education", SectionKind::Education),
    ("academicbackground", SectionKind::Education),
    ("工作经历", SectionKind::Experience),
    ("工作经验", SectionKind::Experience),
    ("实习经历", SectionKind::Experience),
    ("实习经验", SectionKind::Experience),
    ("职业经历", SectionKind::Experience),
    ("工作履历", SectionKind::Experience),
    ("professionalexperience", SectionKind::Experience),
    ("workexperience", SectionKind::Experience),
    ("workhistory", SectionKind::Experience),
    ("employmenthistory", SectionKind::Experience),
    ("employment", SectionKind::Experience),
    ("internships", SectionKind::Experience),
    ("internship", SectionKind::Experience),
    ("experience", SectionKind::Experience),
    ("项目经验", SectionKind::Projects),
    ("项目经历", SectionKind::Projects),
    ("项目", SectionKind::Projects),
    ("科研经历", SectionKind::Projects),
    ("课程项目", SectionKind::Projects),
    ("课程设计", SectionKind::Projects),
    ("courseprojects", SectionKind::Projects),
    ("academicprojects", SectionKind::Projects),
    ("sideprojects", SectionKind::Projects),
    ("selectedprojects", SectionKind::Projects),
    ("personalprojects", SectionKind::Projects),
    ("keyprojects", SectionKind::Projects),
    ("projects", SectionKind::Projects),
    ("project", SectionKind::Projects),
    ("专业技能", SectionKind::Skills),
    ("技能特长", SectionKind::Skills),
    ("技术能力", SectionKind::Skills),
    ("技能清单", SectionKind::Skills),
    ("掌握技能", SectionKind::Skills),
    ("技能", SectionKind::Skills),
    ("technicalskills", SectionKind::Skills),
    ("coreskills", SectionKind::Skills),
    ("keyskills", SectionKind::Skills),
    ("corecompetencies", SectionKind::Skills),
    ("skillset", SectionKind::Skills),
    ("skills", SectionKind::Skills),
    ("证书", SectionKind::Certifications),
    ("资格证书", SectionKind::Certifications),
    ("证书资质", SectionKind::Certifications),
    ("certifications", SectionKind::Certifications),
    ("certificates", SectionKind::Certifications),
    ("licenses", SectionKind::Certifications),
    ("语言能力", SectionKind::Languages),
    ("外语能力", SectionKind::Languages),
    ("语言", SectionKind::Languages),
    ("languages", SectionKind::Languages),
    ("获奖情况", SectionKind::Awards),
    ("荣誉奖项", SectionKind::Awards),
    ("所获荣誉", SectionKind::Awards),
    ("获奖经历", SectionKind::Awards),
    ("荣誉", SectionKind::Awards),
    ("awards", SectionKind::Awards),
    ("honors", SectionKind::Awards),
    ("achievements", SectionKind::Awards),
    ("校园经历", SectionKind::Experience),
    ("校园活动", SectionKind::Experience),
    ("社团经历", SectionKind::Experience),
    ("兴趣爱好", SectionKind::Other),
    ("interests", SectionKind::Other),
    ("hobbies", SectionKind::Other),
    ("activities", SectionKind::Other),
    ("volunteering", SectionKind::Other),
    ("publications", SectionKind::Other),
    ("references", SectionKind::Other),
];

/// Connectors allowed between heading words ("Skills & Tools", "Education and Training").
const FILLERS: &[&str] = &[
    "&",
    "and",
    "与",
    "及",
    "和",
    "tools",
    "training",
    "qualifications",
    "technologies",
    "research",
    "teaching",
    "relevant",
    "academic",
    "additional",
    "other",
    "selected",
    "相关",
    "主要",
];

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || *c == '&')
        .flat_map(char::to_lowercase)
        .collect()
}

/// If `line` is a heading, its kind and any content written after a colon on the same line
/// (`Skills: Java, Go` → `Java, Go`).
pub fn heading(line: &str) -> Option<(SectionKind, Option<String>)> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return None;
    }
    let (head, rest) = match trimmed.find([':', '：']) {
        Some(at) => {
            let colon_len = trimmed[at..].chars().next().map_or(1, char::len_utf8);
            (&trimmed[..at], Some(trimmed[at + colon_len..].trim()))
        }
        None => (trimmed, None),
    };
    if head.chars().count() > 48 {
        return None;
    }
    // Numbered headings: "一、教育背景", "2. Experience", "(三) 项目经验".
    let head = head
        .trim_start_matches(|c: char| {
            c.is_ascii_digit() || "一二三四五六七八九十()（）".contains(c)
        })
        .trim_start_matches(['、', '.', '．', ')', '）', ' ']);
    let mut remaining = squash(head);
    if remaining.is_empty() || remaining.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut kind = None;
    // Consume heading phrases (and fillers) from the front until nothing is left.
    'outer: while !remaining.is_empty() {
        for (phrase, phrase_kind) in HEADINGS {
            if let Some(rest) = remaining.strip_prefix(phrase) {
                kind.get_or_insert(*phrase_kind);
                remaining = rest.to_owned();
                continue 'outer;
            }
        }
        for filler in FILLERS {
            if let Some(rest) = remaining.strip_prefix(filler) {
                remaining = rest.to_owned();
                continue 'outer;
            }
        }
        return None;
    }
    let kind = kind?;
    // A long line with a colon is a labelled field ("Contact: ...") only when it names a
    // section; "Project: Order Center" is an entry, not a heading.
    let content = rest.filter(|r| !r.is_empty()).map(str::to_owned);
    if content.is_some()
        && !matches!(
            kind,
            SectionKind::Skills
                | SectionKind::Languages
                | SectionKind::Certifications
                | SectionKind::Summary
        )
    {
        return None;
    }
    Some((kind, content))
}

/// A section: its kind and the byte range of its body in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    pub start: usize,
    pub end: usize,
}

/// Splits `text` into sections. Text before the first heading is the `Header` section.
pub fn split(text: &str) -> Vec<Section> {
    let mut sections = vec![Section {
        kind: SectionKind::Header,
        start: 0,
        end: text.len(),
    }];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        if let Some((kind, content)) = heading(line) {
            if let Some(last) = sections.last_mut() {
                last.end = line_start;
            }
            let body_start = match content {
                // Inline content starts right after the colon.
                Some(content) => line_start + line.find(content.as_str()).unwrap_or(line.len()),
                None => offset,
            };
            sections.push(Section {
                kind,
                start: body_start,
                end: text.len(),
            });
        }
    }
    sections.retain(|s| s.start < s.end || s.kind != SectionKind::Header);
    sections
}

/// The kind of section `offset` falls in.
pub fn kind_at(sections: &[Section], offset: usize) -> SectionKind {
    sections
        .iter()
        .rev()
        .find(|s| s.start <= offset && offset < s.end.max(s.start + 1))
        .map(|s| s.kind)
        .unwrap_or(SectionKind::Header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorated_and_bilingual_headings() {
        for (line, kind) in [
            ("【教育背景】", SectionKind::Education),
            ("■ 工作经历", SectionKind::Experience),
            ("—— Projects ——", SectionKind::Projects),
            ("EDUCATION", SectionKind::Education),
            ("Skills:", SectionKind::Skills),
            ("✦ Technical Skills", SectionKind::Skills),
            ("工作经历 Work Experience", SectionKind::Experience),
            ("项目经验", SectionKind::Projects),
            ("Professional Experience", SectionKind::Experience),
            ("Skills & Tools", SectionKind::Skills),
            ("个人信息", SectionKind::Personal),
            ("Research and teaching experience", SectionKind::Experience),
            ("校园经历", SectionKind::Experience),
            ("Relevant Experience", SectionKind::Experience),
        ] {
            assert_eq!(heading(line).map(|h| h.0), Some(kind), "{line}");
        }
    }

    #[test]
    fn ordinary_lines_are_not_headings() {
        for line in [
            "负责订单中心的项目管理与开发",
            "Education is important to me",
            "2019.07 - 2021.06 工作经历",
            "Project: Order Center",
            "张伟",
            "Experience with Kubernetes",
        ] {
            assert_eq!(heading(line), None, "{line}");
        }
    }

    #[test]
    fn inline_skills_content_is_kept() {
        assert_eq!(
            heading("Skills: Java, Go"),
            Some((SectionKind::Skills, Some("Java, Go".to_owned())))
        );
        let text = "Jane\nSkills: Java, Go\nEducation\nMIT\n";
        let sections = split(text);
        assert_eq!(sections.len(), 3);
        assert_eq!(&text[sections[1].start..sections[1].end], "Java, Go\n");
        assert_eq!(&text[sections[2].start..sections[2].end], "MIT\n");
    }
}
