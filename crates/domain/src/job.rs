//! Jobs and cost codes: where hours were worked and on what. A job may have a geofence (a centre
//! and a radius); a punch outside it is flagged with its distance, never refused. Cost codes apply
//! to every job or to some. Both can be imported from CSV, all or nothing, with every bad line named.

use crate::company::parse_name;
use crate::ids::{CompanyId, CostCodeId, JobId};
use crate::punch::GeoPoint;
use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A job's (or a cost code's) number as the company's books know it: 1 to 32 letters, digits,
/// `-`, `_`, `.` or `/`; unique in the company.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobNumber(String);

impl JobNumber {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let number = raw.trim();
        let valid = !number.is_empty()
            && number.chars().count() <= 32
            && number.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
        if valid {
            Ok(Self(number.to_owned()))
        } else {
            Err(DomainError::invalid("number", "must be 1 to 32 letters, digits, -, _, . or /"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A geofence: a circle around a job site. Radius 10 m to 100 km.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Geofence {
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: f64,
}

/// The smallest and largest geofence radius, in metres.
pub const FENCE_RADIUS_M: (f64, f64) = (10.0, 100_000.0);

impl Geofence {
    /// The fence, checked; each value out of range is named.
    pub fn parse(latitude: f64, longitude: f64, radius_m: f64) -> Result<Self, DomainError> {
        let mut refused = Vec::new();
        if !(latitude.is_finite() && (-90.0..=90.0).contains(&latitude)) {
            refused.push(DomainError::invalid("latitude", "must be between -90 and 90"));
        }
        if !(longitude.is_finite() && (-180.0..=180.0).contains(&longitude)) {
            refused.push(DomainError::invalid("longitude", "must be between -180 and 180"));
        }
        if !(radius_m.is_finite() && (FENCE_RADIUS_M.0..=FENCE_RADIUS_M.1).contains(&radius_m)) {
            refused.push(DomainError::invalid("radius_m", "must be between 10 and 100000 metres"));
        }
        DomainError::all(refused)?;
        Ok(Self { latitude, longitude, radius_m })
    }

    /// Where a position lies against the fence.
    pub fn check(&self, position: GeoPoint) -> FenceCheck {
        let distance_m = haversine_m((self.latitude, self.longitude), (position.latitude, position.longitude));
        FenceCheck { distance_m, outside_by_m: (distance_m - self.radius_m).max(0.0) }
    }
}

/// A position checked against a geofence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FenceCheck {
    /// From the fence's centre, in metres.
    pub distance_m: f64,
    /// How far past the fence's edge (0 inside).
    pub outside_by_m: f64,
}

impl FenceCheck {
    pub fn is_outside(&self) -> bool {
        self.outside_by_m > 0.0
    }
}

/// The mean radius of the Earth (IUGG), in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The great-circle distance between two (latitude, longitude) points in degrees, in metres
/// (haversine: accurate to about 0.5 %, far better than a phone's fix).
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (b.1 - a.1).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// A job: a site or contract the hours are billed to.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: JobId,
    #[serde(skip)]
    pub company_id: CompanyId,
    #[schema(value_type = String)]
    pub number: JobNumber,
    pub name: String,
    /// The site's address, for people (empty when not given).
    pub address: String,
    pub geofence: Option<Geofence>,
    /// Inactive jobs are not offered on the clock; their hours stay.
    pub active: bool,
}

/// A job's editable fields, valid.
#[derive(Debug, Clone, PartialEq)]
pub struct JobFields {
    pub number: JobNumber,
    pub name: String,
    pub address: String,
    pub geofence: Option<Geofence>,
    pub active: bool,
}

/// A job as typed in a form, the API or a CSV line, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobInput {
    pub number: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub geofence: Option<Geofence>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl JobFields {
    /// The fields, checked; every field that is wrong is named ([`DomainError::Several`]).
    pub fn parse(input: &JobInput) -> Result<Self, DomainError> {
        let mut refused = Vec::new();
        let number = DomainError::keep(
            JobNumber::parse(&input.number).and_then(|n| crate::text::not_formula("number", n.as_str()).map(|()| n)),
            &mut refused,
        );
        let name = DomainError::keep(
            parse_name(&input.name, "name", 120).and_then(|n| crate::text::not_formula("name", &n).map(|()| n)),
            &mut refused,
        );
        let address = input.address.trim();
        if address.chars().count() > 200 || address.chars().any(char::is_control) {
            refused.push(DomainError::invalid("address", "must be at most 200 characters on one line"));
        }
        let geofence =
            DomainError::keep(input.geofence.map(|f| Geofence::parse(f.latitude, f.longitude, f.radius_m)).transpose(), &mut refused);
        DomainError::all(refused)?;
        let (Some(number), Some(name), Some(geofence)) = (number, name, geofence) else {
            return Err(DomainError::Several(Vec::new()));
        };
        Ok(Self { number, name, address: address.to_owned(), geofence, active: input.active })
    }
}

/// A cost code: the kind of work the hours went to (e.g. `03-100 Concrete forms`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CostCode {
    pub id: CostCodeId,
    #[serde(skip)]
    pub company_id: CompanyId,
    #[schema(value_type = String)]
    pub number: JobNumber,
    pub name: String,
    /// For every job; otherwise only for `job_ids`.
    pub all_jobs: bool,
    pub job_ids: Vec<JobId>,
    pub active: bool,
}

impl CostCode {
    /// Whether this code may be picked for hours on `job`.
    pub fn applies_to(&self, job: JobId) -> bool {
        self.active && (self.all_jobs || self.job_ids.contains(&job))
    }
}

/// The active cost codes that may be picked for `job`, in the order given.
pub fn cost_codes_for(codes: &[CostCode], job: JobId) -> Vec<&CostCode> {
    codes.iter().filter(|code| code.applies_to(job)).collect()
}

/// A cost code's editable fields, valid. `job_ids` is empty when `all_jobs`.
#[derive(Debug, Clone, PartialEq)]
pub struct CostCodeFields {
    pub number: JobNumber,
    pub name: String,
    pub all_jobs: bool,
    pub job_ids: Vec<JobId>,
    pub active: bool,
}

/// A cost code as typed, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostCodeInput {
    pub number: String,
    pub name: String,
    /// For every job (the default); otherwise only for `job_ids`.
    #[serde(default = "yes")]
    pub all_jobs: bool,
    #[serde(default)]
    pub job_ids: Vec<JobId>,
    #[serde(default = "yes")]
    pub active: bool,
}

