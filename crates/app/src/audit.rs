//! The audit writer: one line per change, saying who (`admin:<id>`, `system`) did what to what.
//! A change's line is handed to the store with the change, which commits both together; the store
//! chains the lines (`store::sql::audit`) and the witness signs the heads (`witness`).

use chrono::Utc;
use clockface_domain::ids::CompanyId;
use clockface_store::AuditEntry;

/// One audit line, now. A subject `employee:<id>` makes the line about that employee (found by
/// the audit viewer's filter); other lines say whom they concern with `AuditEntry::about`.
pub fn audit_entry(company: CompanyId, actor: &str, action: &str, subject: &str, detail: &str) -> AuditEntry {
    AuditEntry {
        company_id: company,
        at: Utc::now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail: detail.to_owned(),
        employee: subject.strip_prefix("employee:").and_then(|id| id.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_about_an_employee_names_them() {
        let company = CompanyId(uuid::Uuid::from_u128(1));
        let employee = uuid::Uuid::from_u128(2);
        let line = audit_entry(company, "admin:x", "templates.deleted", &format!("employee:{employee}"), "");
        assert_eq!(line.employee.map(|e| e.0), Some(employee));
        assert_eq!(audit_entry(company, "admin:x", "user.invited", "user:ana@acme.test", "").employee, None);
    }
}
