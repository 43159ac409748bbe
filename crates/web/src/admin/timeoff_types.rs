//! The time-off types part of Payroll settings: each of the company's types (name, kind, paid or
//! not, active, its accrual policy, and its pay code in each payroll system's file) in a form of
//! its own, and a form to add one. Saving goes through `clockface_app::timeoff::save_type`, the
//! use case behind the JSON API's too; a refusal shows the settings page again with the typed
//! values and each message beside its field.

use super::{AdminSession, FormData, FormErrors, PageError, SignedForm};
use crate::admin::words;
use crate::error::Checks;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use clockface_app::timeoff::{save_type, types};
use clockface_domain::timeoff::kind::TimeOffTypeInput;
use clockface_domain::timeoff::{parse_hours, AccrualMethod, AccrualPolicy, TimeOffKind, TimeOffPayCodes, TimeOffType, HOUR};
use clockface_domain::DomainError;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/payroll/time-off-types", post(save_type_form))
}

/// The fields a type's form shows, each with its refusal beside it.
const TYPE_FIELDS: &[&str] = &[
    "name",
    "kind",
    "paid",
    "policy",
    "accrual_rate",
    "accrual_hours",
    "cap",
    "carry_over",
    "adp_wfn_hours_code",
    "adp_run_earnings_code",
    "paychex_pay_component",
    "gusto_column",
    "quickbooks_payroll_item",
];

/// How a type's balance is kept, as the form's select names it.
pub const ACCRUALS: [(&str, &str); 5] = [
    ("none", "payroll_settings.accrual_none"),
    ("manual", "payroll_settings.accrual_manual"),
    ("per_hour_worked", "payroll_settings.accrual_per_hour_worked"),
    ("per_pay_period", "payroll_settings.accrual_per_pay_period"),
    ("yearly_grant", "payroll_settings.accrual_yearly_grant"),
];

/// A type's form: what it shows (the type as saved, or as typed when refused) and its refusals.
pub struct TypeForm {
    /// The type's id; empty in the form that adds one.
    pub id: String,
    /// What the form's element ids start with: the type's id, or `new`.
    pub key: String,
    pub name: String,
    pub kind: String,
    pub paid: bool,
    pub active: bool,
    /// One of [`ACCRUALS`].
    pub accrual: String,
    /// Per hour worked: `earned` hours for every `per_worked` hours worked.
    pub earned: String,
    pub per_worked: String,
    /// Per pay period, or the yearly grant.
    pub accrual_hours: String,
    pub cap: String,
    pub carry_over: String,
    pub allow_negative: bool,
    pub codes: TimeOffPayCodes,
    pub errors: FormErrors,
}

/// Hours typed in `field`, or none with the refusal kept in `checks`.
fn hours(checks: &mut Checks, field: &'static str, raw: &str) -> Option<i64> {
    checks.take(parse_hours(field, raw))
}

