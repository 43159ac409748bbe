//! Face verification as a service: enrolment (only with a signed written release, see
//! [`crate::privacy`]), and the worker that gives every FaceFront photo a verdict from the durable
//! queue in the store. A punch is never delayed, blocked or lost by it: the punch is stored first,
//! its job with it, and the verdict follows. Templates are sealed with `secrets.key` (bound to
//! their employee) before they reach the store, and opened only here to be compared.

use crate::{ApiError, AppState};
use chrono::{DateTime, Duration, Utc};
use clockface_app::audit::audit_entry;
use clockface_domain::device::Rotation;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId, PunchId};
use clockface_domain::privacy::ReleaseStatus;
use clockface_domain::punch::Punch;
use clockface_domain::punch::{Burst, TurnPrompt};
use clockface_domain::role::LivenessCheck;
use clockface_domain::verification::{first_photo_enrols, Verdict};
use clockface_face::{
    match_crew, Analysis, BurstCheck, BurstFailure, CrewMatch, Embedding, FaceEngine, FaceError, LiveVerdict, SheetLayout, TurnDirection,
    Verdict as FaceVerdict, MATCH_THRESHOLD,
};
use clockface_store::{ActiveFound, AuditEntry, FaceTemplate, PhotoRecord, StoreError, TemplateSource, Verification, VerificationJob};
use std::sync::{Arc, OnceLock};
use uuid::Uuid;

/// After this many failed attempts a job gets the verdict `unreadable` instead of another retry.
pub const MAX_ATTEMPTS: i64 = 6;

/// The face engine, loaded once per process (about a quarter of a second) and shared.
pub fn engine() -> Result<Arc<FaceEngine>, FaceError> {
    static ENGINE: OnceLock<Arc<FaceEngine>> = OnceLock::new();
    if let Some(engine) = ENGINE.get() {
        return Ok(engine.clone());
    }
    let loaded = Arc::new(FaceEngine::load()?);
    Ok(ENGINE.get_or_init(|| loaded).clone())
}

/// The domain's verdict for the face engine's decision.
pub fn domain_verdict(verdict: &FaceVerdict) -> Verdict {
    match verdict {
        FaceVerdict::Match => Verdict::Match,
        FaceVerdict::Mismatch => Verdict::Mismatch,
        FaceVerdict::NoFace => Verdict::NoFace,
        FaceVerdict::SeveralFaces => Verdict::SeveralFaces,
        FaceVerdict::PoorQuality(_) => Verdict::PoorQuality,
        FaceVerdict::NotEnrolled => Verdict::NotEnrolled,
    }
}

