//! Biometric privacy: a company's retention and destruction policy (public, versioned, generated
//! from its settings), when an employee's face templates and FaceFront photos are due for
//! destruction under it, and the written release an employee signs (or declines) before any
//! template is made. Facts behind the presets: Illinois BIPA §15(a) (destroy when the purpose is
//! satisfied or within 3 years of the last interaction, whichever first), Texas Bus. & Com. Code
//! 503.001 (at the latest one year after the purpose expires), Washington RCW 19.375, GDPR art. 9.
//! Not legal advice.

use crate::language::Language;
use crate::DomainError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The law a company's policy follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    /// The strictest of all the presets below at once: the default.
    Strictest,
    /// Illinois (BIPA): when employment ends, or 3 years after the last punch, whichever comes first.
    Illinois,
    /// Texas: at most one year after employment ends.
    Texas,
    /// Washington: no longer than needed, which for clockface is when employment ends.
    Washington,
    /// The EU and UK (GDPR): when employment ends; the photo check by a person is the alternative.
    Gdpr,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 5] =
        [Jurisdiction::Strictest, Jurisdiction::Illinois, Jurisdiction::Texas, Jurisdiction::Washington, Jurisdiction::Gdpr];

    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::Strictest => "strictest",
            Jurisdiction::Illinois => "illinois",
            Jurisdiction::Texas => "texas",
            Jurisdiction::Washington => "washington",
            Jurisdiction::Gdpr => "gdpr",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Jurisdiction::ALL
            .into_iter()
            .find(|j| j.as_str() == raw)
            .ok_or_else(|| DomainError::invalid("jurisdiction", "must be strictest, illinois, texas, washington or gdpr"))
    }

    pub fn name(self) -> &'static str {
        self.name_in(Language::English)
    }

    /// The law's name as the policy in `language` writes it.
    pub fn name_in(self, language: Language) -> &'static str {
        if language == Language::Spanish {
            return match self {
                Jurisdiction::Strictest => "la más estricta de las leyes de Illinois, Texas, Washington y el RGPD",
                Jurisdiction::Illinois => "la ley de Illinois (Biometric Information Privacy Act)",
                Jurisdiction::Texas => "la ley de Texas (Business and Commerce Code 503.001)",
                Jurisdiction::Washington => "la ley de Washington (RCW 19.375)",
                Jurisdiction::Gdpr => "el Reglamento General de Protección de Datos (RGPD) de la UE y del Reino Unido",
            };
        }
        match self {
            Jurisdiction::Strictest => {
                "the strictest of the laws of Illinois (Biometric Information Privacy Act), Texas (Business and Commerce Code 503.001), Washington (RCW 19.375) and the EU and UK General Data Protection Regulation"
            }
            Jurisdiction::Illinois => "Illinois (Biometric Information Privacy Act)",
            Jurisdiction::Texas => "Texas (Business and Commerce Code 503.001)",
            Jurisdiction::Washington => "Washington (RCW 19.375)",
            Jurisdiction::Gdpr => "the EU and UK General Data Protection Regulation",
        }
    }

    /// How long after employment ends templates are kept at most.
    pub fn after_employment(self) -> Duration {
        match self {
            Jurisdiction::Texas => Duration::days(365),
            _ => Duration::zero(),
        }
    }

    /// How long after an employee's last punch templates are kept at most, if the law says.
    pub fn after_last_punch(self) -> Option<Duration> {
        match self {
            Jurisdiction::Illinois => Some(Duration::days(3 * 365)),
            // The strictest: Illinois's clock, and a year where Texas would count it from the end of the purpose.
            Jurisdiction::Strictest => Some(Duration::days(365)),
            _ => None,
        }
    }
}

/// A company's settings that its policy is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    pub jurisdiction: Jurisdiction,
    /// FaceFront photos are destroyed this many days after they were taken (the punch stays).
    pub photo_days: i64,
    /// An employee whose face data was deleted on request (their release withdrawn) is asked at
    /// their next sign-in whether they want to sign again; otherwise they are never asked again.
    pub reconsent: bool,
}

