//! FaceFront photos and who may see them: a user of the photo's company who reaches an employee
//! it is of (an admin reaches everyone; a supervisor only their assigned employees). Any other
//! photo, of another company or out of a supervisor's reach, is not found, exactly as one that
//! does not exist. Every view is written to the audit log about the employee seen; a photo
//! destroyed under the retention policy is gone, and says when. Used by `GET
//! /api/v1/photos/{sha256}` and the admin pages' photos (`web/photo.rs` builds the answer).

use crate::audit::audit_entry;
use crate::AppError;
use bytes::Bytes;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::user::Reach;
use clockface_store::blobs::BlobStore;
use clockface_store::{PhotoRecord, Store};

/// A photo's bytes, as stored, and what they are.
#[derive(Debug, Clone)]
pub struct Photo {
    pub content_type: String,
    pub bytes: Bytes,
}

/// Who is looking: their company, who they are, and whom they reach.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub company: CompanyId,
    pub user: AdminId,
    pub reach: &'a Reach,
}

/// A photo of `company` that `reach` includes an employee of, with the employees it is of; not
/// found for any other, as for one that does not exist.
pub async fn photo_in_reach(
    store: &dyn Store,
    company: CompanyId,
    reach: &Reach,
    sha256: &str,
) -> Result<(PhotoRecord, Vec<EmployeeId>), AppError> {
    let no_such_photo = || AppError::NotFound("no such photo".to_owned());
    let record = store.photo(company, sha256).await?.ok_or_else(no_such_photo)?;
    let owners = store.photo_employees(company, sha256).await?;
    if reach.supervisor().is_some() && !owners.iter().any(|e| reach.includes(*e)) {
        return Err(no_such_photo());
    }
    Ok((record, owners))
}

/// A photo's bytes for `viewer`, if it is in their reach (see [`photo_in_reach`]), the view
/// written to the audit log about the employee it is of, with `seen`: where it was shown (e.g.
/// `seen on a time card`). A photo destroyed under the retention policy is gone, and says when.
pub async fn view_photo(store: &dyn Store, blobs: &BlobStore, viewer: Viewer<'_>, sha256: &str, seen: &str) -> Result<Photo, AppError> {
    let company = viewer.company;
    let (record, owners) = photo_in_reach(store, company, viewer.reach, sha256).await?;
    if let Some((at, version)) = store.photo_destroyed(company, sha256).await? {
        let under = version.map(|v| format!(" under retention policy version {v}")).unwrap_or_default();
        return Err(AppError::Gone {
            code: "photo_destroyed",
            message: format!("This photo was destroyed on {}{under}; its punch is kept.", at.format("%Y-%m-%d")),
        });
    }
    let bytes = blobs.get(company, &record.sha256).await?;
    let owner = owners.into_iter().find(|e| viewer.reach.includes(*e));
    let mut line = audit_entry(company, &format!("admin:{}", viewer.user), "photo.viewed", &format!("photo:{}", record.sha256), seen);
    if let Some(owner) = owner {
        line = line.about(owner);
    }
    store.audit(&line).await?;
    Ok(Photo { content_type: record.content_type, bytes })
}