/// The worker: claims due jobs one at a time until `stop` turns true; wakes when a punch with a
/// photo arrives (`state.jobs`) or, at the latest, every few seconds.
pub async fn run_worker(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let now = Utc::now();
        let settings = &state.settings;
        match state.store.claim_verification_job(&settings.node_name, now, now + settings.verification_lease).await {
            Ok(Some(job)) => verify_claimed(&state, job).await,
            Ok(None) => {
                tokio::select! {
                    _ = state.jobs.notified() => {}
                    _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(error) => {
                crate::metrics::store_error(&error);
                tracing::error!(%error, "cannot claim a verification job");
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

/// Takes one claimed job to its end for this attempt: a verdict, or a retry with backoff. After
/// the last attempt, any failure at all (the engine, a missing photo, the database) ends in the
/// verdict `unreadable`, so no job is retried forever and a person looks at the punch.
pub async fn verify_claimed(state: &AppState, job: VerificationJob) {
    let Err(error) = verify_job(state, job).await else {
        return;
    };
    if let JobError::Store(error) = &error {
        crate::metrics::store_error(error);
    }
    let outcome = if job.attempts >= MAX_ATTEMPTS {
        tracing::warn!(punch = %job.punch_id, attempts = job.attempts, %error, "verification gave up");
        let reason = format!("gave up after {MAX_ATTEMPTS} attempts: {error}");
        complete(state, &unreadable(job.punch_id, job.company_id, &reason), None).await
    } else {
        let wait = Duration::seconds(2i64.pow(u32::try_from(job.attempts.clamp(1, 12)).unwrap_or(12)));
        tracing::warn!(punch = %job.punch_id, attempts = job.attempts, %error, "verification failed; will retry");
        state.store.retry_verification_job(job.punch_id, Utc::now() + wait, &error.to_string()).await
    };
    if let Err(error) = outcome {
        tracing::error!(punch = %job.punch_id, %error, "cannot record the end of a verification attempt");
    }
}

/// Stores a verdict and removes its job, counting the verdict for `/metrics`.
async fn complete(state: &AppState, verification: &Verification, enrolled: Option<(&FaceTemplate, &AuditEntry)>) -> Result<(), StoreError> {
    state.store.complete_verification_job(verification, enrolled).await?;
    crate::metrics::verdict(verification.verdict);
    Ok(())
}

/// Why a job could not be finished this time.
#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the face engine failed: {0}")]
    Engine(String),
}

/// Gives one punch's photo its verdict. A foreman's crew photo, shared by the punches of the
/// crew members clocked with it, is analysed once and gives all of them their verdicts.
async fn verify_job(state: &AppState, job: VerificationJob) -> Result<(), JobError> {
    let company = job.company_id;
    if let Some(done) = state.store.verification(company, job.punch_id).await? {
        // A crew photo's analysis already gave this punch its verdict: only the job is left.
        return Ok(state.store.complete_verification_job(&done, None).await?);
    }
    let punch = state.store.punch(company, job.punch_id).await?;
    let Some(sha256) = punch.photo_sha256.clone() else {
        return Ok(complete(state, &unreadable(punch.id, company, "the punch has no photo"), None).await?);
    };
    // No face data is made of anyone whose release does not allow it: without one signer among
    // the photo's employees, the engine does not even look at it.
    let crew_punches = match punch.clock_for_by {
        Some(foreman) => {
            state.store.punches_with_photo(company, &sha256).await?.into_iter().filter(|p| p.clock_for_by == Some(foreman)).collect()
        }
        None => vec![punch.clone()],
    };
    let mut statuses = Vec::with_capacity(crew_punches.len());
    for crew_punch in &crew_punches {
        statuses.push(crate::privacy::release_status(state, company, crew_punch.employee_id).await?);
    }
    if statuses.iter().all(|status| *status != ReleaseStatus::Signed) {
        for (crew_punch, status) in crew_punches.iter().zip(&statuses) {
            complete(state, &not_matched(crew_punch.id, company, *status), None).await?;
        }
        return Ok(());
    }
    let photo = state.store.photo(company, &sha256).await?.ok_or(StoreError::NotFound)?;
    let bytes = state.blobs.get(company, &sha256).await?;
    let _budget = state.gates.decoding(u64::try_from(photo.width.saturating_mul(photo.height)).unwrap_or(u64::MAX)).await;
    let engine = engine().map_err(|e| JobError::Engine(e.to_string()))?;
    let rotation = i32::try_from(photo.display_rotation.degrees()).unwrap_or(0);
    // A foreman's crew photo gets the detector's full search, a selfie its quick look first.
    let crew = punch.clock_for_by.is_some();
    let analyse = move || if crew { engine.analyse_group(&bytes, rotation) } else { engine.analyse(&bytes, rotation) };
    let started = std::time::Instant::now();
    let analysed = tokio::task::spawn_blocking(analyse).await;
    crate::metrics::engine_time(started.elapsed().as_secs_f64());
    let analysis = match analysed {
        Ok(Ok(analysis)) => analysis,
        Ok(Err(error)) if error.is_bad_input() => {
            return Ok(complete(state, &unreadable(punch.id, company, &error.to_string()), None).await?);
        }
        Ok(Err(error)) => return Err(JobError::Engine(error.to_string())),
        Err(error) => return Err(JobError::Engine(error.to_string())),
    };
    let found = Found {
        company,
        rotation: i64::from((analysis.orientation.device_degrees + analysis.orientation.auto_degrees) % 360),
        engine_rotation: Rotation::from_degrees(i64::from(analysis.orientation.auto_degrees)).unwrap_or(Rotation::R0),
        faces: i64::try_from(analysis.faces.len()).unwrap_or(i64::MAX),
    };
    match punch.clock_for_by {
        Some(_) => verify_crew_photo(state, &found, &analysis, &crew_punches, &statuses).await,
        None => verify_selfie(state, &found, &analysis, &punch, &sha256).await,
    }
}

/// What the analysis of one photo found, for the verdicts made from it.
struct Found {
    company: CompanyId,
    rotation: i64,
    engine_rotation: Rotation,
    faces: i64,
}

impl Found {
    fn verdict(&self, punch: PunchId, verdict: Verdict, score: Option<f32>, message: &str, enrolled_now: bool) -> Verification {
        Verification {
            punch_id: punch,
            company_id: self.company,
            verdict,
            score: score.map(f64::from),
            threshold: f64::from(MATCH_THRESHOLD),
            rotation: self.rotation,
            engine_rotation: self.engine_rotation,
            faces: self.faces,
            message: message.to_owned(),
            enrolled_now,
            decided_at: Utc::now(),
            liveness: None,
            active: None,
        }
    }
}

/// A foreman's crew photo: each crew member's punch is matched among all faces in the photo,
/// every face used for one member at most, and every punch sharing the photo gets its verdict.
/// A member whose release does not allow matching is not matched (a person checks them).
async fn verify_crew_photo(
    state: &AppState,
    found: &Found,
    analysis: &Analysis,
    crew_punches: &[Punch],
    statuses: &[ReleaseStatus],
) -> Result<(), JobError> {
    let company = found.company;
    let mut members = Vec::with_capacity(crew_punches.len());
    for (crew_punch, status) in crew_punches.iter().zip(statuses) {
        members.push(if *status == ReleaseStatus::Signed { embeddings(state, company, crew_punch.employee_id).await? } else { Vec::new() });
    }
    let matches = match_crew(&analysis.faces, &members, MATCH_THRESHOLD);
    for (((crew_punch, enrolled), matched), status) in crew_punches.iter().zip(&members).zip(matches).zip(statuses) {
        let verification = if *status != ReleaseStatus::Signed {
            found.verdict(crew_punch.id, Verdict::NotEnrolled, None, status.why_not_matched(), false)
        } else if enrolled.is_empty() {
            found.verdict(crew_punch.id, Verdict::NotEnrolled, None, FaceVerdict::NotEnrolled.message(), false)
        } else {
            match matched {
                CrewMatch::Found { score, .. } => {
                    found.verdict(crew_punch.id, Verdict::Match, Some(score), "Found in the crew photo.", false)
                }
                CrewMatch::NotFound { best_score } if analysis.faces.is_empty() => {
                    found.verdict(crew_punch.id, Verdict::NoFace, best_score, FaceVerdict::NoFace.message(), false)
                }
                CrewMatch::NotFound { best_score } => found.verdict(
                    crew_punch.id,
                    Verdict::Mismatch,
                    best_score,
                    "Not found in the crew photo: no face in it matches this employee.",
                    false,
                ),
            }
        };
        complete(state, &verification, None).await?;
    }
    Ok(())
}

/// An employee's own FaceFront photo (their release signed): compared with their enrolled faces,
/// or, as their first usable photo, enrolled (and left for a person to confirm). When their role
/// asks for the liveness check, the verified face must also be judged live (the passive check of
/// the photo, or the active check of the head-turn burst the punch carries, which decides when
/// there is one): otherwise the verdict is `possible_spoof` whatever the face score, and a first
/// photo enrols nobody.
async fn verify_selfie(state: &AppState, found: &Found, analysis: &Analysis, punch: &Punch, sha256: &str) -> Result<(), JobError> {
    let company = found.company;
    let enrolled = embeddings(state, company, punch.employee_id).await?;
    let employee = state.store.employee(company, punch.employee_id).await?;
    let check = state.store.role(company, employee.role_id).await?.abilities.liveness;
    let liveness = analysis.subject().ok().and_then(|s| s.liveness);
    let judged = liveness.map(|l| (f64::from(l.score), f64::from(l.threshold)));
    let first_photo = analysis.subject().is_ok() && first_photo_enrols(ReleaseStatus::Signed, !enrolled.is_empty(), true);
    // "Photo only" judges no liveness at all: the photo is only compared (or enrols).
    let burst = match &punch.burst {
        Some(burst) if check != LivenessCheck::PhotoOnly => Some(judge_burst(state, company, burst, &enrolled).await?),
        _ => None,
    };
    let evidence = match check {
        LivenessCheck::PhotoOnly => Evidence::Live(None),
        _ => live_evidence(check, liveness.is_some_and(|l| l.live), burst.as_ref(), first_photo),
    };
    let active = burst.as_ref().map(|judged| ActiveFound { passed: evidence.is_live(), turn: judged.turn() });
    let judged = judged.filter(|_| check != LivenessCheck::PhotoOnly);
    let checked = |verification: Verification| Verification { liveness: judged, active, ..verification };
    if let Some(face) = analysis.subject().ok().filter(|_| first_photo && evidence.is_live()) {
        let template = FaceTemplate {
            id: Uuid::new_v4(),
            company_id: company,
            employee_id: punch.employee_id,
            embedding: seal_embedding(state, punch.employee_id, &face.embedding)?,
            photo_sha256: sha256.to_owned(),
            source: TemplateSource::FirstPunch,
            created_by: None,
            created_at: Utc::now(),
        };
        let message = "First FaceFront photo: enrolled as this employee's reference face. Check that it is them.";
        let line = audit_entry(
            company,
            "system",
            "template.enrolled",
            &format!("employee:{}", punch.employee_id),
            &format!("from the first FaceFront photo of punch {}", punch.id),
        );
        let verification = checked(found.verdict(punch.id, Verdict::NotEnrolled, None, message, true));
        complete(state, &verification, Some((&template, &line))).await?;
        return Ok(());
    }
    let face = clockface_face::verdict(analysis, &enrolled, MATCH_THRESHOLD);
    let compared = matches!(face.verdict, FaceVerdict::Match | FaceVerdict::Mismatch);
    let verification = match &evidence {
        // Nothing to compare with, and not a live face: flagged as such, nothing enrolled.
        Evidence::NotLive(why) if first_photo => found.verdict(punch.id, Verdict::PossibleSpoof, None, why, false),
        Evidence::NotLive(why) if compared => found.verdict(punch.id, Verdict::PossibleSpoof, face.score, why, false),
        Evidence::Live(Some(how)) if face.verdict == FaceVerdict::Match => {
            found.verdict(punch.id, Verdict::Match, face.score, &format!("{} {how}", face.message), false)
        }
        _ => found.verdict(punch.id, domain_verdict(&face.verdict), face.score, face.message, false),
    };
    Ok(complete(state, &checked(verification), None).await?)
}

/// Whether the face of a FaceFront punch is taken as live, and why not.
#[derive(Debug, Clone, PartialEq)]
enum Evidence {
    /// Live; with what the active check said when it decided.
    Live(Option<&'static str>),
    /// Not live (or not shown to be), in the reviewer's words.
    NotLive(String),
}

impl Evidence {
    fn is_live(&self) -> bool {
        matches!(self, Evidence::Live(_))
    }
}

/// What decides liveness: the burst's active check when the punch carries one (a first photo has
/// nobody enrolled to match, so only that part is not asked of it); else, when the role asks for
/// a head turn at every punch, its absence; else the passive check of the photo.
fn live_evidence(check: LivenessCheck, photo_live: bool, burst: Option<&JudgedBurst>, first_photo: bool) -> Evidence {
    match burst {
        Some(JudgedBurst::Unreadable(why)) => Evidence::NotLive(format!("The head-turn frames could not be read: {why}")),
        Some(JudgedBurst::Checked(burst)) => {
            let failed = burst.failures.iter().find(|f| !(first_photo && **f == BurstFailure::NotTheEmployee));
            match failed {
                None => Evidence::Live(Some("Head turn checked: live.")),
                Some(failure) => Evidence::NotLive(failure.message().to_owned()),
            }
        }
        None if check == LivenessCheck::Active => {
            Evidence::NotLive("No head turn came with this photo, and the role asks for one at every punch.".to_owned())
        }
        None if photo_live => Evidence::Live(None),
        None => Evidence::NotLive(LiveVerdict::PossibleSpoof.message().to_owned()),
    }
}

/// A punch's burst, judged.
enum JudgedBurst {
    Checked(BurstCheck),
    /// Its image could not be decoded or split into its frames.
    Unreadable(String),
}

impl JudgedBurst {
    /// The head turn measured in the prompted direction (0 for frames that could not be read).
    fn turn(&self) -> f64 {
        match self {
            JudgedBurst::Checked(check) => f64::from(check.turn),
            JudgedBurst::Unreadable(_) => 0.0,
        }
    }
}

/// Runs the active check on a punch's burst: one face tracked through the frames, the same
/// person in each and the employee in one, the prompted head turn, and live frames.
async fn judge_burst(state: &AppState, company: CompanyId, burst: &Burst, enrolled: &[Embedding]) -> Result<JudgedBurst, JobError> {
    let photo = state.store.photo(company, &burst.sha256).await?.ok_or(StoreError::NotFound)?;
    let bytes = state.blobs.get(company, &burst.sha256).await?;
    let _budget = state.gates.decoding(u64::try_from(photo.width.saturating_mul(photo.height)).unwrap_or(u64::MAX)).await;
    let engine = engine().map_err(|e| JobError::Engine(e.to_string()))?;
    let layout = SheetLayout { frames: u32::from(burst.frames), columns: burst.columns() };
    let prompted = turn_direction(burst.prompt);
    let enrolled = enrolled.to_vec();
    let started = std::time::Instant::now();
    let checked = tokio::task::spawn_blocking(move || engine.check_burst_sheet(&bytes, layout, prompted, &enrolled)).await;
    crate::metrics::engine_time(started.elapsed().as_secs_f64());
    match checked {
        Ok(Ok(check)) => Ok(JudgedBurst::Checked(check)),
        Ok(Err(error)) if error.is_bad_input() => Ok(JudgedBurst::Unreadable(error.to_string())),
        Ok(Err(error)) => Err(JobError::Engine(error.to_string())),
        Err(error) => Err(JobError::Engine(error.to_string())),
    }
}

/// Below this passive liveness score of a photo, a role with the head-turn step-up (`step_up`)
/// has the clock ask for a head turn. Chosen from the bench (docs/BENCHMARKS.md, "Step-up: when
/// the passive check is unsure"): most live faces score above it and are not asked.
pub const STEP_UP_BELOW: f32 = 0.9;

/// What the clock sends to ask before a punch ([`probe`]).
pub enum Probed {
    /// The FaceFront photo: is the passive check unsure of it?
    Photo(bytes::Bytes),
    /// A head-turn burst and what it was taken for: did it pass?
    Burst(bytes::Bytes, crate::punching::BurstBody),
}

/// The clock's question before a punch (`POST /device/liveness`), answered from the photo's
/// passive check or the burst's active check. Nothing is stored: the punch's photo and burst are
/// judged again when it arrives.
pub async fn probe(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    probed: Probed,
    rotation: i32,
) -> Result<crate::api::liveness::ProbeAnswer, ApiError> {
    use crate::api::liveness::ProbeAnswer;
    match probed {
        Probed::Photo(bytes) => {
            let analysis = analyse_upload(state, bytes, rotation).await?;
            let score = analysis.subject().ok().and_then(|s| s.liveness).map(|l| l.score);
            Ok(ProbeAnswer { checked: true, ask_head_turn: !score.is_some_and(|s| s >= STEP_UP_BELOW), passed: None })
        }
        Probed::Burst(bytes, said) => {
            let passed = head_turn_passed(state, company, employee, bytes, said).await?;
            Ok(ProbeAnswer { checked: true, ask_head_turn: false, passed: Some(passed) })
        }
    }
}

/// A face engine error on an uploaded `field`: the upload's fault (422, naming the field) or ours.
fn refused(field: &'static str) -> impl FnOnce(FaceError) -> ApiError {
    move |e: FaceError| {
        if e.is_bad_input() {
            ApiError::unprocessable(e.code(), e.to_string()).with_field(field)
        } else {
            ApiError::internal(e)
        }
    }
}

/// An uploaded photo, checked and analysed (faces, quality, passive liveness, templates) under
/// the decoding budget, turned by the device's `rotation`.
pub async fn analyse_upload(state: &AppState, bytes: bytes::Bytes, rotation: i32) -> Result<Analysis, ApiError> {
    let engine = engine().map_err(ApiError::internal)?;
    let checked = crate::photo::check_photo(bytes.clone(), state.settings.photo_limits)?;
    let _budget = state.gates.decoding(u64::from(checked.width) * u64::from(checked.height)).await;
    crate::auth::blocking(move || engine.analyse(&bytes, rotation)).await?.map_err(refused("photo"))
}

/// Whether a head-turn burst (`said`: the prompt and the frames) shows the turn asked for, live,
/// of `employee` throughout (of one person throughout when nobody is enrolled yet).
pub async fn head_turn_passed(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    bytes: bytes::Bytes,
    said: crate::punching::BurstBody,
) -> Result<bool, ApiError> {
    let engine = engine().map_err(ApiError::internal)?;
    let burst = Burst::new(clockface_store::blobs::sha256_hex(&bytes), said.prompt, said.frames)?;
    let checked = crate::punching::check_burst(bytes.clone(), &burst, state.settings.photo_limits)?;
    let enrolled = embeddings(state, company, employee).await?;
    let nobody_enrolled = enrolled.is_empty();
    let _budget = state.gates.decoding(u64::from(checked.width) * u64::from(checked.height)).await;
    let layout = SheetLayout { frames: u32::from(burst.frames), columns: burst.columns() };
    let prompted = turn_direction(burst.prompt);
    let check =
        crate::auth::blocking(move || engine.check_burst_sheet(&bytes, layout, prompted, &enrolled)).await?.map_err(refused("burst"))?;
    Ok(check.failures.iter().all(|f| nobody_enrolled && *f == BurstFailure::NotTheEmployee))
}

/// The face engine's name for a prompt.
fn turn_direction(prompt: TurnPrompt) -> TurnDirection {
    match prompt {
        TurnPrompt::Left => TurnDirection::Left,
        TurnPrompt::Right => TurnDirection::Right,
    }
}

/// A verdict for a photo that could not be checked at all.
fn unreadable(punch: PunchId, company: CompanyId, reason: &str) -> Verification {
    Verification {
        punch_id: punch,
        company_id: company,
        verdict: Verdict::Unreadable,
        score: None,
        threshold: f64::from(MATCH_THRESHOLD),
        rotation: 0,
        engine_rotation: Rotation::R0,
        faces: 0,
        message: format!("The photo could not be checked: {reason}"),
        enrolled_now: false,
        decided_at: Utc::now(),
        liveness: None,
        active: None,
    }
}

/// A verdict for a photo whose employee's release does not allow matching: no face data is made,
/// a person checks it, and the verdict says why.
fn not_matched(punch: PunchId, company: CompanyId, status: ReleaseStatus) -> Verification {
    Verification { verdict: Verdict::NotEnrolled, message: status.why_not_matched().to_owned(), ..unreadable(punch, company, "") }
}

/// What a template's sealed embedding is bound to: the employee it belongs to.
fn template_context(employee: EmployeeId) -> String {
    format!("face-template:{employee}")
}

/// An embedding sealed for the store under `secrets.key`, bound to its employee: a database
/// dump alone reveals no template, and a template moved to another employee does not open.
pub fn seal_embedding(state: &AppState, employee: EmployeeId, embedding: &Embedding) -> Result<Vec<u8>, StoreError> {
    clockface_app::secrets::seal_bound(&state.settings.secrets_key, template_context(employee).as_bytes(), &embedding.to_bytes())
        .ok_or_else(|| StoreError::Corrupt("the secrets key cannot seal a face template".to_owned()))
}

/// Whether `sealed`, a template stored sealed, opens with `key` as `employee`'s: how start-up
/// tells a wrong `secrets.key` on a database that recorded no fingerprint of it.
pub fn sealed_template_opens(key: &secrecy::SecretSlice<u8>, employee: EmployeeId, sealed: &[u8]) -> bool {
    clockface_app::secrets::open_bound(key, template_context(employee).as_bytes(), sealed).is_some()
}

/// A stored template's embedding: sealed, or still plain from an earlier release (until it is
/// sealed at start-up, see [`seal_plain_templates`]). `None` when it does not open.
pub(crate) fn open_embedding(state: &AppState, employee: EmployeeId, stored: &[u8]) -> Option<Embedding> {
    if stored.len() == PLAIN_TEMPLATE_BYTES {
        return Embedding::from_bytes(stored);
    }
    let opened = clockface_app::secrets::open_bound(&state.settings.secrets_key, template_context(employee).as_bytes(), stored);
    if opened.is_none() {
        tracing::error!(%employee, "a face template does not open with secrets.key (altered, moved, or another key)");
    }
    Embedding::from_bytes(&opened?)
}

/// The size of an unsealed embedding (128 little-endian f32s), as earlier releases stored it.
const PLAIN_TEMPLATE_BYTES: usize = 512;

/// Seals the templates an earlier release stored in plain (an upgrade); how many it sealed.
/// Safe on several nodes at once: each template is replaced only while it is still plain.
pub async fn seal_plain_templates(state: &AppState) -> Result<u64, StoreError> {
    let mut sealed = 0;
    loop {
        let batch = state.store.unsealed_templates(200).await?;
        if batch.is_empty() {
            return Ok(sealed);
        }
        let mut progressed = false;
        for (id, employee, plain) in batch {
            let Some(embedding) = Embedding::from_bytes(&plain) else { continue };
            let sealed_bytes = seal_embedding(state, employee, &embedding)?;
            if state.store.seal_template(id, &plain, &sealed_bytes).await? {
                sealed += 1;
            }
            progressed = true;
        }
        if !progressed {
            return Ok(sealed);
        }
    }
}

/// An employee's enrolled embeddings.
async fn embeddings(state: &AppState, company: CompanyId, employee: EmployeeId) -> Result<Vec<Embedding>, StoreError> {
    Ok(state.store.templates(company, employee).await?.iter().filter_map(|t| open_embedding(state, employee, &t.embedding)).collect())
}

/// Enrols an employee from a photo's bytes (uploaded, or a FaceFront photo being promoted).
/// Requires a signed current release, and one clear face in the photo.
pub async fn enrol(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    admin: AdminId,
    bytes: bytes::Bytes,
    source: TemplateSource,
    now: DateTime<Utc>,
) -> Result<FaceTemplate, ApiError> {
    state.store.employee(company, employee).await?;
    crate::privacy::release_status(state, company, employee).await?.may_enrol()?;
    let checked = crate::photo::check_photo(bytes.clone(), state.settings.photo_limits)?;
    let engine = engine().map_err(ApiError::internal)?;
    // Decoding takes memory in proportion to the pixels: it waits for its share of the budget.
    let _budget = state.gates.decoding(u64::from(checked.width) * u64::from(checked.height)).await;
    let analysis = crate::auth::blocking(move || engine.analyse(&bytes, 0)).await?.map_err(|e| {
        if e.is_bad_input() {
            ApiError::unprocessable(e.code(), e.to_string()).with_field("photo")
        } else {
            ApiError::internal(e)
        }
    })?;
    let face = analysis.subject().map_err(|verdict| ApiError::unprocessable("unusable_photo", verdict.message()).with_field("photo"))?;
    let sha256 = state.blobs.put(company, checked.bytes.clone()).await?;
    let photo = PhotoRecord {
        company_id: company,
        sha256: sha256.clone(),
        content_type: checked.content_type.to_owned(),
        byte_size: i64::try_from(checked.bytes.len()).unwrap_or(i64::MAX),
        width: i64::from(checked.width),
        height: i64::from(checked.height),
        display_rotation: clockface_domain::device::Rotation::R0,
        created_at: now,
    };
    state.store.add_photo(&photo).await?;
    let template = FaceTemplate {
        id: Uuid::new_v4(),
        company_id: company,
        employee_id: employee,
        embedding: seal_embedding(state, employee, &face.embedding)?,
        photo_sha256: sha256,
        source,
        created_by: Some(admin),
        created_at: now,
    };
    let line = audit_entry(company, &format!("admin:{admin}"), "template.enrolled", &format!("employee:{employee}"), source.as_str());
    state.store.add_template(&template, &line).await?;
    Ok(template)
}