impl RetentionSettings {
    pub fn parse(jurisdiction: &str, photo_days: i64, reconsent: bool) -> Result<Self, DomainError> {
        if !(1..=3650).contains(&photo_days) {
            return Err(DomainError::invalid("photo_days", "must be between 1 and 3650 days"));
        }
        Ok(RetentionSettings { jurisdiction: Jurisdiction::parse(jurisdiction)?, photo_days, reconsent })
    }
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings { jurisdiction: Jurisdiction::Strictest, photo_days: 365, reconsent: true }
    }
}

/// What is known of an employee to decide when their face templates are destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmployeeFacts {
    /// When employment ended (the employee was made inactive), if it has.
    pub left_at: Option<DateTime<Utc>>,
    /// Their last punch, if any.
    pub last_punch_at: Option<DateTime<Utc>>,
    /// When their first template was made (the clock for "since the last interaction" without punches).
    pub enrolled_at: DateTime<Utc>,
}

/// When an employee's templates must be destroyed under `settings`: the earliest of the times the
/// law gives. `None` while nothing sets a date yet (still employed, and the law counts from employment).
pub fn templates_destroyed_on(settings: RetentionSettings, facts: EmployeeFacts) -> Option<DateTime<Utc>> {
    let jurisdiction = settings.jurisdiction;
    let by_employment = facts.left_at.map(|left| left + jurisdiction.after_employment());
    let by_inactivity =
        jurisdiction.after_last_punch().map(|keep| facts.last_punch_at.unwrap_or(facts.enrolled_at).max(facts.enrolled_at) + keep);
    match (by_employment, by_inactivity) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// When a FaceFront photo taken at `taken_at` must be destroyed.
pub fn photo_destroyed_on(settings: RetentionSettings, taken_at: DateTime<Utc>) -> DateTime<Utc> {
    taken_at + Duration::days(settings.photo_days)
}

/// At `now`, the photos taken before this instant are due (a photo taken at `t` is due once
/// [`photo_destroyed_on`]`(t) <= now`).
pub fn photos_due_before(settings: RetentionSettings, now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(settings.photo_days) + Duration::microseconds(1)
}

/// The public policy text made from a company's settings (markdown-free plain paragraphs), in
/// `language`: the same policy, each language saying all of it.
pub fn policy_text(company: &str, version: i64, settings: RetentionSettings, language: Language) -> Vec<String> {
    match language {
        Language::English => policy_text_en(company, version, settings),
        Language::Spanish => policy_text_es(company, version, settings),
    }
}

fn policy_text_en(company: &str, version: i64, settings: RetentionSettings) -> Vec<String> {
    let jurisdiction = settings.jurisdiction;
    let templates = match jurisdiction {
        Jurisdiction::Illinois => {
            "when the employee's employment ends, or three years after their last time punch, whichever comes first".to_owned()
        }
        Jurisdiction::Texas => "within one year after the employee's employment ends, and no later".to_owned(),
        Jurisdiction::Strictest => {
            "when the employee's employment ends, or one year after their last time punch, whichever comes first".to_owned()
        }
        Jurisdiction::Washington | Jurisdiction::Gdpr => "when the employee's employment ends".to_owned(),
    };
    vec![
        format!("{company} uses clockface, a time clock, to check that the person clocking in or out is the employee. This is its biometric data retention and destruction policy, version {version}, written to meet {}.", jurisdiction.name()),
        "What is collected. When an employee whose role uses FaceFront clocks in or out, the device's front camera takes a photo. For employees who signed the written release, clockface turns the face in their enrolment photo and in each FaceFront photo into a face template (a set of 128 numbers derived from the face's geometry) and compares them. At a shared tablet an administrator set up as a kiosk, clockface also compares the face of the person in front of it with the templates of the employees who signed the release (of the company, or of the tablet's crew) to identify who is clocking in without a PIN; anyone not identified uses their PIN, and each identification is recorded in the audit log. No template is made for an employee who has not signed the release, or who declined: a person checks their photos instead, and they clock in and out as everyone else does.".to_owned(),
        "Why. Only to check that time punches are made by the employee they are for. Face data is never sold, leased, traded or otherwise used for profit, and is not disclosed to anyone outside the employer except as the law requires.".to_owned(),
        format!("How long. Face templates are permanently destroyed {templates}, or sooner on the employee's request. FaceFront photos are destroyed {} days after they were taken. The time records themselves are kept, as wage and hour law requires.", settings.photo_days),
        "How. An automatic job runs every day and destroys what is due: templates are deleted from the database and photos from storage; a destruction log records what was destroyed and when, and holds no face data. Templates are stored encrypted. The key is not in the database: it is a separate file on the server (in the same folder as the database unless the administrator keeps it elsewhere), so a copy of the database alone does not reveal any template, and backups write the key to a different place than the copy of the data.".to_owned(),
        format!("Access. Each view of a photo, each release, enrolment, review decision, deletion and export is recorded in an audit log. An employee may ask for a copy of what is stored about them, and for their face data to be deleted at any time. A deletion on request withdraws their release: no template is made of them again {}.", if settings.reconsent { "unless they sign it anew, which the clock offers them at their next sign-in" } else { "and the clock does not ask them to sign again" }),
    ]
}

fn policy_text_es(company: &str, version: i64, settings: RetentionSettings) -> Vec<String> {
    let jurisdiction = settings.jurisdiction;
    let templates = match jurisdiction {
        Jurisdiction::Illinois => {
            "cuando termina la relación laboral del empleado, o tres años después de su última marcación de tiempo, lo que ocurra primero"
        }
        Jurisdiction::Texas => "dentro del año siguiente al fin de la relación laboral del empleado, y no más tarde",
        Jurisdiction::Strictest => {
            "cuando termina la relación laboral del empleado, o un año después de su última marcación de tiempo, lo que ocurra primero"
        }
        Jurisdiction::Washington | Jurisdiction::Gdpr => "cuando termina la relación laboral del empleado",
    };
    vec![
        format!("{company} usa clockface, un reloj checador, para comprobar que la persona que marca entrada o salida es el empleado. Esta es su política de conservación y destrucción de datos biométricos, versión {version}, redactada para cumplir con {}.", jurisdiction.name_in(Language::Spanish)),
        "Qué se recoge. Cuando un empleado cuyo rol usa FaceFront marca entrada o salida, la cámara frontal del dispositivo toma una foto. Para los empleados que firmaron la autorización por escrito, clockface convierte el rostro de su foto de registro y de cada foto de FaceFront en una plantilla facial (un conjunto de 128 números derivados de la geometría del rostro) y las compara. En una tableta compartida que un administrador configuró como quiosco, clockface también compara el rostro de la persona que está frente a ella con las plantillas de los empleados que firmaron la autorización (de la empresa, o de la cuadrilla de la tableta) para identificar quién marca sin su PIN; quien no es identificado usa su PIN, y cada identificación queda anotada en el registro de auditoría. No se hace ninguna plantilla de un empleado que no ha firmado la autorización, o que la rechazó: una persona revisa sus fotos en su lugar, y marca entrada y salida como todos los demás.".to_owned(),
        "Para qué. Solo para comprobar que las marcaciones de tiempo las hace el empleado al que corresponden. Los datos faciales nunca se venden, se alquilan, se intercambian ni se usan de ningún otro modo para obtener ganancias, y no se revelan a nadie fuera del empleador salvo cuando la ley lo exige.".to_owned(),
        format!("Cuánto tiempo. Las plantillas faciales se destruyen de forma permanente {templates}, o antes si el empleado lo pide. Las fotos de FaceFront se destruyen {} días después de tomadas. Los registros de tiempo se conservan, como lo exige la ley de salarios y horas.", settings.photo_days),
        "Cómo. Un proceso automático se ejecuta cada día y destruye lo que corresponde: las plantillas se borran de la base de datos y las fotos del almacenamiento; un registro de destrucción anota qué se destruyó y cuándo, y no guarda datos faciales. Las plantillas se guardan cifradas. La clave no está en la base de datos: es un archivo aparte en el servidor (en la misma carpeta que la base de datos, salvo que el administrador la guarde en otro lugar), de modo que una copia de la base de datos por sí sola no revela ninguna plantilla, y las copias de seguridad guardan la clave en un lugar distinto de la copia de los datos.".to_owned(),
        format!("Acceso. Cada vez que se ve una foto, y cada autorización, registro facial, decisión de revisión, eliminación y exportación, queda anotada en un registro de auditoría. Un empleado puede pedir en cualquier momento una copia de lo que se guarda sobre él, y que se borren sus datos faciales. Un borrado a petición retira su autorización: no se vuelve a hacer ninguna plantilla de su rostro {}.", if settings.reconsent { "salvo que la firme de nuevo, lo que el reloj le ofrece la próxima vez que inicie sesión" } else { "y el reloj no le pide que la firme de nuevo" }),
    ]
}

/// The version of the biometric notice and release employees sign. Raise it when [`release_text`]
/// changes: a release of an older version no longer allows enrolment. `2026-12b` names the
/// kiosk's identification by face (issue 28): who signed `2026-12` is asked again at their next
/// sign-in, and is never identified at a kiosk until they sign this one.
pub const RELEASE_VERSION: &str = "2026-12b";

/// What an employee reads and signs before any template is made: the purpose, what is kept, for
/// how long, and where the policy is, in `language`. A signature records the language and the
/// text's hash, so what the employee read can be shown later.
pub fn release_text(company: &str, settings: RetentionSettings, policy_url: &str, language: Language) -> String {
    match language {
        Language::English => {
            let templates = match settings.jurisdiction {
                Jurisdiction::Illinois => "when you leave, or three years after your last punch if that comes first",
                Jurisdiction::Texas => "within one year after you leave",
                Jurisdiction::Strictest => "when you leave, or one year after your last punch if that comes first",
                Jurisdiction::Washington | Jurisdiction::Gdpr => "when you leave",
            };
            format!(
                "{company} uses clockface to check that the person clocking in or out is you. When you clock in or out, the front camera takes a photo. \
                 If you agree, clockface turns your face into a set of numbers (a face template) and compares each photo with it; at a shared tablet set up \
                 as a kiosk, it also compares the face in front of it with the templates of the co-workers who signed this release, to know it is you \
                 without your PIN. The templates are kept \
                 encrypted on your employer's server, are never sold or shared, are used for nothing but checking time punches, and are destroyed {templates}, \
                 or sooner if you ask. Photos are destroyed {} days after they were taken. If you do not agree, nothing changes for your clocking in and out: \
                 a person checks your photos instead. The full policy: {policy_url}",
                settings.photo_days
            )
        }
        Language::Spanish => {
            let templates = match settings.jurisdiction {
                Jurisdiction::Illinois => {
                    "cuando usted deje de trabajar para la empresa, o tres años después de su última marcación si eso ocurre antes"
                }
                Jurisdiction::Texas => "dentro del año siguiente a que usted deje de trabajar para la empresa",
                Jurisdiction::Strictest => {
                    "cuando usted deje de trabajar para la empresa, o un año después de su última marcación si eso ocurre antes"
                }
                Jurisdiction::Washington | Jurisdiction::Gdpr => "cuando usted deje de trabajar para la empresa",
            };
            format!(
                "{company} usa clockface para comprobar que la persona que marca entrada o salida es usted. Cuando usted marca entrada o salida, \
                 la cámara frontal toma una foto. Si usted está de acuerdo, clockface convierte su rostro en un conjunto de números (una plantilla facial) \
                 y compara cada foto con ella; en una tableta compartida configurada como quiosco, también compara el rostro que tiene delante con las \
                 plantillas de los compañeros que firmaron esta autorización, para saber que es usted sin su PIN. Las plantillas se guardan cifradas en el servidor de su empleador, nunca se venden ni se comparten, \
                 no se usan para nada más que comprobar las marcaciones de tiempo y se destruyen {templates}, o antes si usted lo pide. \
                 Las fotos se destruyen {} días después de tomadas. Si usted no está de acuerdo, nada cambia para marcar su entrada y su salida: \
                 una persona revisa sus fotos en su lugar. La política completa: {policy_url}",
                settings.photo_days
            )
        }
    }
}

/// Where an employee stands on the written release: what decides whether templates may be made
/// of their face, whether the clock asks them to sign, and what their unmatched photos' verdict says.
/// Serialized as its name ([`ReleaseStatus::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseStatus {
    /// The company has no published retention policy: nobody can sign, nothing is matched.
    NoPolicy,
    /// Not asked yet (or never answered).
    NotAsked,
    /// Signed or declined an older release than [`RELEASE_VERSION`]: asked again.
    Outdated,
    /// Declined the current release: photos are checked by a person, no template is made.
    Declined,
    /// Signed, then had their face data deleted on request, which withdrew the release: no
    /// template is made. `ask_again` when the company's policy lets the clock ask them to sign anew.
    Withdrawn { ask_again: bool },
    /// Signed the current release: templates may be made and matched.
    Signed,
}

