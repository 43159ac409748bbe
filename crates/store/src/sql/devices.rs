//! Devices: the one-time registration codes they register with, their tokens, syncs and
//! revocation.

use super::{row_by_id, Db};
use crate::records::{convert_all, DeviceRow};
use crate::{DeviceSync, NewDevice, StoreError};
use chrono::{DateTime, Utc};
use clockface_domain::device::{Device, Kiosk};
use clockface_domain::ids::{CompanyId, DeviceId};
use sqlx::Pool;
use uuid::Uuid;

const DEVICE_COLUMNS: &str =
    "id, company_id, name, has_front_camera, synced_version, last_sync_at, photo_rotation, registered_at, revoked_at, signing_key, \
     kiosk, kiosk_crew_of";

pub(super) async fn create_registration_code(
    pool: &Pool<Db>,
    company: CompanyId,
    code_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO registration_codes (code_hash, company_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(code_hash)
        .bind(company.0)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn register_device(
    pool: &Pool<Db>,
    code_hash: &str,
    device: &NewDevice,
    now: DateTime<Utc>,
) -> Result<Device, StoreError> {
    let mut tx = super::begin(pool).await?;
    let company: Uuid = sqlx::query_scalar(
        "UPDATE registration_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING company_id",
    )
    .bind(code_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::InvalidCode)?;
    let row: DeviceRow = sqlx::query_as(&format!(
        "INSERT INTO devices (id, company_id, name, token_hash, has_front_camera, synced_version, photo_rotation, registered_at) \
         VALUES ($1, $2, $3, $4, $5, 0, 0, $6) RETURNING {DEVICE_COLUMNS}"
    ))
    .bind(device.id.0)
    .bind(company)
    .bind(&device.name)
    .bind(&device.token_hash)
    .bind(device.has_front_camera)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    row.try_into()
}

pub(super) async fn device_by_token(pool: &Pool<Db>, token_hash: &str) -> Result<Option<Device>, StoreError> {
    let row: Option<DeviceRow> =
        sqlx::query_as(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = $1 AND revoked_at IS NULL"))
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
    row.map(Device::try_from).transpose()
}

pub(super) async fn devices(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<Device>, StoreError> {
    let rows: Vec<DeviceRow> =
        sqlx::query_as(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE company_id = $1 ORDER BY registered_at DESC"))
            .bind(company.0)
            .fetch_all(pool)
            .await?;
    convert_all(rows)
}

pub(super) async fn device(pool: &Pool<Db>, company: CompanyId, device: DeviceId) -> Result<Device, StoreError> {
    let row: DeviceRow = row_by_id(pool, DEVICE_COLUMNS, "devices", company, device.0).await?.ok_or(StoreError::NotFound)?;
    row.try_into()
}

pub(super) async fn record_sync(pool: &Pool<Db>, company: CompanyId, device: DeviceId, sync: &DeviceSync) -> Result<Device, StoreError> {
    let row: DeviceRow = sqlx::query_as(&format!(
        "UPDATE devices SET synced_version = $3, last_sync_at = $4, has_front_camera = COALESCE($5, has_front_camera), \
         photo_rotation = COALESCE($6, photo_rotation) WHERE company_id = $1 AND id = $2 RETURNING {DEVICE_COLUMNS}"
    ))
    .bind(company.0)
    .bind(device.0)
    .bind(sync.synced_version)
    .bind(sync.at)
    .bind(sync.has_front_camera)
    .bind(sync.photo_rotation.map(|r| r.degrees()))
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    row.try_into()
}

pub(super) async fn revoke_device(pool: &Pool<Db>, company: CompanyId, device: DeviceId, now: DateTime<Utc>) -> Result<(), StoreError> {
    let updated = sqlx::query("UPDATE devices SET revoked_at = COALESCE(revoked_at, $3) WHERE company_id = $1 AND id = $2")
        .bind(company.0)
        .bind(device.0)
        .bind(now)
        .execute(pool)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Records the public key a device signs its punches with, once: a device that has one keeps it
/// (someone holding a copied token cannot put their own key in its place). True when recorded.
pub(super) async fn set_device_key(pool: &Pool<Db>, company: CompanyId, device: DeviceId, key: &str) -> Result<bool, StoreError> {
    let set = sqlx::query("UPDATE devices SET signing_key = $3 WHERE company_id = $1 AND id = $2 AND signing_key IS NULL")
        .bind(company.0)
        .bind(device.0)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(set.rows_affected() == 1)
}

/// Turns kiosk mode on (with whom it identifies) or off (`None`) for a device that is not revoked.
pub(super) async fn set_kiosk(pool: &Pool<Db>, company: CompanyId, device: DeviceId, kiosk: Option<Kiosk>) -> Result<Device, StoreError> {
    let row: DeviceRow = sqlx::query_as(&format!(
        "UPDATE devices SET kiosk = $3, kiosk_crew_of = $4 WHERE company_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING {DEVICE_COLUMNS}"
    ))
    .bind(company.0)
    .bind(device.0)
    .bind(kiosk.is_some())
    .bind(kiosk.and_then(|k| k.crew_of).map(|e| e.0))
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    row.try_into()
}
