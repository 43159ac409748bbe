//! Biometric privacy, the parts the JSON API and the admin pages share: the retention policy as
//! both show it (with its public page's address, in each language), an employee's answer to the
//! written release as a request gives it, and the audit viewer's filter and its CSV. Used by
//! `/api/v1/privacy/*`, `/api/v1/audit*`, the admin Privacy, Audit log and employee pages.
//! Releases, destruction, deletion and export on request are still in `web/privacy.rs`.

use crate::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use clockface_domain::ids::{CompanyId, EmployeeId};
use clockface_domain::language::Language;
use clockface_domain::privacy::{policy_text, Jurisdiction};
use clockface_store::{AuditFilter, Policy, ReleaseDecision, Store};
use serde::{Deserialize, Serialize};

/// The public address of a company's retention policy.
pub fn policy_path(company: CompanyId) -> String {
    format!("/policy/{company}")
}

/// The public address of a company's retention policy in `language` (English needs no `?lang=`).
pub fn policy_path_in(company: CompanyId, language: Language) -> String {
    match language {
        Language::English => policy_path(company),
        other => format!("{}?lang={}", policy_path(company), other.code()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    pub version: i64,
    pub jurisdiction: Jurisdiction,
    pub photo_days: i64,
    /// Whether an employee whose face data was deleted on request is asked at their next sign-in
    /// whether to sign the release anew.
    pub reconsent: bool,
    pub published_at: DateTime<Utc>,
    /// The public page, readable without signing in.
    pub url: String,
    /// The policy's paragraphs, as the public page shows them (English).
    pub text: Vec<String>,
    /// The policy in each language, with its public page.
    pub texts: Vec<PolicyText>,
}

/// The policy in one language.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyText {
    pub language: Language,
    pub url: String,
    pub text: Vec<String>,
}

/// The policy as the API and the pages show it.
pub async fn policy_view(store: &dyn Store, policy: &Policy) -> Result<PolicyView, AppError> {
    let company = store.company(policy.company_id).await?;
    Ok(PolicyView {
        version: policy.version,
        jurisdiction: policy.settings.jurisdiction,
        photo_days: policy.settings.photo_days,
        reconsent: policy.settings.reconsent,
        published_at: policy.published_at,
        url: policy_path(policy.company_id),
        text: policy_text(company.name.as_str(), policy.version, policy.settings, Language::English),
        texts: Language::ALL
            .into_iter()
            .map(|language| PolicyText {
                language,
                url: policy_path_in(policy.company_id, language),
                text: policy_text(company.name.as_str(), policy.version, policy.settings, language),
            })
            .collect(),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// `signed` or `declined`.
    pub decision: String,
    /// The employee's full name, typed by them, to sign.
    pub signed_name: Option<String>,
    /// The version of the release they read (from the notice).
    pub release_version: String,
    /// The language they read it in: `en` (the default) or `es`.
    pub language: Option<String>,
    /// The SHA-256 of the text they read (the notice's `texts[].text_sha256`), to check it is current.
    pub text_sha256: Option<String>,
}

impl ReleaseBody {
    pub fn answer(&self) -> Result<ReleaseAnswer<'_>, AppError> {
        ReleaseAnswer::parse(
            &self.decision,
            self.signed_name.as_deref(),
            &self.release_version,
            self.language.as_deref(),
            self.text_sha256.as_deref(),
        )
    }
}

/// An employee's answer to the release.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseAnswer<'a> {
    pub decision: ReleaseDecision,
    /// Their typed full name (to sign).
    pub signed_name: Option<&'a str>,
    /// The version they read.
    pub release_version: &'a str,
    /// The language they read it in.
    pub language: Language,
    /// The SHA-256 of the text they were shown, when the clock sends it: it must be the text the
    /// server has for that language now.
    pub text_sha256: Option<&'a str>,
}

impl<'a> ReleaseAnswer<'a> {
    /// The answer as a request gives it: `decision` is `signed` or `declined`, `language` `en`
    /// (the default) or `es`.
    pub fn parse(
        decision: &str,
        signed_name: Option<&'a str>,
        release_version: &'a str,
        language: Option<&str>,
        text_sha256: Option<&'a str>,
    ) -> Result<Self, AppError> {
        let decision = match decision {
            "signed" => ReleaseDecision::Signed,
            "declined" => ReleaseDecision::Declined,
            _ => return Err(AppError::invalid("invalid", "decision", "decision must be signed or declined")),
        };
        let language = match language.filter(|l| !l.is_empty()) {
            Some(raw) => Language::parse(raw)?,
            None => Language::English,
        };
        Ok(ReleaseAnswer { decision, signed_name, release_version, language, text_sha256 })
    }
}

/// The audit viewer's filter, as query parameters (all optional; empty ones are ignored, as a form sends them).
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// An employee's id.
    pub employee: Option<String>,
    /// The actor, e.g. `admin:<id>`, `device:<id>` or `system`.
    pub actor: Option<String>,
    /// The kind of entry (`photo.viewed`), or its first part (`photo`).
    pub kind: Option<String>,
    /// From this day (inclusive, UTC), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// To this day (inclusive, UTC), `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Entries to skip (for the next page).
    pub offset: Option<i64>,
}

