//! Typed identifiers, so that an employee id can never be passed where a device id is meant.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, random (time-ordered) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    /// A company: the tenant every other row belongs to.
    CompanyId,
    /// A web-app user of one company.
    AdminId,
    /// A mobile security role.
    RoleId,
    /// An employee.
    EmployeeId,
    /// A registered install of the mobile clock.
    DeviceId,
    /// A stored punch (the server's id; the device's own id is a [`crate::punch::ClientPunchId`]).
    PunchId,
    /// A correction to a time card (payroll).
    CorrectionId,
    /// A job (a site or contract hours are billed to).
    JobId,
    /// A cost code (the kind of work hours went to).
    CostCodeId,
    /// A company's time-off type (vacation, sick, its own).
    TimeOffTypeId,
    /// A request for time off.
    TimeOffRequestId,
);
