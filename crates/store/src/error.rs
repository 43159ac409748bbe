//! The store's error type.

/// A uniqueness rule a write can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    AdminEmail,
    RoleName,
    EmployeeNumber,
    EmployeePin,
    JobNumber,
    CostCodeNumber,
    /// A time-off type's name, unique in its company case aside.
    TimeOffTypeName,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0:?} is already taken")]
    Duplicate(Unique),
    #[error("the role is held by {0} employees")]
    RoleInUse(i64),
    #[error("the role is not one of the company's")]
    UnknownRole,
    #[error("the registration code is unknown, used or expired")]
    InvalidCode,
    #[error("a crew member is not an employee of the company")]
    UnknownCrewMember,
    #[error("an employee assigned to a supervisor is not an employee of the company")]
    UnknownEmployee,
    #[error("a job is not one of the company's")]
    UnknownJob,
    #[error("the time card is approved for this pay period")]
    Locked,
    #[error("the data changed while it was being read; read it again")]
    Conflict,
    #[error("the database URL must start with sqlite: or postgres:")]
    UnsupportedUrl,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("the database did not take the write: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("photo store error: {0}")]
    Blob(String),
    #[error("object store error: {0}")]
    ObjectStore(#[from] object_store::Error),
}

impl From<clockface_domain::DomainError> for StoreError {
    fn from(error: clockface_domain::DomainError) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

/// Maps a unique-constraint violation to the rule it broke, by the column it names (PostgreSQL
/// names the constraint, SQLite the columns; both contain the column name).
pub(crate) fn unique_violation(error: sqlx::Error, rules: &[(&str, Unique)]) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            let text = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
            if let Some((_, rule)) = rules.iter().find(|(column, _)| text.contains(column)) {
                return StoreError::Duplicate(*rule);
            }
        }
    }
    StoreError::Database(error)
}
