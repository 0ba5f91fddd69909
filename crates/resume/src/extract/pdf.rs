//! PDF text layer → lines in reading order.
//!
//! pdf-extract decodes the glyphs (CID fonts, ToUnicode maps); we collect each glyph with its
//! position instead of taking its plain-text output, then rebuild lines geometrically and read
//! two-column pages column by column. pdf-extract panics on some malformed files, so all of it
//! runs under `catch_unwind`: a bad file is an error, never a crash.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::Limits;
use crate::ResumeError;

pub(super) fn extract(bytes: &[u8], limits: &Limits) -> Result<String, ResumeError> {
    let mut doc = guarded(|| pdf_extract::Document::load_mem(bytes))
        .and_then(|loaded| loaded.map_err(|err| load_error(&err)))?;
    if doc.is_encrypted() {
        // Many PDFs are "encrypted" with an empty user password only to restrict printing;
        // those open for reading. A real password is the user's to remove.
        match guarded(|| doc.decrypt("")) {
            Ok(Ok(())) => {}
            _ => return Err(ResumeError::Encrypted),
        }
    }
    let pages: Vec<u32> = doc
        .get_pages()
        .keys()
        .copied()
        .take(limits.max_pages as usize)
        .collect();
    if pages.is_empty() {
        return Err(ResumeError::Unreadable("the PDF has no pages".into()));
    }
    let mut collector = GlyphCollector::default();
    let mut failed_pages = 0;
    for page in &pages {
        let result = guarded(|| pdf_extract::output_doc_page(&doc, &mut collector, *page));
        if !matches!(result, Ok(Ok(()))) {
            failed_pages += 1;
            collector.abandon_page();
        }
    }
    if failed_pages == pages.len() {
        return Err(ResumeError::Unreadable(
            "no page of the PDF could be read".into(),
        ));
    }
    if collector
        .pages
        .iter()
        .all(|p| p.glyphs.iter().all(|g| g.text.trim().is_empty()))
    {
        return Err(ResumeError::ScannedPdf);
    }
    Ok(collector
        .pages
        .iter()
        .map(layout_page)
        .collect::<Vec<_>>()
        .join("\n\n"))
}

fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ResumeError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| ResumeError::Unreadable("the PDF is malformed".into()))
}

fn load_error(err: &pdf_extract::Error) -> ResumeError {
    let message = err.to_string();
    if message.to_ascii_lowercase().contains("decrypt")
        || message.to_ascii_lowercase().contains("password")
    {
        ResumeError::Encrypted
    } else {
        ResumeError::Unreadable(format!("not a readable PDF: {message}"))
    }
}

#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    /// Baseline, measured down from the top of the page.
    y: f64,
    right: f64,
    size: f64,
    text: String,
}

#[derive(Default)]
struct Page {
    width: f64,
    glyphs: Vec<Glyph>,
}

#[derive(Default)]
struct GlyphCollector {
    pages: Vec<Page>,
    height: f64,
}

impl GlyphCollector {
    fn abandon_page(&mut self) {
        if let Some(page) = self.pages.last_mut() {
            page.glyphs.clear();
        }
    }
}

