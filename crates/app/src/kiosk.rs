//! Identification at a kiosk (issue 28): which employee, if any, is the worker in front of a
//! shared tablet in kiosk mode, and what the audit log says about it.
//!
//! The face engine decides ([`clockface_face::Gallery::identify_subject`]: one close, live
//! subject, a score over the threshold for the gallery's size and a margin over the second best);
//! this module keeps each kiosk's gallery in memory ([`Galleries`]), adds the step-up (a head turn
//! when the passive check is unsure, as a role's `step_up` liveness does at a PIN sign-in) and
//! writes one audit line per decision and per "Not me". The kiosk never records a punch here: it
//! sends the punch itself once the worker did not say "Not me", through the outbox like any other.

use crate::audit::audit_entry;
use chrono::{DateTime, Utc};
use clockface_domain::device::{Device, Kiosk};
use clockface_domain::ids::{CompanyId, EmployeeId};
use clockface_domain::privacy::RELEASE_VERSION;
use clockface_face::{Embedding, Gallery, Identification, PinReason};
use clockface_store::{Store, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest a kiosk keeps a gallery without reading it again, even when nothing it watches
/// ([`Store::gallery_stamp`]) changed: a move from one crew to another keeps every count the same.
pub const GALLERY_MAX_AGE: Duration = Duration::from_secs(60);

/// The galleries of the kiosks this node served, decrypted once and kept in memory, per company
/// and crew. A gallery is read again when the company's templates, releases, active employees or
/// crews changed (checked with one small query per identification) or after [`GALLERY_MAX_AGE`].
#[derive(Default)]
pub struct Galleries {
    cached: Mutex<HashMap<(CompanyId, Option<EmployeeId>), Cached>>,
}

struct Cached {
    stamp: String,
    loaded: Instant,
    gallery: Arc<Gallery<EmployeeId>>,
}

impl Galleries {
    /// The gallery of `kiosk` in `company`: everyone it may identify (active, release signed and
    /// not withdrawn, enrolled), their templates opened with `open` (`None`: it does not open, and
    /// is left out).
    pub async fn gallery(
        &self,
        store: &dyn Store,
        company: CompanyId,
        kiosk: Kiosk,
        open: impl Fn(EmployeeId, &[u8]) -> Option<Embedding>,
    ) -> Result<Arc<Gallery<EmployeeId>>, StoreError> {
        let key = (company, kiosk.crew_of);
        let stamp = store.gallery_stamp(company).await?;
        if let Some(cached) = self.lock().get(&key) {
            if cached.stamp == stamp && cached.loaded.elapsed() < GALLERY_MAX_AGE {
                return Ok(cached.gallery.clone());
            }
        }
        // Without a published policy nobody has a release in force (`ReleaseStatus::NoPolicy`).
        let templates = match store.policy(company, None).await? {
            Some(_) => store.gallery_templates(company, kiosk.crew_of, RELEASE_VERSION).await?,
            None => Vec::new(),
        };
        let opened = templates.into_iter().filter_map(|(employee, stored)| Some((employee, open(employee, &stored)?)));
        let gallery = Arc::new(Gallery::from_templates(opened));
        self.lock().insert(key, Cached { stamp, loaded: Instant::now(), gallery: gallery.clone() });
        Ok(gallery)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(CompanyId, Option<EmployeeId>), Cached>> {
        // A panic while holding the lock leaves a map that is still whole: keep using it.
        self.cached.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What the kiosk is told after a photo.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum KioskAnswer {
    /// The worker is this employee: the kiosk greets them, offers "Not me" for a few seconds, then
    /// sends their punch.
    Identified {
        employee_id: EmployeeId,
        name: String,
        /// The identification's score (cosine similarity to their enrolled face).
        score: f32,
    },
    /// The passive liveness check is unsure of this photo: ask for a head turn and send the photo
    /// again with the burst.
    HeadTurn,
    /// Not identified: ask for the PIN. `reason` is a code, `message` says it in English.
    Pin { reason: String, message: String },
}

/// Whether a liveness step-up is needed or was passed, for an identified worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUp {
    /// The passive check is sure enough: no head turn.
    NotNeeded,
    /// The passive check is unsure and no head turn came with the photo.
    Missing,
    /// A head turn came with the photo: whether it was seen, live, of the identified person.
    Judged(bool),
}

/// The kiosk's decision from the engine's identification and the step-up, before any audit:
/// an identification the step-up did not confirm is a PIN prompt (a print held up to a kiosk turns
/// no head).
pub fn decide(identification: &Identification<EmployeeId>, step_up: StepUp) -> Decision {
    match (identification, step_up) {
        (Identification::Identified { id, score, second, .. }, StepUp::NotNeeded | StepUp::Judged(true)) => {
            Decision::Identified { employee: *id, score: *score, second: *second }
        }
        (Identification::Identified { .. }, StepUp::Missing) => Decision::HeadTurn,
        (Identification::Identified { score, second, .. }, StepUp::Judged(false)) => {
            Decision::Pin { reason: PinReason::NotLive, best: Some(*score), second: *second }
        }
        (Identification::AskPin { reason, best, second }, _) => Decision::Pin { reason: *reason, best: *best, second: *second },
    }
}

/// See [`decide`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    Identified { employee: EmployeeId, score: f32, second: Option<f32> },
    HeadTurn,
    Pin { reason: PinReason, best: Option<f32>, second: Option<f32> },
}

/// The code of a reason, as the kiosk and the audit log read it (e.g. `below_threshold`).
pub fn reason_code(reason: PinReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn scores(best: Option<f32>, second: Option<f32>) -> String {
    match (best, second) {
        (Some(best), Some(second)) => format!(" (best score {best:.3}, next {second:.3})"),
        (Some(best), None) => format!(" (best score {best:.3})"),
        _ => String::new(),
    }
}

/// Records `decision` for the photo of punch `client_id` at `device` in the audit log (each
/// identification: who, the device, the score; each refusal: why) and says what the kiosk shows.
pub async fn answer(
    store: &dyn Store,
    device: &Device,
    client_id: &str,
    decision: Decision,
    people: usize,
    now: DateTime<Utc>,
) -> Result<KioskAnswer, StoreError> {
    let company = device.company_id;
    let actor = format!("device:{}", device.id);
    let line = |action: &str, subject: String, detail: String| {
        let mut entry = audit_entry(company, &actor, action, &subject, &detail);
        entry.at = now;
        entry
    };
    match decision {
        Decision::Identified { employee, score, second } => {
            let found = store.employee(company, employee).await?;
            let name = found.name.as_str().to_owned();
            let detail = format!(
                "identified as {name} by face at kiosk \"{}\" among {people} enrolled{}, for punch {client_id}",
                device.name,
                scores(Some(score), second)
            );
            store.audit(&line("kiosk.identified", format!("employee:{employee}"), detail)).await?;
            Ok(KioskAnswer::Identified { employee_id: employee, name, score })
        }
        Decision::HeadTurn => Ok(KioskAnswer::HeadTurn),
        Decision::Pin { reason, best, second } => {
            let detail = format!(
                "not identified at kiosk \"{}\" among {people} enrolled: {}{}; asked for the PIN",
                device.name,
                reason.message(),
                scores(best, second)
            );
            store.audit(&line("kiosk.not_identified", format!("device:{}", device.id), detail)).await?;
            Ok(KioskAnswer::Pin { reason: reason_code(reason), message: reason.message().to_owned() })
        }
    }
}

/// Records a "Not me": the worker said the kiosk named the wrong person, so the punch it was
/// about to send for `employee` was not sent, and the kiosk asks for the PIN.
pub async fn not_me(
    store: &dyn Store,
    device: &Device,
    employee: EmployeeId,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let found = store.employee(device.company_id, employee).await?;
    let detail = format!(
        "\"Not me\" at kiosk \"{}\": the identification as {} was cancelled and punch {client_id} not sent; asked for the PIN",
        device.name,
        found.name.as_str()
    );
    let mut entry =
        audit_entry(device.company_id, &format!("device:{}", device.id), "kiosk.not_me", &format!("employee:{employee}"), &detail);
    entry.at = now;
    store.audit(&entry).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clockface_face::IDENTIFY_RULES;

    fn grace() -> EmployeeId {
        EmployeeId(uuid::Uuid::from_u128(7))
    }

    fn identified() -> Identification<EmployeeId> {
        Identification::Identified { id: grace(), score: 0.8, second: Some(0.3), rule: IDENTIFY_RULES[0] }
    }

    #[test]
    fn an_identification_stands_when_the_passive_check_is_sure_or_the_head_turn_passed() {
        let expected = Decision::Identified { employee: grace(), score: 0.8, second: Some(0.3) };
        assert_eq!(decide(&identified(), StepUp::NotNeeded), expected);
        assert_eq!(decide(&identified(), StepUp::Judged(true)), expected);
    }

    #[test]
    fn an_unsure_passive_check_asks_for_a_head_turn_and_a_failed_one_asks_for_the_pin() {
        assert_eq!(decide(&identified(), StepUp::Missing), Decision::HeadTurn);
        assert_eq!(
            decide(&identified(), StepUp::Judged(false)),
            Decision::Pin { reason: PinReason::NotLive, best: Some(0.8), second: Some(0.3) },
            "a print held up turns no head: never named"
        );
    }

    #[test]
    fn the_engines_pin_prompt_stays_one_whatever_the_step_up() {
        let asked = Identification::AskPin { reason: PinReason::BelowThreshold, best: Some(0.4), second: None };
        for step_up in [StepUp::NotNeeded, StepUp::Missing, StepUp::Judged(true)] {
            assert_eq!(decide(&asked, step_up), Decision::Pin { reason: PinReason::BelowThreshold, best: Some(0.4), second: None });
        }
    }

    #[test]
    fn reasons_have_the_codes_the_kiosk_reads() {
        assert_eq!(reason_code(PinReason::BelowThreshold), "below_threshold");
        assert_eq!(reason_code(PinReason::PoorQuality(clockface_face::QualityIssue::TooDark)), "poor_quality");
        assert_eq!(reason_code(PinReason::NotLive), "not_live");
    }
}