impl CostCodeFields {
    /// The fields, checked; every field that is wrong is named ([`DomainError::Several`]).
    pub fn parse(input: &CostCodeInput) -> Result<Self, DomainError> {
        let mut refused = Vec::new();
        let number = DomainError::keep(
            JobNumber::parse(&input.number).and_then(|n| crate::text::not_formula("number", n.as_str()).map(|()| n)),
            &mut refused,
        );
        let name = DomainError::keep(
            parse_name(&input.name, "name", 120).and_then(|n| crate::text::not_formula("name", &n).map(|()| n)),
            &mut refused,
        );
        let mut job_ids = Vec::new();
        if !input.all_jobs {
            for id in &input.job_ids {
                if !job_ids.contains(id) {
                    job_ids.push(*id);
                }
            }
            if job_ids.is_empty() {
                refused.push(DomainError::invalid("job_ids", "name at least one job, or make the code for all jobs"));
            }
        }
        DomainError::all(refused)?;
        let (Some(number), Some(name)) = (number, name) else {
            return Err(DomainError::Several(Vec::new()));
        };
        Ok(Self { number, name, all_jobs: input.all_jobs, job_ids, active: input.active })
    }
}

/// A position-stamped punch checked against its job's fence: what is recorded with the punch.
pub fn fence_flag(job: &Job, position: Option<GeoPoint>) -> Option<FenceCheck> {
    let check = job.geofence?.check(position?);
    check.is_outside().then_some(check)
}

// ---------------------------------------------------------------------------------------------
// CSV import

/// One bad line of an imported file: its line number (1 is the header) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// What an import did: rows added, and rows (found by number) updated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

impl ImportSummary {
    /// Counts one imported row: an update when a row of its number `existed`, else a new one.
    pub fn count(&mut self, existed: bool) {
        if existed {
            self.updated += 1;
        } else {
            self.created += 1;
        }
    }
}

