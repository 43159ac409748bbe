//! Jobs' and cost codes' CSV imports, without a server: a file is imported whole or not at all and
//! a refusal names every bad line, a job found by its number is updated, a file that is not text
//! is refused by its line, and a cost code names only its own company's jobs. Each test becomes
//! `<name>::sqlite` and `<name>::postgres`, on a fresh database. What only HTTP can show (the 422
//! answer's shape, the upload on the admin pages, another company's job answering 404) stays in
//! the API tests (`crates/clockface/tests/api/crews.rs`, `inputs.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use chrono::{DateTime, TimeZone, Utc};
use clockface_app::jobs::{import_cost_codes, import_jobs, ImportOutcome};
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::ids::CompanyId;
use clockface_domain::job::{ImportSummary, Job};
use clockface_store::{NewCompany, Store};
use std::sync::Arc;

/// A store with two companies.
struct World {
    store: Arc<dyn Store>,
    acme: CompanyId,
    other: CompanyId,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> World {
        let acme = company(&store, "ana@acme.test").await;
        let other = company(&store, "zed@other.test").await;
        World { store, acme, other }
    }

    async fn jobs(&self, company: CompanyId) -> Vec<Job> {
        self.store.jobs(company).await.unwrap()
    }

    async fn import_jobs(&self, company: CompanyId, csv: &str) -> ImportOutcome {
        import_jobs(self.store.as_ref(), company, csv.as_bytes()).await.unwrap()
    }

    async fn import_codes(&self, company: CompanyId, csv: &str) -> ImportOutcome {
        import_cost_codes(self.store.as_ref(), company, csv.as_bytes()).await.unwrap()
    }
}

async fn company(store: &Arc<dyn Store>, email: &str) -> CompanyId {
    let new = NewCompany {
        name: CompanyName::parse("Acme Paving").unwrap(),
        time_zone: chrono_tz::America::Chicago,
        admin_email: Email::parse(email).unwrap(),
        admin_password_hash: "$argon2id$fake".into(),
        now: t0(),
        min_pin_digits: 6,
    };
    store.create_company(new).await.unwrap().0.id
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).single().unwrap()
}

fn done(outcome: ImportOutcome) -> ImportSummary {
    match outcome {
        ImportOutcome::Done(summary) => summary,
        ImportOutcome::Refused(lines) => panic!("refused: {lines:?}"),
    }
}

/// The numbers of the refused lines.
fn refused(outcome: ImportOutcome) -> Vec<usize> {
    match outcome {
        ImportOutcome::Refused(lines) => lines.iter().map(|l| l.line).collect(),
        ImportOutcome::Done(summary) => panic!("imported: {summary:?}"),
    }
}

on_both_backends!(
    a_jobs_file_is_imported_whole_or_not_at_all,
    a_file_that_is_not_text_is_refused_by_its_line,
    a_cost_code_names_only_its_companys_jobs,
);

async fn a_jobs_file_is_imported_whole_or_not_at_all(world: World) {
    let bad = "number,name,address,latitude,longitude,radius_m\n\
               J-1,Depot,1 Main St,41.88,-87.63,150\n\
               J 2,Bad number,,,,\n\
               J-3,Half a fence,,41.0,,\n";
    assert_eq!(refused(world.import_jobs(world.acme, bad).await), [3, 4], "every bad line is named");
    assert!(world.jobs(world.acme).await.is_empty(), "the good line was not imported either");

    let good = "number,name,address,latitude,longitude,radius_m\nJ-1,Depot,1 Main St,41.88,-87.63,150\nJ-2,Bridge,,,,\n";
    assert_eq!(done(world.import_jobs(world.acme, good).await), ImportSummary { created: 2, updated: 0 });
    // A job found by its number is updated, in this company only.
    let again = done(world.import_jobs(world.acme, "number,name\nJ-2,Bridge North\n").await);
    assert_eq!(again, ImportSummary { created: 0, updated: 1 });
    let names: Vec<String> = world.jobs(world.acme).await.into_iter().map(|j| j.name).collect();
    assert!(names.contains(&"Bridge North".to_owned()) && names.len() == 2, "{names:?}");
    let depot = world.jobs(world.acme).await.into_iter().find(|j| j.number.as_str() == "J-1").unwrap();
    assert!(depot.geofence.is_some(), "the fence came with the line");
    assert!(world.jobs(world.other).await.is_empty(), "another company has none of them");
    assert_eq!(done(world.import_jobs(world.other, "number,name\nJ-2,Their bridge\n").await), ImportSummary { created: 1, updated: 0 });
}

async fn a_file_that_is_not_text_is_refused_by_its_line(world: World) {
    let outcome = import_jobs(world.store.as_ref(), world.acme, b"number,name\nJ-1,Depot\nJ-2,Caf\xe9\n").await.unwrap();
    match outcome {
        ImportOutcome::Refused(lines) => {
            assert_eq!(lines.len(), 1);
            assert_eq!(lines[0].line, 3);
            assert_eq!(lines[0].message, "line 3 is not UTF-8 text; save the file as CSV UTF-8");
        }
        ImportOutcome::Done(summary) => panic!("imported: {summary:?}"),
    }
    let codes = import_cost_codes(world.store.as_ref(), world.acme, &[0xff, 0xfe, 0x00]).await.unwrap();
    assert_eq!(refused(codes), [1]);
    assert!(world.jobs(world.acme).await.is_empty());
    assert!(world.store.cost_codes(world.acme).await.unwrap().is_empty());
}

async fn a_cost_code_names_only_its_companys_jobs(world: World) {
    done(world.import_jobs(world.acme, "number,name\nJ-1,Depot\nJ-2,Bridge\n").await);
    done(world.import_jobs(world.other, "number,name\nJ-9,Their job\n").await);
    // J-9 is the other company's: unknown here, and nothing is imported.
    let unknown = world.import_codes(world.acme, "number,name,jobs\n01-000,General,\n05,Paving,J-9\n").await;
    match unknown {
        ImportOutcome::Refused(lines) => {
            assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), [3]);
            assert!(lines[0].message.contains("J-9"), "{}", lines[0].message);
        }
        ImportOutcome::Done(summary) => panic!("imported: {summary:?}"),
    }
    assert!(world.store.cost_codes(world.acme).await.unwrap().is_empty(), "nothing was imported");

    let codes = "number,name,jobs\n01-000,General,\n03-100,Forms,J-1;J-2\n";
    assert_eq!(done(world.import_codes(world.acme, codes).await), ImportSummary { created: 2, updated: 0 });
    let stored = world.store.cost_codes(world.acme).await.unwrap();
    let general = stored.iter().find(|c| c.number.as_str() == "01-000").unwrap();
    let forms = stored.iter().find(|c| c.number.as_str() == "03-100").unwrap();
    assert!(general.all_jobs, "an empty `jobs` is every job");
    let mut acme_jobs: Vec<_> = world.jobs(world.acme).await.into_iter().map(|j| j.id).collect();
    let mut for_jobs = forms.job_ids.clone();
    acme_jobs.sort();
    for_jobs.sort();
    assert_eq!((forms.all_jobs, for_jobs), (false, acme_jobs));
    assert!(world.store.cost_codes(world.other).await.unwrap().is_empty());
}