impl Serialize for ReleaseStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl ReleaseStatus {
    /// The status's name in the API: `no_policy`, `not_asked`, `outdated`, `declined`,
    /// `withdrawn` or `signed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::NoPolicy => "no_policy",
            ReleaseStatus::NotAsked => "not_asked",
            ReleaseStatus::Outdated => "outdated",
            ReleaseStatus::Declined => "declined",
            ReleaseStatus::Withdrawn { .. } => "withdrawn",
            ReleaseStatus::Signed => "signed",
        }
    }

    /// The status from the company's published policy (if any) and the employee's latest decision
    /// (its release version, whether it was a signature, and whether it was withdrawn since).
    pub fn of(policy: Option<RetentionSettings>, decision: Option<(&str, bool, bool)>) -> Self {
        match (policy, decision) {
            (None, _) => ReleaseStatus::NoPolicy,
            (Some(_), None) => ReleaseStatus::NotAsked,
            (Some(policy), Some((_, _, true))) => ReleaseStatus::Withdrawn { ask_again: policy.reconsent },
            (Some(_), Some((version, _, false))) if version != RELEASE_VERSION => ReleaseStatus::Outdated,
            (Some(_), Some((_, true, false))) => ReleaseStatus::Signed,
            (Some(_), Some((_, false, false))) => ReleaseStatus::Declined,
        }
    }

    /// Whether a face template may be made (and kept, and matched) for the employee.
    pub fn may_enrol(self) -> Result<(), DomainError> {
        match self {
            ReleaseStatus::Signed => Ok(()),
            ReleaseStatus::NoPolicy => Err(DomainError::PolicyRequired),
            ReleaseStatus::NotAsked | ReleaseStatus::Outdated => Err(DomainError::ReleaseRequired),
            ReleaseStatus::Declined => Err(DomainError::ReleaseDeclined),
            ReleaseStatus::Withdrawn { .. } => Err(DomainError::ReleaseWithdrawn),
        }
    }

    /// Whether the clock asks the employee to read and sign (or decline) the release.
    pub fn asks(self) -> bool {
        matches!(self, ReleaseStatus::NotAsked | ReleaseStatus::Outdated | ReleaseStatus::Withdrawn { ask_again: true })
    }

    /// Why a FaceFront photo of the employee was not matched, for its verdict (a person checks it).
    pub fn why_not_matched(self) -> &'static str {
        match self {
            ReleaseStatus::Signed => "No reference face yet: the first clear FaceFront photo becomes it.",
            ReleaseStatus::NoPolicy => {
                "Not matched: the company has not published its biometric retention policy, so no face template is made. A person checks this photo."
            }
            ReleaseStatus::NotAsked | ReleaseStatus::Outdated => {
                "Not matched: the employee has not signed the biometric release, so no face template is made. A person checks this photo."
            }
            ReleaseStatus::Declined => {
                "Not matched: the employee declined the biometric release, so no face template is made. A person checks this photo."
            }
            ReleaseStatus::Withdrawn { .. } => {
                "Not matched: the employee's face data was deleted on request and their release withdrawn, so no face template is made. A person checks this photo."
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReleaseStatus::NoPolicy => "no retention policy published",
            ReleaseStatus::NotAsked => "not signed yet",
            ReleaseStatus::Outdated => "signed an older release: to sign again",
            ReleaseStatus::Declined => "declined",
            ReleaseStatus::Withdrawn { .. } => "withdrawn: face data deleted on request",
            ReleaseStatus::Signed => "signed",
        }
    }
}

