//! The SQL both backends run, written once.
//!
//! sqlx's query functions are generic over the database, but a generic `impl<DB> Store` drowns in
//! trait bounds; so the one implementation below is a macro expanded for each backend's concrete
//! pool type. The statements use only what SQLite and PostgreSQL share (`$n` parameters,
//! `RETURNING`, `ON CONFLICT`). Each write transaction starts with a write, so that SQLite takes
//! its write lock (waiting up to `busy_timeout`) before it has read anything.

pub(crate) const ROLE_COLUMNS: &str = "id, company_id, name, face_front, clock_for, view_own_time_card, record_gps, face_front_version";
pub(crate) const EMPLOYEE_COLUMNS: &str = "id, company_id, name, number, role_id, role_version, active, (pin_hash IS NOT NULL) AS has_pin";
pub(crate) const DEVICE_COLUMNS: &str =
    "id, company_id, name, has_front_camera, synced_version, last_sync_at, photo_rotation, registered_at, revoked_at";
pub(crate) const PUNCH_COLUMNS: &str = "id, company_id, client_id, employee_id, device_id, kind, occurred_at, utc_offset_minutes, \
     received_at, clock_for_by, photo_sha256, no_photo_reason, flagged, latitude, longitude, accuracy_m, settings_version, fingerprint";
/// The punches an admin should look at (a verdict other than a match, or a required photo
/// missing) that nobody has reviewed yet; listed and counted alike.
pub(crate) const REVIEW_QUEUE: &str =
    "FROM punches p LEFT JOIN verifications v ON v.punch_id = p.id LEFT JOIN punch_reviews r ON r.punch_id = p.id \
     WHERE p.company_id = $1 AND r.punch_id IS NULL AND ((v.punch_id IS NOT NULL AND v.verdict <> 'match') OR p.flagged)";
pub(crate) const VERIFICATION_COLUMNS: &str =
    "punch_id, company_id, verdict, score, threshold, rotation, faces, message, enrolled_now, decided_at";
pub(crate) const PHOTO_COLUMNS: &str = "company_id, sha256, content_type, byte_size, width, height, display_rotation, created_at";