/// A query parameter with its blanks taken off, if anything is left.
fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl AuditQuery {
    /// The filter asked for: an employee's id and days as `YYYY-MM-DD`, each refused by its name.
    pub fn filter(&self) -> Result<AuditFilter, AppError> {
        let day = |field: &'static str, raw: &Option<String>| -> Result<Option<NaiveDate>, AppError> {
            given(raw)
                .map(|s| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| AppError::invalid("invalid", field, format!("{field}: `{s}` is not a date like 2026-05-03")))
                })
                .transpose()
        };
        let start = |date: NaiveDate| date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let employee = given(&self.employee)
            .map(|s| s.parse::<EmployeeId>().map_err(|_| AppError::invalid("invalid", "employee", "employee: not an employee id")))
            .transpose()?;
        Ok(AuditFilter {
            employee,
            actor: given(&self.actor).map(str::to_owned),
            action: given(&self.kind).map(str::to_owned),
            from: day("from", &self.from)?.and_then(start),
            to: day("to", &self.to)?.and_then(|d| d.succ_opt()).and_then(start),
        })
    }

    /// The filter again as a query string (for links to the CSV and the next page).
    pub fn query_string(&self) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        for (key, value) in
            [("employee", &self.employee), ("actor", &self.actor), ("kind", &self.kind), ("from", &self.from), ("to", &self.to)]
        {
            if let Some(value) = given(value) {
                pairs.append_pair(key, value);
            }
        }
        pairs.finish()
    }
}

/// How many audit entries one page holds.
pub const AUDIT_PAGE: i64 = 200;

/// The most entries a CSV export holds.
const AUDIT_CSV_LIMIT: i64 = 100_000;

/// The company's audit log as CSV, with `filter`, newest first: `seq, at, actor, action,
/// subject, employee_id, detail, hash`.
pub async fn audit_csv(store: &dyn Store, company: CompanyId, filter: &AuditFilter) -> Result<String, AppError> {
    let entries = store.audit_entries(company, filter, AUDIT_CSV_LIMIT, 0).await?;
    let mut csv = String::from("seq,at,actor,action,subject,employee_id,detail,hash\r\n");
    for c in entries {
        let employee = c.entry.employee.map(|e| e.to_string()).unwrap_or_default();
        let at = c.entry.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let fields = [c.seq.to_string(), at, c.entry.actor, c.entry.action, c.entry.subject, employee, c.entry.detail, c.hash];
        csv.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
    }
    Ok(csv)
}

/// One CSV field: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so that a spreadsheet does not run it as a formula.
fn csv_field(raw: &str) -> String {
    let safe = clockface_domain::text::inert_cell(raw);
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("\t=1"), "'\t=1", "a leading tab too");
    }
}
