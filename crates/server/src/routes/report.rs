//! The printable interview report: `GET /api/interview/{id}/report.html` (self-contained
//! HTML in the session's language) and `GET /api/interview/{id}/report.pdf`, the same page
//! printed by headless Chromium with the system's fonts (Noto CJK for Chinese: the PDF embeds
//! subsets of them, so it reads the same anywhere).
//!
//! Chromium is an external program here, like ffmpeg for video: without it the PDF is a clear
//! 503 `pdf_unavailable`, the HTML and JSON reports keep working.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Response};
use mianshi_core::turn::{rubric_label, signal_label, DeliveryEvidence};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Reader, SessionPath};
use crate::routes::interview::{results_of, InterviewResults};
use crate::routes::privacy::log_read;
use crate::state::AppState;

const PRINT_TIMEOUT: Duration = Duration::from_secs(60);

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

struct Labels {
    title: &'static str,
    content: &'static str,
    delivery: &'static str,
    scored_by: &'static str,
    model: &'static str,
    rules: &'static str,
    not_measured: &'static str,
    no_delivery: &'static str,
    answers: &'static str,
    score: &'static str,
    advice: &'static str,
    outline: &'static str,
    strengths: &'static str,
    to_improve: &'static str,
    dimensions: [(&'static str, &'static str); 5],
}

const ZH: Labels = Labels {
    title: "面试报告",
    content: "内容总分",
    delivery: "表达与仪态",
    scored_by: "评分来源",
    model: "训练模型",
    rules: "规则引擎",
    not_measured: "未测量",
    no_delivery: "没有表达与仪态分：回答是打字输入的。",
    answers: "逐题回顾",
    score: "得分",
    advice: "建议",
    outline: "好的回答会覆盖",
    strengths: "强项",
    to_improve: "需要加强",
    dimensions: [
        ("language", "语言表达"),
        ("composure", "沉着"),
        ("body", "肢体"),
        ("focus", "专注"),
        ("overall", "综合"),
    ],
};

const EN: Labels = Labels {
    title: "Interview report",
    content: "Content score",
    delivery: "Delivery",
    scored_by: "Scored by",
    model: "the trained model",
    rules: "the rule engine",
    not_measured: "not measured",
    no_delivery: "No delivery scores: the answers were typed.",
    answers: "Answer by answer",
    score: "Score",
    advice: "Advice",
    outline: "A strong answer covers",
    strengths: "Strengths",
    to_improve: "To work on",
    dimensions: [
        ("language", "Language"),
        ("composure", "Composure"),
        ("body", "Body"),
        ("focus", "Focus"),
        ("overall", "Overall"),
    ],
};

/// A measured signal with its name, unit and good band, e.g. `Pace 172.5 wpm (good 130–160)`.
fn metric(evidence: &DeliveryEvidence, zh: bool) -> String {
    match signal_label(&evidence.signal) {
        Some(label) => format!(
            "{} {}",
            label.name(zh),
            label.format(zh, evidence.mean, evidence.good)
        ),
        None => format!(
            "{} {:.1} ({}–{})",
            evidence.signal, evidence.mean, evidence.good[0], evidence.good[1]
        ),
    }
}

