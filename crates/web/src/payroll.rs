//! Payroll's files as HTTP answers, for the API and the pages alike: an export or a job costing
//! CSV as a download, with what the headers say of it. The use case is `clockface_app::payroll`.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use clockface_app::payroll::MadeExport;

/// The file to answer: its content type, a download name, whether the period was approved for
/// payroll (`X-Clockface-Period-Approved: true` or `false`: hours that can still change), the earlier exports in
/// `X-Clockface-Exported-Before` (RFC 3339 times and formats, newest first) and, when the hours
/// changed since the last of them, `X-Clockface-Changed-Since-Export`: each changed employee's
/// number with the seconds before and now (`number:regular/overtime/double->regular/overtime/double`),
/// and ` time_off:before->now` after it when their paid time off changed.
pub fn file_response(made: MadeExport) -> Response {
    let MadeExport { file, approved, earlier, changes } = made;
    let mut response = file.body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    if let Some(approved) = approved {
        headers.insert(
            HeaderName::from_static("x-clockface-period-approved"),
            HeaderValue::from_static(if approved { "true" } else { "false" }),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.file_name.replace('"', ""))) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    let before: Vec<String> = earlier.iter().map(|e| format!("{} {}", e.exported_at.to_rfc3339(), e.format)).collect();
    if let Ok(value) = HeaderValue::from_str(&before.join(", ")) {
        if !before.is_empty() {
            headers.insert(HeaderName::from_static("x-clockface-exported-before"), value);
        }
    }
    let hours = |p: clockface_domain::payroll::PayHours| format!("{}/{}/{}", p.regular_seconds, p.overtime_seconds, p.double_time_seconds);
    let changed: Vec<String> = changes
        .iter()
        .map(|c| {
            let time_off = if c.time_off_before_seconds == c.time_off_now_seconds {
                String::new()
            } else {
                format!(" time_off:{}->{}", c.time_off_before_seconds, c.time_off_now_seconds)
            };
            format!("{}:{}->{}{time_off}", c.number.replace([',', ':'], " "), hours(c.before), hours(c.now))
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&changed.join(", ")) {
        if !changed.is_empty() {
            headers.insert(HeaderName::from_static("x-clockface-changed-since-export"), value);
        }
    }
    response
}

/// A job costing's CSV as a download (not a payroll export: no period headers).
pub fn costing_csv_response(costing: &clockface_app::payroll::Costing) -> Response {
    file_response(MadeExport {
        file: clockface_app::payroll::costing_csv(costing),
        approved: None,
        earlier: Vec::new(),
        changes: Vec::new(),
    })
}