/// Expands to `impl Store for $store`, whose `pool` field is a `sqlx::Pool` of either backend.
macro_rules! impl_store {
    ($store:ident, $db:ty, $backend:literal, claim_job = $claim_job:expr) => {
        mod store_impl {
            use super::$store;
            use crate::error::unique_violation;
            use crate::records::*;
            use crate::sql::{DEVICE_COLUMNS, EMPLOYEE_COLUMNS, PHOTO_COLUMNS, PUNCH_COLUMNS, REVIEW_QUEUE, ROLE_COLUMNS, VERIFICATION_COLUMNS};
            use crate::verification::*;
            use crate::{new_id, Store, StoreError, Unique};
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use clockface_domain::company::Company;
            use clockface_domain::device::{Device, Rotation};
            use clockface_domain::employee::{Employee, LockoutPolicy};
            use clockface_domain::ids::{AdminId, CompanyId, DeviceId, EmployeeId, PunchId, RoleId};
            use clockface_domain::punch::Punch;
            use clockface_domain::role::{default_roles, Abilities, Role, RoleName};
            use uuid::Uuid;

            type Tx = sqlx::Transaction<'static, $db>;

            /// Raises the company's settings version and returns the new one.
            async fn bump_version(tx: &mut Tx, company: CompanyId) -> Result<i64, StoreError> {
                sqlx::query_scalar("UPDATE companies SET settings_version = settings_version + 1 WHERE id = $1 RETURNING settings_version")
                    .bind(company.0)
                    .fetch_optional(&mut **tx)
                    .await?
                    .ok_or(StoreError::NotFound)
            }

            /// The row of `table` with this id in this company (its `columns`), read through
            /// `executor`; `None` when the company has no such row.
            async fn row_by_id<'c, R, E>(executor: E, columns: &str, table: &str, company: CompanyId, id: Uuid) -> Result<Option<R>, StoreError>
            where
                E: sqlx::Executor<'c, Database = $db>,
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                let sql = format!("SELECT {columns} FROM {table} WHERE company_id = $1 AND id = $2");
                Ok(sqlx::query_as(&sql).bind(company.0).bind(id).fetch_optional(executor).await?)
            }

            async fn insert_template<'c, E: sqlx::Executor<'c, Database = $db>>(executor: E, template: &FaceTemplate) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO face_templates (id, company_id, employee_id, embedding, photo_sha256, source, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(template.id)
                .bind(template.company_id.0)
                .bind(template.employee_id.0)
                .bind(&template.embedding)
                .bind(&template.photo_sha256)
                .bind(template.source.as_str())
                .bind(template.created_by.map(|a| a.0))
                .bind(template.created_at)
                .execute(executor)
                .await?;
                Ok(())
            }

            async fn role_in(tx: &mut Tx, company: CompanyId, role: RoleId) -> Result<RoleRow, StoreError> {
                row_by_id(&mut **tx, ROLE_COLUMNS, "roles", company, role.0).await?.ok_or(StoreError::UnknownRole)
            }

            /// Records a photo's description unless the company already has it.
            async fn insert_photo(tx: &mut Tx, photo: &PhotoRecord) -> Result<(), StoreError> {
                sqlx::query(&format!(
                    "INSERT INTO photos ({PHOTO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (company_id, sha256) DO NOTHING"
                ))
                .bind(photo.company_id.0)
                .bind(&photo.sha256)
                .bind(&photo.content_type)
                .bind(photo.byte_size)
                .bind(photo.width)
                .bind(photo.height)
                .bind(photo.display_rotation.degrees())
                .bind(photo.created_at)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            const EMPLOYEE_UNIQUES: &[(&str, Unique)] = &[("pin_lookup", Unique::EmployeePin), ("number", Unique::EmployeeNumber)];

            #[async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    $backend
                }

                async fn ping(&self) -> Result<(), StoreError> {
                    sqlx::query("SELECT 1").execute(&self.pool).await?;
                    Ok(())
                }

                async fn create_company(&self, new: NewCompany) -> Result<(Company, AdminId), StoreError> {
                    let mut tx = self.pool.begin().await?;
                    let company_id = CompanyId(new_id());
                    sqlx::query("INSERT INTO companies (id, name, time_zone, settings_version, created_at) VALUES ($1, $2, $3, 1, $4)")
                        .bind(company_id.0)
                        .bind(new.name.as_str())
                        .bind(new.time_zone.name())
                        .bind(new.now)
                        .execute(&mut *tx)
                        .await?;
                    let admin_id = AdminId(new_id());
                    sqlx::query("INSERT INTO admins (id, company_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(admin_id.0)
                        .bind(company_id.0)
                        .bind(new.admin_email.as_str())
                        .bind(&new.admin_password_hash)
                        .bind(new.now)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| unique_violation(e, &[("email", Unique::AdminEmail)]))?;
                    for (name, abilities) in default_roles() {
                        sqlx::query(
                            "INSERT INTO roles (id, company_id, name, face_front, clock_for, view_own_time_card, record_gps, face_front_version, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
                        )
                        .bind(new_id())
                        .bind(company_id.0)
                        .bind(name.as_str())
                        .bind(abilities.face_front)
                        .bind(abilities.clock_for)
                        .bind(abilities.view_own_time_card)
                        .bind(abilities.record_gps)
                        .bind(new.now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok((Company { id: company_id, name: new.name, time_zone: new.time_zone, settings_version: 1 }, admin_id))
                }

                async fn company(&self, company: CompanyId) -> Result<Company, StoreError> {
                    let row: CompanyRow = sqlx::query_as("SELECT id, name, time_zone, settings_version FROM companies WHERE id = $1")
                        .bind(company.0)
                        .fetch_optional(&self.pool)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    row.try_into()
                }

                async fn admin_login(&self, email: &str) -> Result<Option<AdminLogin>, StoreError> {
                    let row: Option<AdminLoginRow> = sqlx::query_as("SELECT id, company_id, email, password_hash FROM admins WHERE email = $1")
                        .bind(email)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(row.map(|r| AdminLogin { id: AdminId(r.id), company_id: CompanyId(r.company_id), email: r.email, password_hash: r.password_hash }))
                }

                async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO admin_sessions (token_hash, admin_id, company_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&session.token_hash)
                    .bind(session.admin_id.0)
                    .bind(session.company_id.0)
                    .bind(&session.csrf_token)
                    .bind(session.created_at)
                    .bind(session.expires_at)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
                    let row: Option<SessionRow> = sqlx::query_as(
                        "SELECT s.token_hash, s.admin_id, s.company_id, a.email AS admin_email, s.csrf_token, s.created_at, s.expires_at \
                         FROM admin_sessions s JOIN admins a ON a.id = s.admin_id WHERE s.token_hash = $1 AND s.expires_at > $2",
                    )
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(Session::from))
                }

                async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
                    sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                    Ok(())
                }

                async fn roles(&self, company: CompanyId) -> Result<Vec<(Role, i64)>, StoreError> {
                    let rows: Vec<RoleRow> = sqlx::query_as(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE company_id = $1 ORDER BY name"))
                        .bind(company.0)
                        .fetch_all(&self.pool)
                        .await?;
                    let holders: Vec<(Uuid, i64)> =
                        sqlx::query_as("SELECT role_id, COUNT(*) FROM employees WHERE company_id = $1 GROUP BY role_id")
                            .bind(company.0)
                            .fetch_all(&self.pool)
                            .await?;
                    convert_all::<_, Role>(rows)?
                        .into_iter()
                        .map(|role| {
                            let count = holders.iter().find(|(id, _)| *id == role.id.0).map_or(0, |(_, n)| *n);
                            Ok((role, count))
                        })
                        .collect()
                }

                async fn role(&self, company: CompanyId, role: RoleId) -> Result<Role, StoreError> {
                    let row: RoleRow = row_by_id(&self.pool, ROLE_COLUMNS, "roles", company, role.0).await?.ok_or(StoreError::NotFound)?;
                    row.try_into()
                }

                async fn create_role(&self, company: CompanyId, name: &RoleName, abilities: Abilities) -> Result<Role, StoreError> {
                    let mut tx = self.pool.begin().await?;
                    let version = bump_version(&mut tx, company).await?;
                    let row: RoleRow = sqlx::query_as(&format!(
                        "INSERT INTO roles (id, company_id, name, face_front, clock_for, view_own_time_card, record_gps, face_front_version, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {ROLE_COLUMNS}"
                    ))
                    .bind(new_id())
                    .bind(company.0)
                    .bind(name.as_str())
                    .bind(abilities.face_front)
                    .bind(abilities.clock_for)
                    .bind(abilities.view_own_time_card)
                    .bind(abilities.record_gps)
                    .bind(version)
                    .bind(Utc::now())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| unique_violation(e, &[("name", Unique::RoleName)]))?;
                    tx.commit().await?;
                    row.try_into()
                }

                async fn update_role(&self, company: CompanyId, role: RoleId, name: &RoleName, abilities: Abilities) -> Result<Role, StoreError> {
                    let mut tx = self.pool.begin().await?;
                    let version = bump_version(&mut tx, company).await?;
                    let current: Role = role_in(&mut tx, company, role).await.map_err(|_| StoreError::NotFound)?.try_into()?;
                    let face_front_version =
                        if current.abilities.face_front == abilities.face_front { current.face_front_version } else { version };
                    let row: RoleRow = sqlx::query_as(&format!(
                        "UPDATE roles SET name = $3, face_front = $4, clock_for = $5, view_own_time_card = $6, record_gps = $7, face_front_version = $8 \
                         WHERE company_id = $1 AND id = $2 RETURNING {ROLE_COLUMNS}"
                    ))
                    .bind(company.0)
                    .bind(role.0)
                    .bind(name.as_str())
                    .bind(abilities.face_front)
                    .bind(abilities.clock_for)
                    .bind(abilities.view_own_time_card)
                    .bind(abilities.record_gps)
                    .bind(face_front_version)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| unique_violation(e, &[("name", Unique::RoleName)]))?;
                    tx.commit().await?;
                    row.try_into()
                }

                async fn delete_role(&self, company: CompanyId, role: RoleId) -> Result<(), StoreError> {
                    let mut tx = self.pool.begin().await?;
                    bump_version(&mut tx, company).await?;
                    let holders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees WHERE company_id = $1 AND role_id = $2")
                        .bind(company.0)
                        .bind(role.0)
                        .fetch_one(&mut *tx)
                        .await?;
                    if holders > 0 {
                        return Err(StoreError::RoleInUse(holders));
                    }
                    let deleted = sqlx::query("DELETE FROM roles WHERE company_id = $1 AND id = $2")
                        .bind(company.0)
                        .bind(role.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| match &e {
                            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::RoleInUse(1),
                            _ => StoreError::Database(e),
                        })?;
                    if deleted.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn employees(&self, company: CompanyId, search: Option<&str>) -> Result<Vec<Employee>, StoreError> {
                    let pattern = search.map(|s| format!("%{}%", s.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
                    let rows: Vec<EmployeeRow> = sqlx::query_as(&format!(
                        "SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE company_id = $1 \
                         AND ($2 IS NULL OR lower(name) LIKE $2 ESCAPE '\\' OR lower(number) LIKE $2 ESCAPE '\\') ORDER BY lower(name), number"
                    ))
                    .bind(company.0)
                    .bind(pattern)
                    .fetch_all(&self.pool)
                    .await?;
                    convert_all(rows)
                }

                async fn employee(&self, company: CompanyId, employee: EmployeeId) -> Result<Employee, StoreError> {
                    let row: EmployeeRow = row_by_id(&self.pool, EMPLOYEE_COLUMNS, "employees", company, employee.0).await?.ok_or(StoreError::NotFound)?;
                    row.try_into()
                }

                async fn create_employee(&self, company: CompanyId, new: &EmployeeFields) -> Result<Employee, StoreError> {
                    let mut tx = self.pool.begin().await?;
                    let version = bump_version(&mut tx, company).await?;
                    role_in(&mut tx, company, new.role_id).await?;
                    let pin = match &new.pin {
                        PinChange::Set(secret) => Some(secret),
                        PinChange::Keep | PinChange::Clear => None,
                    };
                    let row: EmployeeRow = sqlx::query_as(&format!(
                        "INSERT INTO employees (id, company_id, name, number, role_id, role_version, active, pin_lookup, pin_hash, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {EMPLOYEE_COLUMNS}"
                    ))
                    .bind(new_id())
                    .bind(company.0)
                    .bind(new.name.as_str())
                    .bind(new.number.as_str())
                    .bind(new.role_id.0)
                    .bind(version)
                    .bind(new.active)
                    .bind(pin.map(|p| p.lookup.clone()))
                    .bind(pin.map(|p| p.hash.clone()))
                    .bind(Utc::now())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| unique_violation(e, EMPLOYEE_UNIQUES))?;
                    tx.commit().await?;
                    row.try_into()
                }

                async fn update_employee(&self, company: CompanyId, employee: EmployeeId, fields: &EmployeeFields) -> Result<Employee, StoreError> {
                    let mut tx = self.pool.begin().await?;
                    let version = bump_version(&mut tx, company).await?;
                    let current: (Uuid, i64) = sqlx::query_as("SELECT role_id, role_version FROM employees WHERE company_id = $1 AND id = $2")
                        .bind(company.0)
                        .bind(employee.0)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    role_in(&mut tx, company, fields.role_id).await?;
                    let role_version = if current.0 == fields.role_id.0 { current.1 } else { version };
                    let (change_pin, lookup, hash) = match &fields.pin {
                        PinChange::Keep => (false, None, None),
                        PinChange::Set(secret) => (true, Some(secret.lookup.clone()), Some(secret.hash.clone())),
                        PinChange::Clear => (true, None, None),
                    };
                    let row: EmployeeRow = sqlx::query_as(&format!(
                        "UPDATE employees SET name = $3, number = $4, role_id = $5, role_version = $6, active = $7, \
                         pin_lookup = CASE WHEN $8 THEN $9 ELSE pin_lookup END, pin_hash = CASE WHEN $8 THEN $10 ELSE pin_hash END \
                         WHERE company_id = $1 AND id = $2 RETURNING {EMPLOYEE_COLUMNS}"
                    ))
                    .bind(company.0)
                    .bind(employee.0)
                    .bind(fields.name.as_str())
                    .bind(fields.number.as_str())
                    .bind(fields.role_id.0)
                    .bind(role_version)
                    .bind(fields.active)
                    .bind(change_pin)
                    .bind(lookup)
                    .bind(hash)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| unique_violation(e, EMPLOYEE_UNIQUES))?;
                    tx.commit().await?;
                    row.try_into()
                }

                async fn employee_by_pin(&self, company: CompanyId, pin_lookup: &str) -> Result<Option<(Employee, String)>, StoreError> {
                    let row: Option<EmployeePinRow> = sqlx::query_as(&format!(
                        "SELECT {EMPLOYEE_COLUMNS}, pin_hash FROM employees WHERE company_id = $1 AND pin_lookup = $2"
                    ))
                    .bind(company.0)
                    .bind(pin_lookup)
                    .fetch_optional(&self.pool)
                    .await?;
                    match row {
                        Some(EmployeePinRow { employee, pin_hash: Some(hash) }) => Ok(Some((employee.try_into()?, hash))),
                        _ => Ok(None),
                    }
                }

                async fn crew(&self, company: CompanyId, foreman: EmployeeId) -> Result<Vec<EmployeeId>, StoreError> {
                    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT employee_id FROM crew_members WHERE company_id = $1 AND foreman_id = $2 ORDER BY employee_id")
                        .bind(company.0)
                        .bind(foreman.0)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(ids.into_iter().map(EmployeeId).collect())
                }

                async fn set_crew(&self, company: CompanyId, foreman: EmployeeId, members: &[EmployeeId]) -> Result<(), StoreError> {
                    let mut tx = self.pool.begin().await?;
                    bump_version(&mut tx, company).await?;
                    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees WHERE company_id = $1 AND id = $2")
                        .bind(company.0)
                        .bind(foreman.0)
                        .fetch_one(&mut *tx)
                        .await?;
                    if known == 0 {
                        return Err(StoreError::NotFound);
                    }
                    sqlx::query("DELETE FROM crew_members WHERE company_id = $1 AND foreman_id = $2")
                        .bind(company.0)
                        .bind(foreman.0)
                        .execute(&mut *tx)
                        .await?;
                    for member in members {
                        sqlx::query("INSERT INTO crew_members (company_id, foreman_id, employee_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                            .bind(company.0)
                            .bind(foreman.0)
                            .bind(member.0)
                            .execute(&mut *tx)
                            .await
                            .map_err(|e| match &e {
                                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::UnknownCrewMember,
                                _ => StoreError::Database(e),
                            })?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn create_registration_code(&self, company: CompanyId, code_hash: &str, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
                    sqlx::query("INSERT INTO registration_codes (code_hash, company_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                        .bind(code_hash)
                        .bind(company.0)
                        .bind(now)
                        .bind(expires_at)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn register_device(&self, code_hash: &str, device: &NewDevice, now: DateTime<Utc>) -> Result<Device, StoreError> {
                    let mut tx = self.pool.begin().await?;
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

                async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError> {
                    let row: Option<DeviceRow> = sqlx::query_as(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = $1 AND revoked_at IS NULL"))
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(Device::try_from).transpose()
                }

                async fn devices(&self, company: CompanyId) -> Result<Vec<Device>, StoreError> {
                    let rows: Vec<DeviceRow> = sqlx::query_as(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE company_id = $1 ORDER BY registered_at DESC"))
                        .bind(company.0)
                        .fetch_all(&self.pool)
                        .await?;
                    convert_all(rows)
                }

                async fn device(&self, company: CompanyId, device: DeviceId) -> Result<Device, StoreError> {
                    let row: DeviceRow = row_by_id(&self.pool, DEVICE_COLUMNS, "devices", company, device.0).await?.ok_or(StoreError::NotFound)?;
                    row.try_into()
                }

                async fn record_sync(&self, company: CompanyId, device: DeviceId, sync: &DeviceSync) -> Result<Device, StoreError> {
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
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                    row.try_into()
                }

                async fn revoke_device(&self, company: CompanyId, device: DeviceId, now: DateTime<Utc>) -> Result<(), StoreError> {
                    let updated = sqlx::query("UPDATE devices SET revoked_at = COALESCE(revoked_at, $3) WHERE company_id = $1 AND id = $2")
                        .bind(company.0)
                        .bind(device.0)
                        .bind(now)
                        .execute(&self.pool)
                        .await?;
                    if updated.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn insert_punch(&self, punch: &Punch, photo: Option<&PhotoRecord>) -> Result<PunchInsert, StoreError> {
                    let mut tx = self.pool.begin().await?;
                    if let Some(photo) = photo {
                        insert_photo(&mut tx, photo).await?;
                    }
                    let position = punch.position;
                    let created: Option<PunchRow> = sqlx::query_as(&format!(
                        "INSERT INTO punches ({PUNCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                         ON CONFLICT (company_id, client_id) DO NOTHING RETURNING {PUNCH_COLUMNS}"
                    ))
                    .bind(punch.id.0)
                    .bind(punch.company_id.0)
                    .bind(punch.client_id)
                    .bind(punch.employee_id.0)
                    .bind(punch.device_id.0)
                    .bind(punch.kind.as_str())
                    .bind(punch.occurred_at)
                    .bind(punch.utc_offset_minutes)
                    .bind(punch.received_at)
                    .bind(punch.clock_for_by.map(|id| id.0))
                    .bind(&punch.photo_sha256)
                    .bind(punch.no_photo_reason.map(|r| r.as_str()))
                    .bind(punch.flagged)
                    .bind(position.map(|p| p.latitude))
                    .bind(position.map(|p| p.longitude))
                    .bind(position.and_then(|p| p.accuracy_m))
                    .bind(punch.settings_version)
                    .bind(&punch.fingerprint)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match created {
                        Some(row) => {
                            // Every FaceFront photo gets a verdict: the job is committed with the punch.
                            if punch.photo_sha256.is_some() {
                                sqlx::query(
                                    "INSERT INTO verification_jobs (punch_id, company_id, attempts, run_after, created_at) VALUES ($1, $2, 0, $3, $3)",
                                )
                                .bind(punch.id.0)
                                .bind(punch.company_id.0)
                                .bind(punch.received_at)
                                .execute(&mut *tx)
                                .await?;
                            }
                            tx.commit().await?;
                            Ok(PunchInsert::Created(row.try_into()?))
                        }
                        None => {
                            tx.rollback().await?;
                            let row: PunchRow = sqlx::query_as(&format!("SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND client_id = $2"))
                                .bind(punch.company_id.0)
                                .bind(punch.client_id)
                                .fetch_one(&self.pool)
                                .await?;
                            Ok(PunchInsert::Existing(row.try_into()?))
                        }
                    }
                }

                async fn punch(&self, company: CompanyId, punch: PunchId) -> Result<Punch, StoreError> {
                    let row: PunchRow = row_by_id(&self.pool, PUNCH_COLUMNS, "punches", company, punch.0).await?.ok_or(StoreError::NotFound)?;
                    row.try_into()
                }

                async fn punch_by_client_id(&self, company: CompanyId, client_id: Uuid) -> Result<Option<Punch>, StoreError> {
                    let row: Option<PunchRow> = sqlx::query_as(&format!("SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND client_id = $2"))
                        .bind(company.0)
                        .bind(client_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(Punch::try_from).transpose()
                }

                async fn punches(&self, company: CompanyId, employee: EmployeeId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Punch>, StoreError> {
                    let rows: Vec<PunchRow> = sqlx::query_as(&format!(
                        "SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND employee_id = $2 AND occurred_at >= $3 AND occurred_at < $4 \
                         ORDER BY occurred_at, id"
                    ))
                    .bind(company.0)
                    .bind(employee.0)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await?;
                    convert_all(rows)
                }

                async fn last_punch(&self, company: CompanyId, employee: EmployeeId) -> Result<Option<Punch>, StoreError> {
                    let row: Option<PunchRow> = sqlx::query_as(&format!(
                        "SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND employee_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT 1"
                    ))
                    .bind(company.0)
                    .bind(employee.0)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(Punch::try_from).transpose()
                }

                async fn count_punches(&self, company: CompanyId) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM punches WHERE company_id = $1").bind(company.0).fetch_one(&self.pool).await?)
                }

                async fn photo(&self, company: CompanyId, sha256: &str) -> Result<Option<PhotoRecord>, StoreError> {
                    let row: Option<PhotoRow> = sqlx::query_as(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE company_id = $1 AND sha256 = $2"))
                        .bind(company.0)
                        .bind(sha256)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(PhotoRecord::try_from).transpose()
                }

                async fn set_photo_rotation(&self, company: CompanyId, sha256: &str, rotation: Rotation) -> Result<PhotoRecord, StoreError> {
                    let row: PhotoRow = sqlx::query_as(&format!(
                        "UPDATE photos SET display_rotation = $3 WHERE company_id = $1 AND sha256 = $2 RETURNING {PHOTO_COLUMNS}"
                    ))
                    .bind(company.0)
                    .bind(sha256)
                    .bind(rotation.degrees())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                    row.try_into()
                }

                async fn add_photo(&self, photo: &PhotoRecord) -> Result<(), StoreError> {
                    let mut tx = self.pool.begin().await?;
                    insert_photo(&mut tx, photo).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn punches_with_photo(&self, company: CompanyId, sha256: &str) -> Result<Vec<Punch>, StoreError> {
                    let rows: Vec<PunchRow> =
                        sqlx::query_as(&format!("SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND photo_sha256 = $2 ORDER BY occurred_at, id"))
                            .bind(company.0)
                            .bind(sha256)
                            .fetch_all(&self.pool)
                            .await?;
                    convert_all(rows)
                }

                async fn pin_locked_until(&self, scope: LockScope, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
                    let (kind, id) = scope.parts();
                    let until: Option<Option<DateTime<Utc>>> = sqlx::query_scalar("SELECT locked_until FROM pin_failures WHERE scope = $1 AND scope_id = $2")
                        .bind(kind)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(until.flatten().filter(|until| *until > now))
                }

                async fn record_pin_failure(&self, scope: LockScope, now: DateTime<Utc>, policy: LockoutPolicy) -> Result<PinFailures, StoreError> {
                    let (kind, id) = scope.parts();
                    // Failures older than one lock period, or from before an expired lock, start the count afresh.
                    let fresh_after = now - policy.lock_for;
                    let mut tx = self.pool.begin().await?;
                    let (failures, locked_until): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
                        "INSERT INTO pin_failures (scope, scope_id, failures, locked_until, updated_at) VALUES ($1, $2, 1, NULL, $3) \
                         ON CONFLICT (scope, scope_id) DO UPDATE SET \
                           failures = CASE WHEN pin_failures.updated_at <= $4 OR pin_failures.locked_until <= $3 THEN 1 ELSE pin_failures.failures + 1 END, \
                           locked_until = CASE WHEN pin_failures.locked_until <= $3 THEN NULL ELSE pin_failures.locked_until END, \
                           updated_at = $3 \
                         RETURNING failures, locked_until",
                    )
                    .bind(kind)
                    .bind(id)
                    .bind(now)
                    .bind(fresh_after)
                    .fetch_one(&mut *tx)
                    .await?;
                    let locked_until = if failures >= policy.max_failures && locked_until.is_none() {
                        let until = now + policy.lock_for;
                        sqlx::query("UPDATE pin_failures SET locked_until = $3 WHERE scope = $1 AND scope_id = $2")
                            .bind(kind)
                            .bind(id)
                            .bind(until)
                            .execute(&mut *tx)
                            .await?;
                        Some(until)
                    } else {
                        locked_until
                    };
                    tx.commit().await?;
                    Ok(PinFailures { failures, locked_until })
                }

                async fn clear_pin_failures(&self, scope: LockScope) -> Result<(), StoreError> {
                    let (kind, id) = scope.parts();
                    sqlx::query("DELETE FROM pin_failures WHERE scope = $1 AND scope_id = $2").bind(kind).bind(id).execute(&self.pool).await?;
                    Ok(())
                }

                async fn record_consent(&self, company: CompanyId, consent: &Consent) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO biometric_consents (company_id, employee_id, notice_version, recorded_by, agreed_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (company_id, employee_id) DO UPDATE SET notice_version = $3, recorded_by = $4, agreed_at = $5",
                    )
                    .bind(company.0)
                    .bind(consent.employee_id.0)
                    .bind(&consent.notice_version)
                    .bind(consent.recorded_by.0)
                    .bind(consent.agreed_at)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
                        _ => StoreError::Database(e),
                    })?;
                    Ok(())
                }

                async fn consent(&self, company: CompanyId, employee: EmployeeId) -> Result<Option<Consent>, StoreError> {
                    let row: Option<ConsentRow> = sqlx::query_as(
                        "SELECT employee_id, notice_version, recorded_by, agreed_at FROM biometric_consents WHERE company_id = $1 AND employee_id = $2",
                    )
                    .bind(company.0)
                    .bind(employee.0)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(Consent::from))
                }

                async fn add_template(&self, template: &FaceTemplate) -> Result<(), StoreError> {
                    insert_template(&self.pool, template).await
                }

                async fn templates(&self, company: CompanyId, employee: EmployeeId) -> Result<Vec<FaceTemplate>, StoreError> {
                    let rows: Vec<TemplateRow> = sqlx::query_as(
                        "SELECT id, company_id, employee_id, embedding, photo_sha256, source, created_by, created_at FROM face_templates \
                         WHERE company_id = $1 AND employee_id = $2 ORDER BY created_at, id",
                    )
                    .bind(company.0)
                    .bind(employee.0)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(FaceTemplate::try_from).collect()
                }

                async fn delete_templates(&self, company: CompanyId, employee: EmployeeId) -> Result<u64, StoreError> {
                    let deleted = sqlx::query("DELETE FROM face_templates WHERE company_id = $1 AND employee_id = $2")
                        .bind(company.0)
                        .bind(employee.0)
                        .execute(&self.pool)
                        .await?;
                    Ok(deleted.rows_affected())
                }

                async fn claim_verification_job(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Option<VerificationJob>, StoreError> {
                    let row: Option<(Uuid, Uuid, i64)> = sqlx::query_as($claim_job).bind(now).bind(lease_until).fetch_optional(&self.pool).await?;
                    Ok(row.map(|(punch, company, attempts)| VerificationJob { punch_id: PunchId(punch), company_id: CompanyId(company), attempts }))
                }

                async fn complete_verification_job(&self, verification: &Verification, enrolled: Option<&FaceTemplate>) -> Result<(), StoreError> {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query(
                        "INSERT INTO verifications (punch_id, company_id, verdict, score, threshold, rotation, faces, message, enrolled_now, decided_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (punch_id) DO NOTHING",
                    )
                    .bind(verification.punch_id.0)
                    .bind(verification.company_id.0)
                    .bind(&verification.verdict)
                    .bind(verification.score)
                    .bind(verification.threshold)
                    .bind(verification.rotation)
                    .bind(verification.faces)
                    .bind(&verification.message)
                    .bind(verification.enrolled_now)
                    .bind(verification.decided_at)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(template) = enrolled {
                        insert_template(&mut *tx, template).await?;
                    }
                    sqlx::query("DELETE FROM verification_jobs WHERE punch_id = $1").bind(verification.punch_id.0).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn retry_verification_job(&self, punch: PunchId, run_after: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
                    sqlx::query("UPDATE verification_jobs SET run_after = $2, locked_until = NULL, last_error = $3 WHERE punch_id = $1")
                        .bind(punch.0)
                        .bind(run_after)
                        .bind(error)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn pending_verification_jobs(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM verification_jobs").fetch_one(&self.pool).await?)
                }

                async fn verification(&self, company: CompanyId, punch: PunchId) -> Result<Option<Verification>, StoreError> {
                    let row: Option<VerificationRow> =
                        sqlx::query_as(&format!("SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE company_id = $1 AND punch_id = $2"))
                            .bind(company.0)
                            .bind(punch.0)
                            .fetch_optional(&self.pool)
                            .await?;
                    Ok(row.map(Verification::from))
                }

                async fn verifications(
                    &self,
                    company: CompanyId,
                    punches: &[PunchId],
                ) -> Result<std::collections::HashMap<PunchId, Verification>, StoreError> {
                    let mut found = std::collections::HashMap::with_capacity(punches.len());
                    // In batches, well under either backend's limit on bound parameters.
                    for batch in punches.chunks(500) {
                        let mut query = sqlx::QueryBuilder::<$db>::new(format!("SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE company_id = "));
                        query.push_bind(company.0).push(" AND punch_id IN (");
                        let mut ids = query.separated(", ");
                        for punch in batch {
                            ids.push_bind(punch.0);
                        }
                        ids.push_unseparated(")");
                        let rows: Vec<VerificationRow> = query.build_query_as().fetch_all(&self.pool).await?;
                        found.extend(rows.into_iter().map(Verification::from).map(|v| (v.punch_id, v)));
                    }
                    Ok(found)
                }

                async fn review_queue(&self, company: CompanyId, limit: i64) -> Result<Vec<(Punch, Option<Verification>)>, StoreError> {
                    let rows: Vec<PunchRow> = sqlx::query_as(&format!("SELECT p.* {REVIEW_QUEUE} ORDER BY p.occurred_at DESC, p.id DESC LIMIT $2"))
                    .bind(company.0)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    let punches = rows.into_iter().map(Punch::try_from).collect::<Result<Vec<_>, _>>()?;
                    let ids: Vec<PunchId> = punches.iter().map(|p| p.id).collect();
                    let mut verdicts = self.verifications(company, &ids).await?;
                    Ok(punches.into_iter().map(|p| { let v = verdicts.remove(&p.id); (p, v) }).collect())
                }

                async fn count_review_queue(&self, company: CompanyId) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) {REVIEW_QUEUE}")).bind(company.0).fetch_one(&self.pool).await?)
                }

                async fn record_review(&self, company: CompanyId, review: &Review) -> Result<(), StoreError> {
                    let inserted = sqlx::query(
                        "INSERT INTO punch_reviews (punch_id, company_id, decision, reviewed_by, reviewed_at) \
                         SELECT id, company_id, $3, $4, $5 FROM punches WHERE company_id = $1 AND id = $2 \
                         ON CONFLICT (punch_id) DO UPDATE SET decision = $3, reviewed_by = $4, reviewed_at = $5",
                    )
                    .bind(company.0)
                    .bind(review.punch_id.0)
                    .bind(review.decision.as_str())
                    .bind(review.reviewed_by.0)
                    .bind(review.reviewed_at)
                    .execute(&self.pool)
                    .await?;
                    if inserted.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn review(&self, company: CompanyId, punch: PunchId) -> Result<Option<Review>, StoreError> {
                    let row: Option<ReviewRow> = sqlx::query_as(
                        "SELECT punch_id, decision, reviewed_by, reviewed_at FROM punch_reviews WHERE company_id = $1 AND punch_id = $2",
                    )
                    .bind(company.0)
                    .bind(punch.0)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(Review::try_from).transpose()
                }

                async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
                    sqlx::query("INSERT INTO audit_log (id, company_id, at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(new_id())
                        .bind(entry.company_id.0)
                        .bind(entry.at)
                        .bind(&entry.actor)
                        .bind(&entry.action)
                        .bind(&entry.subject)
                        .bind(&entry.detail)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn audit_log(&self, company: CompanyId, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
                    let rows: Vec<(Uuid, DateTime<Utc>, String, String, String, String)> = sqlx::query_as(
                        "SELECT company_id, at, actor, action, subject, detail FROM audit_log WHERE company_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
                    )
                    .bind(company.0)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows
                        .into_iter()
                        .map(|(company, at, actor, action, subject, detail)| AuditEntry { company_id: CompanyId(company), at, actor, action, subject, detail })
                        .collect())
                }
            }
        }
    };
}

pub(crate) use impl_store;
