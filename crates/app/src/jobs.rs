//! Jobs' and cost codes' CSV imports: a file is imported whole or not at all, and a refusal names
//! every bad line (a file that is not UTF-8 text, the line of its first such byte). A job or cost
//! code whose number exists is updated. The one use case behind `POST /api/v1/jobs/import`,
//! `POST /api/v1/cost-codes/import` and the admin Jobs and Cost codes pages' uploads; the rules of
//! a line are the domain's (`domain::job`).

use crate::AppError;
use clockface_domain::ids::CompanyId;
use clockface_domain::job::{parse_cost_codes_csv, parse_jobs_csv, ImportSummary, LineError};
use clockface_store::Store;

/// What an import came to: done, or the lines that stopped it (and nothing was imported).
#[derive(Debug)]
pub enum ImportOutcome {
    Done(ImportSummary),
    Refused(Vec<LineError>),
}

/// The file as text, or the line of its first byte that is not UTF-8.
fn utf8(body: &[u8]) -> Result<&str, ImportOutcome> {
    std::str::from_utf8(body).map_err(|error| {
        let line = body[..error.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        let message = format!("line {line} is not UTF-8 text; save the file as CSV UTF-8");
        ImportOutcome::Refused(vec![LineError { line, message }])
    })
}

/// Imports a jobs file into `company`.
pub async fn import_jobs(store: &dyn Store, company: CompanyId, body: &[u8]) -> Result<ImportOutcome, AppError> {
    let text = match utf8(body) {
        Ok(text) => text,
        Err(refused) => return Ok(refused),
    };
    match parse_jobs_csv(text) {
        Ok(jobs) => Ok(ImportOutcome::Done(store.import_jobs(company, &jobs).await?)),
        Err(lines) => Ok(ImportOutcome::Refused(lines)),
    }
}

/// Imports a cost codes file into `company`; its `jobs` column names the company's own jobs by
/// number (another company's are unknown).
pub async fn import_cost_codes(store: &dyn Store, company: CompanyId, body: &[u8]) -> Result<ImportOutcome, AppError> {
    let text = match utf8(body) {
        Ok(text) => text,
        Err(refused) => return Ok(refused),
    };
    let jobs: Vec<_> = store.jobs(company).await?.into_iter().map(|job| (job.number, job.id)).collect();
    match parse_cost_codes_csv(text, &jobs) {
        Ok(codes) => Ok(ImportOutcome::Done(store.import_cost_codes(company, &codes).await?)),
        Err(lines) => Ok(ImportOutcome::Refused(lines)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_utf8_names_the_line_of_its_first_bad_byte() {
        let body = b"number,name\nJ-1,Bridge\nJ-2,Caf\xe9\n";
        match utf8(body) {
            Err(ImportOutcome::Refused(lines)) => {
                assert_eq!(lines.len(), 1);
                assert_eq!(lines[0].line, 3);
                assert!(lines[0].message.contains("not UTF-8"), "{}", lines[0].message);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(utf8("number,name\nJ-1,Café\n".as_bytes()).is_ok());
    }
}