impl OutputDev for GlyphCollector {
    fn begin_page(
        &mut self,
        _: u32,
        media_box: &MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.height = media_box.ury - media_box.lly;
        self.pages.push(Page {
            width: (media_box.urx - media_box.llx).abs(),
            glyphs: Vec::new(),
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        // The rendering matrix scales the nominal font size; the effective size is the side of
        // the square with the same area as the scaled em box.
        let sx = font_size * trm.m11 + font_size * trm.m21;
        let sy = font_size * trm.m12 + font_size * trm.m22;
        let size = (sx * sy).abs().sqrt().max(1.0);
        let x = trm.m31;
        let y = self.height - trm.m32;
        if let Some(page) = self.pages.last_mut() {
            page.glyphs.push(Glyph {
                x,
                y,
                right: x + width * size,
                size,
                text: text.to_owned(),
            });
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// A run of glyphs on one baseline without a wide gap.
#[derive(Debug, Clone)]
struct Segment {
    x0: f64,
    x1: f64,
    y: f64,
    size: f64,
    text: String,
}

fn is_cjk(ch: char) -> bool {
    matches!(ch as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// Groups glyphs into baseline rows, then splits each row at gaps wider than two ems.
fn segments(glyphs: &[Glyph]) -> Vec<Segment> {
    let mut sorted: Vec<&Glyph> = glyphs.iter().filter(|g| !g.text.is_empty()).collect();
    sorted.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    let mut rows: Vec<Vec<&Glyph>> = Vec::new();
    for glyph in sorted {
        match rows.last_mut() {
            Some(row) if (row[0].y - glyph.y).abs() <= row[0].size.min(glyph.size) * 0.45 => {
                row.push(glyph)
            }
            _ => rows.push(vec![glyph]),
        }
    }
    let mut out = Vec::new();
    for mut row in rows {
        row.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut current: Option<Segment> = None;
        for glyph in row {
            let starts_segment = current
                .as_ref()
                .is_none_or(|seg| glyph.x - seg.x1 > seg.size.max(glyph.size) * 2.0);
            if starts_segment {
                out.extend(current.take());
                current = Some(Segment {
                    x0: glyph.x,
                    x1: glyph.right,
                    y: glyph.y,
                    size: glyph.size,
                    text: glyph.text.clone(),
                });
                continue;
            }
            let Some(seg) = current.as_mut() else {
                continue;
            };
            let gap = glyph.x - seg.x1;
            let prev_cjk = seg.text.chars().last().is_some_and(is_cjk);
            let next_cjk = glyph.text.chars().next().is_some_and(is_cjk);
            let space_gap = if prev_cjk && next_cjk { 0.6 } else { 0.15 };
            if gap > glyph.size * space_gap
                && !seg.text.ends_with(' ')
                && !glyph.text.starts_with(' ')
            {
                seg.text.push(' ');
            }
            seg.text.push_str(&glyph.text);
            seg.x1 = seg.x1.max(glyph.right);
            seg.size = seg.size.max(glyph.size);
        }
        out.extend(current);
    }
    out.retain(|s| !s.text.trim().is_empty());
    out
}

/// Finds the x of a vertical gutter that splits the page into two columns: a band no segment
/// crosses (apart from a few full-width lines such as the name banner) with enough text on
/// both sides.
fn find_gutter(segments: &[Segment], page_width: f64) -> Option<f64> {
    if segments.len() < 10 || page_width <= 0.0 {
        return None;
    }
    let step = 2.0;
    let mut best: Option<(f64, usize)> = None;
    let mut x = page_width * 0.2;
    while x < page_width * 0.8 {
        let crossing = segments
            .iter()
            .filter(|s| s.x0 < x - 1.0 && s.x1 > x + 1.0)
            .count();
        let left = segments.iter().filter(|s| s.x1 <= x).count();
        let right = segments.iter().filter(|s| s.x0 >= x).count();
        let allowed = (segments.len() / 12).max(2);
        if crossing <= allowed && left >= 5 && right >= 5 {
            // Prefer the band with the fewest crossings, then the most balanced split.
            let balance = left.min(right);
            match best {
                Some((_, best_balance)) if best_balance >= balance => {}
                _ => best = Some((x, balance)),
            }
        }
        x += step;
    }
    let (gutter, _) = best?;
    // Right-aligned dates beside one-column entries also leave a band; a real second column
    // holds running text, not mostly dates.
    let right: Vec<&Segment> = segments.iter().filter(|s| s.x0 >= gutter).collect();
    let date_like = right
        .iter()
        .filter(|s| crate::dates::find_range(&s.text).is_some() || s.text.chars().count() <= 3)
        .count();
    if date_like * 2 >= right.len() {
        return None;
    }
    Some(gutter)
}

fn layout_page(page: &Page) -> String {
    let segs = segments(&page.glyphs);
    let Some(gutter) = find_gutter(&segs, page.width) else {
        return rows_to_text(&segs);
    };
    // Work per glyph row: a row with a glyph straddling the gutter is full width (a banner);
    // any other row is cut at the gutter, even where a long left line nearly touches the right
    // column and the two merged into one segment.
    let mut rows: Vec<Vec<&Glyph>> = Vec::new();
    let mut sorted: Vec<&Glyph> = page
        .glyphs
        .iter()
        .filter(|g| !g.text.trim().is_empty())
        .collect();
    sorted.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    for glyph in sorted {
        match rows.last_mut() {
            Some(row) if (row[0].y - glyph.y).abs() <= row[0].size.min(glyph.size) * 0.45 => {
                row.push(glyph)
            }
            _ => rows.push(vec![glyph]),
        }
    }
    let (mut header, mut left, mut right) = (Vec::new(), Vec::new(), Vec::new());
    let mut columns_started = false;
    for row in rows {
        let straddles = row
            .iter()
            .any(|g| g.x < gutter - 0.5 && g.right > gutter + 0.5)
            || row.windows(2).any(|pair| {
                let (a, b) = (pair[0], pair[1]);
                a.x < gutter && b.x >= gutter && b.x - a.right < a.size.min(b.size) * 0.8
            });
        if straddles && !columns_started {
            header.extend(row.into_iter().cloned());
            continue;
        }
        columns_started = true;
        for glyph in row {
            if straddles || glyph.x < gutter {
                left.push(glyph.clone());
            } else {
                right.push(glyph.clone());
            }
        }
    }
    [header, left, right]
        .iter()
        .map(|glyphs| rows_to_text(&segments(glyphs)))
        .filter(|t| !t.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Joins segments into lines (segments on one baseline become one tab-separated line) and
/// marks paragraph breaks where the vertical gap is unusually large.
fn rows_to_text(segments: &[Segment]) -> String {
    let mut segs: Vec<&Segment> = segments.iter().collect();
    segs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    let mut out = String::new();
    let mut last: Option<&Segment> = None;
    for seg in segs {
        match last {
            Some(prev) if (prev.y - seg.y).abs() <= prev.size.min(seg.size) * 0.45 => {
                out.push('\t')
            }
            Some(prev) => {
                out.push('\n');
                if seg.y - prev.y > prev.size.max(seg.size) * 2.2 {
                    out.push('\n');
                }
            }
            None => {}
        }
        out.push_str(seg.text.trim());
        last = Some(seg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyphs(text: &str, x: f64, y: f64, size: f64) -> Vec<Glyph> {
        let mut pen = x;
        text.chars()
            .map(|ch| {
                let w = if is_cjk(ch) { 1.0 } else { 0.5 } * size;
                let glyph = Glyph {
                    x: pen,
                    y,
                    right: pen + w,
                    size,
                    text: ch.to_string(),
                };
                pen += w;
                glyph
            })
            .collect()
    }

    #[test]
    fn two_columns_are_read_one_after_the_other() {
        let mut all = glyphs("Jane Doe Senior Engineer", 40.0, 40.0, 20.0);
        for row in 0..8 {
            let y = 100.0 + row as f64 * 14.0;
            all.extend(glyphs(&format!("left {row}"), 40.0, y, 10.0));
            all.extend(glyphs(&format!("right column text {row}"), 260.0, y, 10.0));
        }
        let page = Page {
            width: 600.0,
            glyphs: all,
        };
        let text = layout_page(&page);
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], "Jane Doe Senior Engineer");
        assert_eq!(lines[1], "left 0");
        assert_eq!(lines[8], "left 7");
        assert_eq!(lines[9], "right column text 0");
    }

    #[test]
    fn right_aligned_dates_do_not_make_a_column() {
        let mut all = Vec::new();
        for row in 0..10 {
            let y = 100.0 + row as f64 * 14.0;
            all.extend(glyphs(&format!("Company {row}"), 40.0, y, 10.0));
            all.extend(glyphs("2019.07 - 2021.06", 450.0, y, 10.0));
        }
        let text = layout_page(&Page {
            width: 600.0,
            glyphs: all,
        });
        assert!(
            text.starts_with("Company 0\t2019.07 - 2021.06\nCompany 1"),
            "{text}"
        );
    }

    #[test]
    fn cjk_glyphs_join_without_spaces() {
        let text = layout_page(&Page {
            width: 600.0,
            glyphs: glyphs("工作经历 Java", 40.0, 40.0, 10.0),
        });
        assert_eq!(text, "工作经历 Java");
    }

    #[test]
    fn garbage_is_an_error() {
        let limits = Limits::default();
        assert!(extract(b"%PDF-1.4\n garbage", &limits).is_err());
    }
}
