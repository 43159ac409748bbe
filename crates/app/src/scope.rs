//! Whom a user of the web app acts for: their company, who they are (the audit lines' actor),
//! their role, and the employees they reach (an admin every one of the company, a supervisor
//! their assigned employees). Use cases a supervisor may use take it, so that scoping is a
//! parameter of the use case and not something a handler remembers.

use crate::AppError;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::user::{Reach, UserRole};
use clockface_store::StoreError;

/// A user acting, with their reach.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub company: CompanyId,
    pub user: AdminId,
    pub role: UserRole,
    pub reach: &'a Reach,
}

impl Scope<'_> {
    /// The audit log's name for this user.
    pub fn actor(&self) -> String {
        format!("admin:{}", self.user)
    }

    /// Nothing, or not found when the employee is out of reach: a supervisor asking for someone
    /// else's employee learns no more than about an employee who does not exist.
    pub fn employee(&self, employee: EmployeeId) -> Result<(), AppError> {
        if self.reach.includes(employee) {
            Ok(())
        } else {
            Err(StoreError::NotFound.into())
        }
    }

    /// Nothing for an admin; [`AppError::admins_only`] for anyone else.
    pub fn require_admin(&self, what: &str) -> Result<(), AppError> {
        if self.role.is_admin() {
            Ok(())
        } else {
            Err(AppError::admins_only(what))
        }
    }
}