/// A typed full name as an electronic signature: at least two letters, at most 120 characters.
pub fn parse_signature(raw: &str) -> Result<String, DomainError> {
    let raw = crate::text::check("signed_name", raw.trim(), crate::text::Lines::One)?;
    let name: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().filter(|c| c.is_alphabetic()).count() < 2 || name.chars().count() > 120 {
        return Err(DomainError::invalid("signed_name", "type your full name to sign"));
    }
    Ok(name)
}

/// A name reduced to what a signature must match: accents and case dropped (NFKD without its
/// combining marks, lower case), apostrophes and periods removed, hyphens and other punctuation
/// as spaces, split into words.
fn name_words(name: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    let plain: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| !matches!(c, '\'' | '’' | '.'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    plain.split_whitespace().map(str::to_owned).collect()
}

/// Whether a typed signature is the employee's name on file: the same first and last words,
/// forgiving case, accents, extra spaces, punctuation, and middle names or initials on either side
/// ("Grace Hopper" signs for "Grace Brewster Hopper", "José Núñez" for "Jose Nunez", "Grace B.
/// Hopper" for "Grace Hopper"). A one-word name on file must be typed as that word. Refused, the
/// message says what to type.
pub fn check_signature_name(typed: &str, on_file: &str) -> Result<(), DomainError> {
    let (typed_words, file_words) = (name_words(typed), name_words(on_file));
    let matches = match (typed_words.as_slice(), file_words.as_slice()) {
        (_, []) | ([], _) => false,
        ([one], [file]) => one == file,
        ([first, .., last], [file_first, .., file_last]) => first == file_first && last == file_last,
        _ => false,
    };
    if matches {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "signed_name",
            format!("to sign, type your own name as your employer has it: {}", on_file.split_whitespace().collect::<Vec<_>>().join(" ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().unwrap()
    }

    fn settings(jurisdiction: Jurisdiction) -> RetentionSettings {
        RetentionSettings { jurisdiction, photo_days: 90, reconsent: true }
    }

    #[test]
    fn illinois_destroys_at_the_end_of_employment_or_three_years_after_the_last_punch() {
        let illinois = settings(Jurisdiction::Illinois);
        let enrolled = day(2024, 1, 10);
        // Still employed, last punch 1 Mar 2025: 3 years (3 x 365 days) later.
        let working = EmployeeFacts { left_at: None, last_punch_at: Some(day(2025, 3, 1)), enrolled_at: enrolled };
        assert_eq!(templates_destroyed_on(illinois, working), Some(day(2025, 3, 1) + Duration::days(1095)));
        // Left on 15 Jun 2025: destroyed that day, well before the three years.
        let left = EmployeeFacts { left_at: Some(day(2025, 6, 15)), ..working };
        assert_eq!(templates_destroyed_on(illinois, left), Some(day(2025, 6, 15)));
    }

    #[test]
    fn texas_keeps_at_most_a_year_after_employment_and_sets_no_date_before() {
        let texas = settings(Jurisdiction::Texas);
        let working = EmployeeFacts { left_at: None, last_punch_at: Some(day(2025, 3, 1)), enrolled_at: day(2024, 1, 10) };
        assert_eq!(templates_destroyed_on(texas, working), None);
        let left = EmployeeFacts { left_at: Some(day(2025, 6, 15)), ..working };
        assert_eq!(templates_destroyed_on(texas, left), Some(day(2025, 6, 15) + Duration::days(365)));
    }

    #[test]
    fn the_strictest_default_is_never_later_than_any_preset() {
        let facts = [
            EmployeeFacts { left_at: None, last_punch_at: Some(day(2025, 3, 1)), enrolled_at: day(2024, 1, 10) },
            EmployeeFacts { left_at: Some(day(2025, 6, 15)), last_punch_at: Some(day(2025, 6, 14)), enrolled_at: day(2024, 1, 10) },
            EmployeeFacts { left_at: None, last_punch_at: None, enrolled_at: day(2024, 1, 10) },
        ];
        for f in facts {
            let strictest = templates_destroyed_on(settings(Jurisdiction::Strictest), f).expect("the strictest always sets a date");
            for other in Jurisdiction::ALL {
                if let Some(date) = templates_destroyed_on(settings(other), f) {
                    assert!(strictest <= date, "{other:?}: {strictest} <= {date}");
                }
            }
        }
    }

    #[test]
    fn photos_go_after_their_days_and_settings_are_checked() {
        assert_eq!(photo_destroyed_on(settings(Jurisdiction::Gdpr), day(2025, 1, 1)), day(2025, 4, 1));
        // Taken exactly 90 days before now: due; a microsecond later: not yet.
        let now = day(2025, 4, 1);
        let before = photos_due_before(settings(Jurisdiction::Gdpr), now);
        assert!(photo_destroyed_on(settings(Jurisdiction::Gdpr), before - Duration::microseconds(1)) <= now);
        assert!(photo_destroyed_on(settings(Jurisdiction::Gdpr), before) > now);
        assert!(RetentionSettings::parse("illinois", 0, true).is_err());
        assert!(RetentionSettings::parse("mars", 30, true).is_err());
        assert_eq!(RetentionSettings::parse("texas", 30, false).unwrap().jurisdiction, Jurisdiction::Texas);
    }

    #[test]
    fn only_a_signed_current_release_with_a_policy_allows_templates() {
        let policy = Some(RetentionSettings::default());
        assert_eq!(ReleaseStatus::of(None, Some((RELEASE_VERSION, true, false))), ReleaseStatus::NoPolicy);
        assert_eq!(ReleaseStatus::of(policy, None), ReleaseStatus::NotAsked);
        assert_eq!(ReleaseStatus::of(policy, Some(("2020-01", true, false))), ReleaseStatus::Outdated);
        assert_eq!(ReleaseStatus::of(policy, Some((RELEASE_VERSION, false, false))), ReleaseStatus::Declined);
        assert_eq!(ReleaseStatus::of(policy, Some((RELEASE_VERSION, true, false))), ReleaseStatus::Signed);
        // A deletion on request is its own state, whatever the release's version; asked again only if the policy says.
        let withdrawn = ReleaseStatus::of(policy, Some(("2020-01", true, true)));
        assert_eq!(withdrawn, ReleaseStatus::Withdrawn { ask_again: true });
        assert!(withdrawn.asks() && withdrawn.may_enrol() == Err(DomainError::ReleaseWithdrawn));
        let final_ = ReleaseStatus::of(
            Some(RetentionSettings { reconsent: false, ..RetentionSettings::default() }),
            Some((RELEASE_VERSION, true, true)),
        );
        assert_eq!(final_, ReleaseStatus::Withdrawn { ask_again: false });
        assert!(!final_.asks() && final_.label().contains("withdrawn") && final_.why_not_matched().contains("deleted on request"));
        assert!(ReleaseStatus::Signed.may_enrol().is_ok());
        assert_eq!(ReleaseStatus::NoPolicy.may_enrol(), Err(DomainError::PolicyRequired));
        assert_eq!(ReleaseStatus::Declined.may_enrol(), Err(DomainError::ReleaseDeclined));
        assert!(ReleaseStatus::Outdated.asks() && ReleaseStatus::NotAsked.asks() && !ReleaseStatus::Declined.asks());
        assert!(ReleaseStatus::Declined.why_not_matched().contains("declined"));
    }

    #[test]
    fn a_signature_must_be_the_name_on_file_forgiving_case_accents_spaces_and_middle_names() {
        // (typed, on file, accepted)
        let table = [
            ("Sally Ride", "Sally Ride", true),
            ("  sally   RIDE ", "Sally Ride", true),
            ("Sally Kristen Ride", "Sally Ride", true),
            ("Sally K. Ride", "Sally Ride", true),
            ("Grace Hopper", "Grace Brewster Hopper", true),
            ("Jose Nunez", "José Núñez", true),
            ("JOSÉ NÚÑEZ", "Jose Nunez", true),
            ("Ana Ruiz-Pérez", "Ana Ruiz Perez", true),
            ("Sean OBrien", "Seán O'Brien", true),
            ("Cher", "Cher", true),
            ("xyz", "Sally Ride", false),
            ("Sally", "Sally Ride", false),
            ("Ride Sally", "Sally Ride", false),
            ("Sally Rid", "Sally Ride", false),
            ("Grace Hopper", "Sally Ride", false),
            ("Cher Bono", "Cher", false),
            ("", "Sally Ride", false),
            ("...", "Sally Ride", false),
        ];
        for (typed, on_file, accepted) in table {
            assert_eq!(check_signature_name(typed, on_file).is_ok(), accepted, "{typed:?} for {on_file:?}");
        }
        let refused = check_signature_name("xyz", "Sally  Ride").unwrap_err().to_string();
        assert!(refused.contains("type your own name") && refused.contains("Sally Ride"), "{refused}");
    }

    #[test]
    fn a_release_is_signed_with_a_typed_name_and_says_how_long() {
        assert_eq!(parse_signature("  Grace   Hopper ").unwrap(), "Grace Hopper");
        assert!(parse_signature("x").is_err() && parse_signature("12345").is_err());
        let text = release_text("Acme", settings(Jurisdiction::Illinois), "https://clock.acme.example/policy/1", Language::English);
        assert!(text.contains("three years after your last punch") && text.contains("90 days") && text.contains("/policy/1"));
        let policy = policy_text("Acme", 2, settings(Jurisdiction::Illinois), Language::English).join("\n");
        assert!(policy.contains("version 2") && policy.contains("three years after their last time punch"));
    }

    #[test]
    fn the_release_and_the_policy_say_the_same_in_spanish() {
        let url = "https://clock.acme.example/policy/1?lang=es";
        for jurisdiction in Jurisdiction::ALL {
            let text = release_text("Acme", settings(jurisdiction), url, Language::Spanish);
            assert!(text.starts_with("Acme usa clockface") && text.contains("90 días") && text.ends_with(url), "{jurisdiction:?}");
            assert!(text.contains("Si usted no está de acuerdo") && text.contains("una persona revisa sus fotos"));
            assert_ne!(text, release_text("Acme", settings(jurisdiction), url, Language::English));
            let policy = policy_text("Acme", 3, settings(jurisdiction), Language::Spanish);
            assert_eq!(policy.len(), policy_text("Acme", 3, settings(jurisdiction), Language::English).len(), "every paragraph");
            assert!(policy[0].contains("versión 3") && policy[3].contains("90 días"), "{jurisdiction:?}");
        }
        let illinois = release_text("Acme", settings(Jurisdiction::Illinois), url, Language::Spanish);
        assert!(illinois.contains("tres años después de su última marcación"));
        let texas = policy_text("Acme", 1, settings(Jurisdiction::Texas), Language::Spanish).join("\n");
        assert!(texas.contains("dentro del año siguiente") && texas.contains("ley de Texas"));
    }
}