/// The report page: everything inline (no script, no fetch), so Chromium prints it as is.
pub fn render_html(results: &InterviewResults) -> String {
    let zh = results
        .session
        .metadata
        .get("language")
        .and_then(|l| l.as_str())
        .is_some_and(|l| l.starts_with("zh"));
    let l = if zh { &ZH } else { &EN };
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font:11pt/1.5 'Noto Sans CJK SC','Noto Sans',sans-serif;color:#1d2433;margin:2cm}}\
         h1{{font-size:18pt}} h2{{font-size:13pt;margin-top:1.4em}} .score{{font-size:16pt;font-weight:700}}\
         table{{border-collapse:collapse;width:100%}} td,th{{border-bottom:1px solid #d9dee8;padding:4px;text-align:left;vertical-align:top}}\
         .meta{{color:#5b6475;font-size:9.5pt}} blockquote{{margin:4px 0;padding-left:8px;border-left:3px solid #d9dee8;color:#5b6475}}\
         li{{margin:2px 0}} li,p,blockquote{{page-break-inside:avoid}} .turn{{margin-bottom:1em}} h2{{page-break-after:avoid}}</style></head><body>",
        if zh { "zh" } else { "en" },
        l.title
    );
    let _ = write!(html, "<h1>{}</h1>", l.title);
    let content = results
        .content_score
        .map_or("—".to_owned(), |s| format!("{s}/100"));
    let _ = write!(
        html,
        "<p class=\"score\">{} {}</p>",
        l.content,
        escape(&content)
    );
    if let Some(summary) = &results.summary {
        for (title, items) in [
            (l.strengths, &summary.strengths),
            (l.to_improve, &summary.to_improve),
        ] {
            if !items.is_empty() {
                let _ = write!(html, "<h2>{title}</h2><ul>");
                for item in items {
                    let _ = write!(html, "<li>{}</li>", escape(item));
                }
                html.push_str("</ul>");
            }
        }
    }
    let _ = write!(html, "<h2>{}</h2>", l.delivery);
    match &results.delivery {
        None => {
            let _ = write!(html, "<p class=\"meta\">{}</p>", l.no_delivery);
        }
        Some(delivery) => {
            let source = match delivery.source.as_str() {
                "model" => l.model,
                "rules" => l.rules,
                other => other,
            };
            let _ = write!(
                html,
                "<p class=\"meta\">{}: {}</p><table>",
                l.scored_by,
                escape(source)
            );
            for score in &delivery.scores {
                let name = l
                    .dimensions
                    .iter()
                    .find(|(id, _)| *id == score.dimension)
                    .map_or(score.dimension.as_str(), |(_, name)| name);
                let value = score
                    .value
                    .map_or(l.not_measured.to_owned(), |v| format!("{v:.0}/100"));
                let evidence: Vec<String> = score
                    .evidence
                    .iter()
                    .map(|e| escape(&metric(e, zh)))
                    .collect();
                let _ = write!(
                    html,
                    "<tr><td>{}</td><td>{}</td><td class=\"meta\">{}</td></tr>",
                    escape(name),
                    escape(&value),
                    evidence.join(" · ")
                );
            }
            html.push_str("</table>");
        }
    }
    let _ = write!(html, "<h2>{}</h2>", l.answers);
    for turn in &results.turns {
        let _ = write!(
            html,
            "<div class=\"turn\"><strong>{}. {}</strong>",
            turn.index + 1,
            escape(&turn.question.text)
        );
        if let Some(answer) = &turn.answer {
            let _ = write!(html, "<blockquote>{}</blockquote>", escape(&answer.text));
            if let Some(delivery) = &answer.delivery {
                let metrics: Vec<String> = delivery
                    .metrics()
                    .into_iter()
                    .map(|e| escape(&metric(e, zh)))
                    .collect();
                if !metrics.is_empty() {
                    let _ = write!(html, "<p class=\"meta\">{}</p>", metrics.join(" · "));
                }
            }
        }
        if let Some(score) = &turn.score {
            let _ = write!(
                html,
                "<p class=\"meta\">{} {}/100</p>",
                l.score, score.overall
            );
            if !score.rubric.is_empty() {
                let rubric: Vec<String> = score
                    .rubric
                    .iter()
                    .map(|item| {
                        format!(
                            "{} {}",
                            escape(rubric_label(&item.dimension, zh)),
                            item.score
                        )
                    })
                    .collect();
                let _ = write!(html, "<p class=\"meta\">{}</p>", rubric.join(" · "));
            }
            if !score.evidence.is_empty() {
                html.push_str("<ul>");
                for evidence in &score.evidence {
                    let _ = write!(
                        html,
                        "<li>{} {:+}<blockquote>{}</blockquote></li>",
                        escape(&evidence.note),
                        evidence.effect,
                        escape(&evidence.quote)
                    );
                }
                html.push_str("</ul>");
            }
            for (title, items) in [(l.advice, &score.advice), (l.outline, &score.outline)] {
                if !items.is_empty() {
                    let _ = write!(html, "<p class=\"meta\">{title}</p><ul>");
                    for item in items {
                        let _ = write!(html, "<li>{}</li>", escape(item));
                    }
                    html.push_str("</ul>");
                }
            }
        }
        html.push_str("</div>");
    }
    html.push_str("</body></html>");
    html
}

/// The first Chromium found: `MIANSHI_CHROMIUM`, then the usual names on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MIANSHI_CHROMIUM").map(PathBuf::from) {
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Prints the HTML to PDF with headless Chromium (blocking: run it off the async workers).
pub fn print_pdf(html: &str) -> Result<Vec<u8>, ApiError> {
    let browser = chromium().ok_or_else(|| {
        ApiError::PdfUnavailable(
            "no Chromium found: install chromium (or set MIANSHI_CHROMIUM)".into(),
        )
    })?;
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(format!("temp dir: {e}")))?;
    let page = dir.path().join("report.html");
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&page, html).map_err(|e| ApiError::Internal(format!("report page: {e}")))?;
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        // Its own profile: a user's running browser is never touched.
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| ApiError::PdfUnavailable(format!("Chromium did not start: {e}")))?;
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > PRINT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ApiError::PdfUnavailable(
                    "Chromium took too long to print".into(),
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(ApiError::Internal(format!("waiting for Chromium: {e}"))),
        }
    }
    let bytes = std::fs::read(&pdf)
        .map_err(|_| ApiError::PdfUnavailable("Chromium printed no PDF".into()))?;
    if !bytes.starts_with(b"%PDF") {
        return Err(ApiError::PdfUnavailable("Chromium printed no PDF".into()));
    }
    Ok(bytes)
}

/// The report as a printable page.
#[utoipa::path(
    get,
    path = "/api/interview/{session_id}/report.html",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 200, description = "The report page (HTML, the session's language)", content_type = "text/html"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such session", body = ErrorBody),
    )
)]
pub async fn report_html(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    reader: Reader,
) -> Result<Html<String>, ApiError> {
    let results = results_of(&state, id).await?;
    log_read(&state, id, &reader, "report.html").await?;
    Ok(Html(render_html(&results)))
}

/// The report as PDF (Chinese included), printed by headless Chromium.
#[utoipa::path(
    get,
    path = "/api/interview/{session_id}/report.pdf",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 200, description = "The report (PDF)", content_type = "application/pdf"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 503, description = "No Chromium to print with (`pdf_unavailable`) or the pool is busy", body = ErrorBody),
    )
)]
pub async fn report_pdf(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    reader: Reader,
) -> Result<Response, ApiError> {
    let results = results_of(&state, id).await?;
    log_read(&state, id, &reader, "report.pdf").await?;
    let html = render_html(&results);
    let pdf = state.cpu.run(move || print_pdf(&html)).await??;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"mianshi-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_from_answers_cannot_become_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