/// Hours as a form shows them: `8`, `4.5`, `0.25`.
fn form_hours(seconds: i64) -> String {
    let hundredths = seconds * 100 / HOUR;
    let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl TypeForm {
    /// The empty form that adds a type: a paid custom type, no balance kept.
    pub fn new_type() -> Self {
        TypeForm {
            id: String::new(),
            key: "new".to_owned(),
            name: String::new(),
            kind: TimeOffKind::Custom.as_str().to_owned(),
            paid: true,
            active: true,
            accrual: "none".to_owned(),
            earned: String::new(),
            per_worked: String::new(),
            accrual_hours: String::new(),
            cap: String::new(),
            carry_over: String::new(),
            allow_negative: false,
            codes: TimeOffPayCodes::default(),
            errors: FormErrors::default(),
        }
    }

    /// A saved type's form.
    pub fn of(t: &TimeOffType) -> Self {
        let policy = t.policy;
        let (accrual, earned, per_worked, accrual_hours) = match policy.map(|p| p.method) {
            None => ("none", String::new(), String::new(), String::new()),
            Some(AccrualMethod::None) => ("manual", String::new(), String::new(), String::new()),
            Some(AccrualMethod::PerHourWorked { earned_seconds, per_worked_seconds }) => {
                ("per_hour_worked", form_hours(earned_seconds), form_hours(per_worked_seconds), String::new())
            }
            Some(AccrualMethod::PerPayPeriod { seconds }) => ("per_pay_period", String::new(), String::new(), form_hours(seconds)),
            Some(AccrualMethod::YearlyGrant { seconds }) => ("yearly_grant", String::new(), String::new(), form_hours(seconds)),
        };
        TypeForm {
            id: t.id.to_string(),
            key: t.id.to_string(),
            name: t.name.as_str().to_owned(),
            kind: t.kind.as_str().to_owned(),
            paid: t.paid,
            active: t.active,
            accrual: accrual.to_owned(),
            earned,
            per_worked,
            accrual_hours,
            cap: policy.and_then(|p| p.cap_seconds).map(form_hours).unwrap_or_default(),
            carry_over: policy.and_then(|p| p.carry_over_seconds).map(form_hours).unwrap_or_default(),
            allow_negative: policy.is_some_and(|p| p.allow_negative),
            codes: t.codes.clone(),
            errors: FormErrors::default(),
        }
    }

    /// The form as typed.
    fn typed(form: &FormData) -> Self {
        let text = |name: &str| form.get(name).trim().to_owned();
        let id = text("id");
        TypeForm {
            key: if id.is_empty() { "new".to_owned() } else { id.clone() },
            id,
            name: form.get("name").to_owned(),
            kind: text("kind"),
            paid: form.checked("paid"),
            active: form.checked("active"),
            accrual: text("accrual"),
            earned: text("earned"),
            per_worked: text("per_worked"),
            accrual_hours: text("accrual_hours"),
            cap: text("cap"),
            carry_over: text("carry_over"),
            allow_negative: form.checked("allow_negative"),
            codes: TimeOffPayCodes {
                adp_wfn_hours_code: text("adp_wfn_hours_code"),
                adp_run_earnings_code: text("adp_run_earnings_code"),
                paychex_pay_component: text("paychex_pay_component"),
                gusto_column: text("gusto_column"),
                quickbooks_payroll_item: text("quickbooks_payroll_item"),
            },
            errors: FormErrors::default(),
        }
    }

    /// The accrual policy typed: none when no balance is kept; hours refused by name.
    fn policy(&self, checks: &mut Checks) -> Option<AccrualPolicy> {
        let method = match self.accrual.as_str() {
            "none" => return None,
            "manual" => AccrualMethod::None,
            "per_hour_worked" => AccrualMethod::PerHourWorked {
                earned_seconds: hours(checks, "accrual_rate", &self.earned).unwrap_or(0),
                per_worked_seconds: hours(checks, "accrual_rate", &self.per_worked).unwrap_or(0),
            },
            "per_pay_period" => AccrualMethod::PerPayPeriod { seconds: hours(checks, "accrual_hours", &self.accrual_hours).unwrap_or(0) },
            "yearly_grant" => AccrualMethod::YearlyGrant { seconds: hours(checks, "accrual_hours", &self.accrual_hours).unwrap_or(0) },
            other => {
                checks.push(DomainError::invalid("policy", format!("`{}` is not a way of keeping a balance", other.escape_debug())));
                return None;
            }
        };
        // Left empty: no cap, everything carried over.
        let optional = |checks: &mut Checks, field, raw: &str| if raw.is_empty() { None } else { hours(checks, field, raw) };
        Some(AccrualPolicy {
            method,
            cap_seconds: optional(checks, "cap", &self.cap),
            carry_over_seconds: optional(checks, "carry_over", &self.carry_over),
            allow_negative: self.allow_negative,
        })
    }

    /// What the use case takes; hours that do not read are refused here, each by its field,
    /// with whatever else the type's own checks refuse.
    fn input(&self) -> Result<TimeOffTypeInput, ApiError> {
        let mut checks = Checks::default();
        let policy = self.policy(&mut checks);
        let input = TimeOffTypeInput {
            kind: self.kind.clone(),
            name: self.name.clone(),
            paid: self.paid,
            codes: self.codes.clone(),
            policy,
            active: self.active,
        };
        if !checks.failed() {
            return Ok(input);
        }
        if let Err(e) = input.parse() {
            checks.push(e);
        }
        Err(checks.refused())
    }
}

/// The company's types, each in its form, then the form that adds one; `refused` (a form just
/// sent back) in its place.
pub async fn forms(state: &AppState, admin: &AdminSession, refused: Option<TypeForm>) -> Result<Vec<TypeForm>, PageError> {
    let saved = types(&*state.store, admin.company_id(), Utc::now()).await.map_err(ApiError::from)?;
    let mut forms: Vec<TypeForm> = saved.iter().map(TypeForm::of).collect();
    forms.push(TypeForm::new_type());
    if let Some(refused) = refused {
        if let Some(form) = forms.iter_mut().find(|f| f.id == refused.id) {
            *form = refused;
        }
    }
    Ok(forms)
}

async fn save_type_form(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let mut typed = TypeForm::typed(&form);
    let id = match typed.id.as_str() {
        "" => None,
        raw => Some(super::parse_id(raw)?),
    };
    let saved = match typed.input() {
        Ok(input) => save_type(&*state.store, admin.auth().scope(), id, input, Utc::now()).await.map(|_| ()).map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => {
            Ok(super::see_other(&format!("/admin/payroll/settings?type_saved=1#type-{}", if id.is_some() { &typed.key } else { "list" })))
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            typed.errors = errors.shown_on(TYPE_FIELDS);
            if typed.errors.form.is_none() && !typed.errors.fields.is_empty() {
                typed.errors.form = Some(words::en("payroll_settings.type_not_saved").to_owned());
            }
            super::payroll::settings_with_refused_type(&state, &admin, typed, status).await
        }
    }
}
