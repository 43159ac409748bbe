//! What the store keeps for time off beyond the domain's own types: an admin's ledger line as
//! stored (with whom and which type it is for), and the filter of a list of requests.

use chrono::{DateTime, Utc};
use clockface_domain::ids::{EmployeeId, TimeOffTypeId};
use clockface_domain::timeoff::Adjustment;
use uuid::Uuid;

/// An admin's line in an employee's ledger of one type: a starting balance or an adjustment,
/// written once and never changed (a correction is another line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAdjustment {
    pub id: Uuid,
    pub employee_id: EmployeeId,
    pub type_id: TimeOffTypeId,
    pub adjustment: Adjustment,
    /// When it was written (the adjustment's own date is the day it counts from).
    pub made_at: DateTime<Utc>,
}