/// A file is at most this many lines (a company's jobs, not a data dump).
pub const MAX_IMPORT_LINES: usize = 5000;

/// Splits CSV text (RFC 4180: commas, double-quoted fields with `""` inside, CRLF or LF) into
/// records, each with the line it starts on. Blank lines are skipped.
pub fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, LineError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let (mut line, mut start_line) = (1, 1);
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    let end_record = |fields: &mut Vec<String>, field: &mut String, records: &mut Vec<(usize, Vec<String>)>, start: usize| {
        fields.push(std::mem::take(field));
        let record = std::mem::take(fields);
        if !(record.len() == 1 && record[0].trim().is_empty()) {
            records.push((start, record));
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            '"' => return Err(LineError { line, message: "a quote inside a field that does not start with one".into() }),
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                end_record(&mut fields, &mut field, &mut records, start_line);
                was_quoted = false;
                line += 1;
                start_line = line;
                if records.len() > MAX_IMPORT_LINES {
                    return Err(LineError { line, message: format!("the file has more than {MAX_IMPORT_LINES} lines") });
                }
            }
            _ if was_quoted && !c.is_whitespace() => {
                return Err(LineError { line, message: "text after a quoted field's closing quote".into() });
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(LineError { line: start_line, message: "a quoted field is not closed".into() });
    }
    end_record(&mut fields, &mut field, &mut records, start_line);
    Ok(records)
}

/// A file's header: which column holds each name (lower-cased, trimmed).
struct Header {
    columns: Vec<String>,
}

impl Header {
    fn read(records: &[(usize, Vec<String>)], required: &[&str], known: &[&str]) -> Result<Self, Vec<LineError>> {
        let Some((line, first)) = records.first() else {
            return Err(vec![LineError {
                line: 1,
                message: format!("the file is empty; its first line names the columns: {}", known.join(",")),
            }]);
        };
        let columns: Vec<String> = first.iter().map(|c| c.trim().to_lowercase()).collect();
        let mut errors = Vec::new();
        for name in required {
            if !columns.iter().any(|c| c == name) {
                errors
                    .push(LineError { line: *line, message: format!("the header has no `{name}` column (columns: {})", known.join(",")) });
            }
        }
        for column in &columns {
            if !known.contains(&column.as_str()) {
                errors.push(LineError { line: *line, message: format!("unknown column `{column}` (columns: {})", known.join(",")) });
            }
        }
        if errors.is_empty() {
            Ok(Self { columns })
        } else {
            Err(errors)
        }
    }

    /// A line with more or fewer fields than the header has columns (a value would be dropped or
    /// land in the wrong column), or a cell with a control character (checked before cells are
    /// trimmed: a leading tab is refused, not trimmed away), is refused.
    fn check_line(&self, line: usize, record: &[String]) -> Result<(), String> {
        for (column, cell) in self.columns.iter().zip(record) {
            if let Some(c) = crate::text::first_control(cell).or_else(|| cell.chars().find(|c| *c == '\n')) {
                return Err(format!("{column}: {}", crate::text::refusal(c, crate::text::Lines::One)));
            }
        }
        let (found, wanted) = (record.len(), self.columns.len());
        match found.cmp(&wanted) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Greater => Err(format!(
                "line {line} has {found} fields, the header {wanted} columns: too many (a comma in a value needs the value in double quotes)"
            )),
            std::cmp::Ordering::Less => Err(format!("line {line} has {found} fields, the header {wanted} columns: too few")),
        }
    }

    fn get<'a>(&self, record: &'a [String], name: &str) -> &'a str {
        self.columns.iter().position(|c| c == name).and_then(|i| record.get(i)).map_or("", |v| v.trim())
    }
}

fn parse_active(raw: &str) -> Result<bool, String> {
    match raw.to_lowercase().as_str() {
        "" | "yes" | "y" | "true" | "1" | "active" => Ok(true),
        "no" | "n" | "false" | "0" | "inactive" => Ok(false),
        _ => Err(format!("active: `{raw}` is not yes or no")),
    }
}

