//! DOCX: the body of `word/document.xml` as lines in reading order — paragraphs, list items,
//! and tables (a layout table with paragraphs in its cells is read cell by cell, a data table
//! row by row with tab-separated cells). Decompression is capped before and while reading, so a
//! zip bomb costs milliseconds and bounded memory.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::Limits;
use crate::ResumeError;

pub(super) fn extract(bytes: &[u8], limits: &Limits) -> Result<String, ResumeError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|err| ResumeError::Unreadable(format!("not a valid DOCX (ZIP) file: {err}")))?;
    let xml = read_part(&mut archive, "word/document.xml", limits)?;
    let xml = String::from_utf8_lossy(&xml);
    body_text(&xml)
}

fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limits: &Limits,
) -> Result<Vec<u8>, ResumeError> {
    let mut part = match archive.by_name(name) {
        Ok(part) => part,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(ResumeError::UnsupportedFormat(
                "a ZIP archive without a Word document inside".into(),
            ))
        }
        Err(err) => return Err(ResumeError::Unreadable(format!("broken DOCX: {err}"))),
    };
    let limit = limits.max_decompressed;
    // The declared size can lie; it is checked first because it is free, then enforced.
    if part.size() > limit {
        return Err(ResumeError::DecompressionLimit { limit });
    }
    let mut out = Vec::new();
    (&mut part)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|err| ResumeError::Unreadable(format!("broken DOCX: {err}")))?;
    if out.len() as u64 > limit {
        return Err(ResumeError::DecompressionLimit { limit });
    }
    Ok(out)
}

/// One table being read: rows of cells of paragraph lines.
#[derive(Default)]
struct Table {
    rows: Vec<Vec<Vec<String>>>,
}

impl Table {
    fn lines(self) -> Vec<String> {
        let mut lines = Vec::new();
        for row in self.rows {
            let layout = row.iter().any(|cell| cell.len() > 2);
            if layout {
                for cell in row {
                    lines.extend(cell);
                    lines.push(String::new());
                }
            } else {
                let cells: Vec<String> = row
                    .into_iter()
                    .map(|cell| cell.join(" ").trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect();
                if !cells.is_empty() {
                    lines.push(cells.join("\t"));
                }
            }
        }
        lines
    }
}

fn body_text(xml: &str) -> Result<String, ResumeError> {
    let mut reader = Reader::from_str(xml);
    let mut lines: Vec<String> = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    let mut paragraph = String::new();
    let mut in_text = false;
    let mut is_list_item = false;
    // Word stores drawing text twice (mc:Choice and mc:Fallback); read only the first.
    let mut fallback_depth = 0usize;

    loop {
        let event = reader
            .read_event()
            .map_err(|err| ResumeError::Unreadable(format!("broken document XML: {err}")))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "Fallback" => fallback_depth += 1,
                _ if fallback_depth > 0 => {}
                "t" => in_text = true,
                "p" => {
                    paragraph.clear();
                    is_list_item = false;
                }
                "tbl" => tables.push(Table::default()),
                "tr" => {
                    if let Some(table) = tables.last_mut() {
                        table.rows.push(Vec::new());
                    }
                }
                "tc" => {
                    if let Some(row) = tables.last_mut().and_then(|t| t.rows.last_mut()) {
                        row.push(Vec::new());
                    }
                }
                _ => {}
            },
            Event::Empty(e) if fallback_depth == 0 => match e.local_name().as_ref() {
                "tab" => paragraph.push('\t'),
                "br" | "cr" => paragraph.push('\n'),
                "numPr" => is_list_item = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "Fallback" => fallback_depth = fallback_depth.saturating_sub(1),
                _ if fallback_depth > 0 => {}
                "t" => in_text = false,
                "numPr" => is_list_item = true,
                "p" => {
                    let text = if is_list_item && !paragraph.trim().is_empty() {
                        format!("• {}", paragraph.trim())
                    } else {
                        paragraph.trim_end().to_owned()
                    };
                    let target = match tables.last_mut().and_then(|t| t.rows.last_mut()) {
                        Some(row) => match row.last_mut() {
                            Some(cell) => cell,
                            None => &mut lines,
                        },
                        None => &mut lines,
                    };
                    target.extend(text.split('\n').map(str::to_owned));
                    paragraph.clear();
                }
                "tbl" => {
                    if let Some(table) = tables.pop() {
                        let table_lines = table.lines();
                        match tables
                            .last_mut()
                            .and_then(|t| t.rows.last_mut())
                            .and_then(|r| r.last_mut())
                        {
                            Some(cell) => cell.extend(table_lines),
                            None => {
                                lines.extend(table_lines);
                                lines.push(String::new());
                            }
                        }
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text && fallback_depth == 0 => {
                paragraph.push_str(&t.xml10_content());
            }
            Event::CData(t) if in_text && fallback_depth == 0 => {
                paragraph.push_str(t.as_ref());
            }
            Event::GeneralRef(r) if in_text && fallback_depth == 0 => {
                if let Ok(Some(ch)) = r.resolve_char_ref() {
                    paragraph.push(ch);
                } else {
                    paragraph.push_str(match &*r {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> String {
        format!("<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>")
    }

    #[test]
    fn paragraphs_lists_entities_and_tables_in_reading_order() {
        let layout_cell_left = format!(
            "{}{}{}",
            para("张伟"),
            para("电话：13800138000"),
            para("技能：Java")
        );
        let layout_cell_right = format!(
            "{}{}{}",
            para("工作经历"),
            para("某某公司"),
            para("高级工程师")
        );
        let xml = format!(
            "<w:document><w:body>{}\
             <w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/></w:numPr></w:pPr><w:r><w:t>QPS &amp; latency</w:t></w:r></w:p>\
             <w:tbl><w:tr><w:tc>{layout_cell_left}</w:tc><w:tc>{layout_cell_right}</w:tc></w:tr></w:tbl>\
             <w:tbl><w:tr><w:tc>{}</w:tc><w:tc>{}</w:tc></w:tr></w:tbl>\
             <mc:AlternateContent><mc:Choice>{}</mc:Choice><mc:Fallback>{}</mc:Fallback></mc:AlternateContent>\
             </w:body></w:document>",
            para("Summary"),
            para("浙江大学"),
            para("2016.09-2019.06"),
            para("textbox"),
            para("textbox"),
        );
        let text = body_text(&xml).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines,
            vec![
                "Summary",
                "• QPS & latency",
                "张伟",
                "电话：13800138000",
                "技能：Java",
                "工作经历",
                "某某公司",
                "高级工程师",
                "浙江大学\t2016.09-2019.06",
                "textbox",
            ]
        );
    }

    #[test]
    fn broken_xml_is_an_error_not_a_panic() {
        assert!(body_text("<w:document><w:body><w:p></w:body>").is_err());
    }
}