fn parse_number(raw: &str, field: &str) -> Result<f64, String> {
    raw.parse::<f64>().map_err(|_| format!("{field}: `{raw}` is not a number"))
}

/// The columns of a jobs file, in the order written on an export.
pub const JOB_COLUMNS: [&str; 7] = ["number", "name", "address", "latitude", "longitude", "radius_m", "active"];

/// Reads a jobs file: a header line naming the columns ([`JOB_COLUMNS`]; `number` and `name`
/// required), then one job per line. A geofence needs all of latitude, longitude and radius_m, or
/// none. Every bad line is reported; nothing is returned unless all are good.
pub fn parse_jobs_csv(text: &str) -> Result<Vec<JobFields>, Vec<LineError>> {
    let records = parse_csv(text).map_err(|e| vec![e])?;
    let header = Header::read(&records, &["number", "name"], &JOB_COLUMNS)?;
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    let mut numbers = HashSet::new();
    for (line, record) in records.iter().skip(1) {
        let line = *line;
        let get = |name| header.get(record, name);
        let parsed = (|| {
            header.check_line(line, record)?;
            let active = parse_active(get("active"))?;
            let fence = [get("latitude"), get("longitude"), get("radius_m")];
            let geofence = match fence {
                ["", "", ""] => None,
                [lat, lon, radius] if !lat.is_empty() && !lon.is_empty() && !radius.is_empty() => Some(Geofence {
                    latitude: parse_number(lat, "latitude")?,
                    longitude: parse_number(lon, "longitude")?,
                    radius_m: parse_number(radius, "radius_m")?,
                }),
                _ => return Err("a geofence needs latitude, longitude and radius_m, or none of them".to_owned()),
            };
            let input =
                JobInput { number: get("number").into(), name: get("name").into(), address: get("address").into(), geofence, active };
            JobFields::parse(&input).map_err(|e| e.to_string())
        })();
        match parsed {
            Ok(job) if !numbers.insert(job.number.clone()) => {
                errors.push(LineError { line, message: format!("number `{}` is on an earlier line too", job.number.as_str()) })
            }
            Ok(job) => jobs.push(job),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    if errors.is_empty() {
        Ok(jobs)
    } else {
        Err(errors)
    }
}

/// The columns of a cost codes file.
pub const COST_CODE_COLUMNS: [&str; 4] = ["number", "name", "jobs", "active"];

/// Reads a cost codes file: `number` and `name` required; `jobs` lists the numbers of the jobs
/// the code is for, separated by `;` or spaces (empty: all jobs), which must be among `jobs`
/// (the company's, and those imported with them). All lines good, or every bad one reported.
pub fn parse_cost_codes_csv(text: &str, jobs: &[(JobNumber, JobId)]) -> Result<Vec<CostCodeFields>, Vec<LineError>> {
    let records = parse_csv(text).map_err(|e| vec![e])?;
    let header = Header::read(&records, &["number", "name"], &COST_CODE_COLUMNS)?;
    let mut codes = Vec::new();
    let mut errors = Vec::new();
    let mut numbers = HashSet::new();
    for (line, record) in records.iter().skip(1) {
        let line = *line;
        let get = |name| header.get(record, name);
        let parsed = (|| {
            header.check_line(line, record)?;
            let active = parse_active(get("active"))?;
            let mut job_ids = Vec::new();
            for number in get("jobs").split(|c: char| c == ';' || c.is_whitespace()).filter(|n| !n.is_empty()) {
                match jobs.iter().find(|(n, _)| n.as_str() == number) {
                    Some((_, id)) => job_ids.push(*id),
                    None => return Err(format!("jobs: there is no job numbered `{number}`")),
                }
            }
            let input =
                CostCodeInput { number: get("number").into(), name: get("name").into(), all_jobs: job_ids.is_empty(), job_ids, active };
            CostCodeFields::parse(&input).map_err(|e| e.to_string())
        })();
        match parsed {
            Ok(code) if !numbers.insert(code.number.clone()) => {
                errors.push(LineError { line, message: format!("number `{}` is on an earlier line too", code.number.as_str()) })
            }
            Ok(code) => codes.push(code),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    if errors.is_empty() {
        Ok(codes)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(latitude: f64, longitude: f64) -> GeoPoint {
        GeoPoint { latitude, longitude, accuracy_m: Some(5.0) }
    }

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of latitude is 111.195 km on a sphere of radius 6371.0088 km (2πR/360).
        let one_degree = haversine_m((0.0, 0.0), (1.0, 0.0));
        assert!((one_degree - 111_195.08).abs() < 1.0, "{one_degree}");
        // Paris (48.8566, 2.3522) to London (51.5074, -0.1278): about 343.5 km.
        let paris_london = haversine_m((48.8566, 2.3522), (51.5074, -0.1278));
        assert!((paris_london - 343_560.0).abs() < 1_000.0, "{paris_london}");
        assert_eq!(haversine_m((41.88, -87.63), (41.88, -87.63)), 0.0);
        // Antipodes: half the circumference, πR.
        let antipodes = haversine_m((0.0, 0.0), (0.0, 180.0));
        assert!((antipodes - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1.0);
    }

    #[test]
    fn a_fence_tells_inside_from_outside_with_the_distance() {
        let fence = Geofence::parse(41.8800, -87.6300, 150.0).unwrap();
        // 0.001° of latitude is 111.2 m: inside a 150 m fence.
        let near = fence.check(point(41.8810, -87.6300));
        assert!(!near.is_outside());
        assert!((near.distance_m - 111.2).abs() < 0.5, "{}", near.distance_m);
        // 0.005° is 556 m: outside by 406 m.
        let far = fence.check(point(41.8850, -87.6300));
        assert!(far.is_outside());
        assert!((far.outside_by_m - 406.0).abs() < 1.0, "{}", far.outside_by_m);
    }

    #[test]
    fn fences_are_bounded() {
        assert!(Geofence::parse(91.0, 0.0, 100.0).is_err());
        assert!(Geofence::parse(0.0, -181.0, 100.0).is_err());
        assert!(Geofence::parse(0.0, 0.0, 9.0).is_err());
        assert!(Geofence::parse(0.0, 0.0, f64::NAN).is_err());
        assert!(Geofence::parse(0.0, 0.0, 100_001.0).is_err());
        assert!(Geofence::parse(-90.0, 180.0, 10.0).is_ok());
    }

    fn job(geofence: Option<Geofence>) -> Job {
        Job {
            id: JobId::new(),
            company_id: CompanyId::new(),
            number: JobNumber::parse("J-1").unwrap(),
            name: "Depot".into(),
            address: String::new(),
            geofence,
            active: true,
        }
    }

    #[test]
    fn only_a_punch_with_a_position_outside_its_jobs_fence_is_flagged() {
        let fenced = job(Some(Geofence::parse(41.88, -87.63, 100.0).unwrap()));
        assert!(fence_flag(&fenced, Some(point(41.88, -87.63))).is_none());
        assert!(fence_flag(&fenced, None).is_none());
        assert!(fence_flag(&fenced, Some(point(41.89, -87.63))).is_some());
        assert!(fence_flag(&job(None), Some(point(0.0, 0.0))).is_none());
    }

    #[test]
    fn job_fields_are_checked() {
        let input = JobInput { number: " J-100 ".into(), name: " Main St ".into(), ..JobInput::default() };
        let job = JobFields::parse(&JobInput { active: true, ..input.clone() }).unwrap();
        assert_eq!((job.number.as_str(), job.name.as_str()), ("J-100", "Main St"));
        assert!(JobFields::parse(&JobInput { number: "J 1".into(), ..input.clone() }).is_err());
        assert!(JobFields::parse(&JobInput { name: "".into(), ..input.clone() }).is_err());
        assert!(JobFields::parse(&JobInput { address: "a\nb".into(), ..input.clone() }).is_err());
        let bad_fence = Some(Geofence { latitude: 0.0, longitude: 0.0, radius_m: 1.0 });
        assert_eq!(
            JobFields::parse(&JobInput { geofence: bad_fence, ..input }).unwrap_err(),
            DomainError::invalid("radius_m", "must be between 10 and 100000 metres")
        );
    }

    fn code(all_jobs: bool, job_ids: Vec<JobId>, active: bool) -> CostCode {
        CostCode {
            id: CostCodeId::new(),
            company_id: CompanyId::new(),
            number: JobNumber::parse("01").unwrap(),
            name: "x".into(),
            all_jobs,
            job_ids,
            active,
        }
    }

    #[test]
    fn a_cost_code_applies_to_all_jobs_or_to_its_own() {
        let (a, b) = (JobId::new(), JobId::new());
        let codes = [code(true, vec![], true), code(false, vec![a], true), code(true, vec![], false)];
        assert_eq!(cost_codes_for(&codes, a).len(), 2);
        assert_eq!(cost_codes_for(&codes, b).len(), 1);
        assert!(cost_codes_for(&codes, b)[0].all_jobs);
    }

    #[test]
    fn a_cost_code_for_some_jobs_names_at_least_one() {
        let input = CostCodeInput { number: "03-100".into(), name: "Forms".into(), all_jobs: false, job_ids: vec![], active: true };
        assert!(CostCodeFields::parse(&input).is_err());
        let a = JobId::new();
        let code = CostCodeFields::parse(&CostCodeInput { job_ids: vec![a, a], ..input.clone() }).unwrap();
        assert_eq!(code.job_ids, vec![a]);
        let all = CostCodeFields::parse(&CostCodeInput { all_jobs: true, job_ids: vec![a], ..input }).unwrap();
        assert!(all.job_ids.is_empty());
    }

    #[test]
    fn csv_handles_quotes_crlf_and_blank_lines() {
        let records = parse_csv("number,name\r\n\"J-1\",\"Smith, \"\"Main\"\" St\"\r\n\r\nJ-2,\"two\nlines\"\nJ-3,x").unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[1], (2, vec!["J-1".to_owned(), "Smith, \"Main\" St".to_owned()]));
        assert_eq!(records[2], (4, vec!["J-2".to_owned(), "two\nlines".to_owned()]));
        assert_eq!(records[3].0, 6);
        assert_eq!(parse_csv("a,\"b").unwrap_err().line, 1);
        assert!(parse_csv("a,b\"c\"").is_err());
    }

    #[test]
    fn a_jobs_file_is_all_good_or_every_bad_line_is_named() {
        let good = "Number,Name,Address,Latitude,Longitude,Radius_m,Active\n\
                    J-1,Depot,1 Main St,41.88,-87.63,150,yes\n\
                    J-2,Bridge,,,,,no\n";
        let jobs = parse_jobs_csv(good).unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].geofence, Some(Geofence { latitude: 41.88, longitude: -87.63, radius_m: 150.0 }));
        assert!(!jobs[1].active && jobs[1].geofence.is_none());

        let bad = "number,name,latitude,longitude,radius_m\n\
                   J-1,Depot,41.88,-87.63,150\n\
                   J 2,Bad number,,,\n\
                   J-3,Half a fence,41.0,,\n\
                   J-1,Again,,,\n\
                   J-5,,,,\n";
        let errors = parse_jobs_csv(bad).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3, 4, 5, 6]);
        assert!(errors[2].message.contains("earlier line"), "{}", errors[2].message);

        assert_eq!(parse_jobs_csv("").unwrap_err()[0].line, 1);
        let unknown = parse_jobs_csv("number,name,colour\n").unwrap_err();
        assert!(unknown[0].message.contains("colour"));
        assert!(parse_jobs_csv("name\nx\n").unwrap_err()[0].message.contains("`number`"));
    }

    #[test]
    fn a_cost_codes_file_names_its_jobs_by_number() {
        let a = (JobNumber::parse("J-1").unwrap(), JobId::new());
        let b = (JobNumber::parse("J-2").unwrap(), JobId::new());
        let jobs = [a.clone(), b.clone()];
        let codes = parse_cost_codes_csv("number,name,jobs\n01-000,General,\n03-100,Forms,J-1;J-2\n", &jobs).unwrap();
        assert!(codes[0].all_jobs);
        assert_eq!(codes[1].job_ids, vec![a.1, b.1]);
        let errors = parse_cost_codes_csv("number,name,jobs\n03-100,Forms,J-9\n,x,\n", &jobs).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message.contains("J-9"));
    }
}
