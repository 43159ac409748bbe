//! `clockface backup DEST` and `clockface restore SRC`: a consistent copy of a single-node
//! install (SQLite and a local photo folder), taken while it runs, and putting one back.
//!
//! The order makes the copy consistent without stopping the server: first the database, as one
//! snapshot (`VACUUM INTO`, a single read transaction), then the photos, then the keys. A photo's
//! bytes are always written before the row that names them commits, and photos are never changed
//! or removed once written, so every photo the snapshot names is already in the folder when the
//! photos are copied; photos that arrive later are copied too and are harmless. Every file of the
//! copy is fsynced before the command says it is done.
//!
//! PostgreSQL and S3 have tools of their own for this (pg_dump, the object store's replication);
//! `backup` says so rather than half-doing it (docs/DEPLOY.md).

use crate::config::{Config, PhotoStore};
use anyhow::{bail, Context};
use clockface_store::blobs::{create_dirs_durably, sync_dir};
use std::path::{Path, PathBuf};

/// The database file's name inside a backup.
pub const DATABASE: &str = "clockface.db";
/// The note written beside the copy, saying what it holds and how to restore it.
pub const MANIFEST: &str = "BACKUP.txt";

/// What a backup copied.
#[derive(Debug)]
pub struct Report {
    pub dest: PathBuf,
    pub photos: usize,
    pub photo_bytes: u64,
}

/// Takes a backup of the install `config` describes into the new folder `dest`.
pub async fn backup(config: &Config, dest: &Path) -> anyhow::Result<Report> {
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        bail!(
            "the database is PostgreSQL ({}): back it up with pg_dump (e.g. `pg_dump --format=custom --file=clockface.dump DBNAME`), \
             photos in S3 with the object store's own replication or a bucket copy, and keep pin.key and secrets.key with them (docs/DEPLOY.md)",
            config.database_url_for_logs()
        );
    }
    let photos = match config.photo_store().map_err(anyhow::Error::msg)? {
        PhotoStore::Local(folder) => folder,
        PhotoStore::S3(s3) => bail!(
            "photos are in the bucket s3://{}: copy them with the object store's own replication or a bucket copy, \
             and back up the database on its own (docs/DEPLOY.md)",
            s3.bucket
        ),
    };
    let source_db = clockface_store::sqlite::database_file(&url)?;
    if !source_db.is_file() {
        bail!("there is no database at {} to back up; is this the data folder of an install?", source_db.display());
    }
    if dest.exists() && std::fs::read_dir(dest).with_context(|| format!("cannot read {}", dest.display()))?.next().is_some() {
        bail!("{} is not empty; give backup a new or empty folder, so that no older backup is mixed into this one", dest.display());
    }
    create_dirs_durably(dest).with_context(|| format!("cannot create {}", dest.display()))?;

    // 1. The database, as one snapshot.
    let started = chrono::Utc::now();
    clockface_store::sqlite::snapshot(&url, &dest.join(DATABASE)).await.context("cannot snapshot the database")?;

    // 2. The photos (after the snapshot: every photo it names is there by now).
    let (count, bytes) = {
        let (photos, dest) = (photos.clone(), dest.join("photos"));
        tokio::task::spawn_blocking(move || copy_tree(&photos, &dest)).await??
    };

    // 3. The keys.
    for (name, key) in config.key_paths() {
        copy_durably(&key, &dest.join(name)).with_context(|| format!("cannot copy the key {}", key.display()))?;
    }

    let manifest = format!(
        "clockface backup\n\
         taken: {started} (the database as of this moment; photos and keys copied after it)\n\
         database: {DATABASE} (SQLite snapshot, integrity checked)\n\
         photos: photos/ ({count} files, {bytes} bytes)\n\
         keys: {}, {} (needed for employees' PINs and admins' two-step sign-in: keep this backup as secret as the server)\n\
         restore: stop the server, then `clockface restore {}` into an empty data folder, then start it\n",
        crate::keys::PIN_KEY,
        crate::keys::SECRETS_KEY,
        dest.display(),
    );
    clockface_store::blobs::write_file_durably(&dest.join(MANIFEST), manifest.as_bytes(), 0o600)?;
    sync_dir(dest)?;
    Ok(Report { dest: dest.to_owned(), photos: count, photo_bytes: bytes })
}

/// Puts the backup in `src` back as the install `config` describes, whose data folder must hold
/// no database yet (a restore never overwrites a live install).
pub async fn restore(config: &Config, src: &Path) -> anyhow::Result<Report> {
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        bail!("the database is PostgreSQL: restore it with pg_restore, photos with the object store's tools (docs/DEPLOY.md)");
    }
    let PhotoStore::Local(photos) = config.photo_store().map_err(anyhow::Error::msg)? else {
        bail!("photos are configured to be in S3: restore them with the object store's tools (docs/DEPLOY.md)");
    };
    for needed in [DATABASE, crate::keys::PIN_KEY, crate::keys::SECRETS_KEY] {
        if !src.join(needed).is_file() {
            bail!("{} has no {needed}; is it a folder `clockface backup` made?", src.display());
        }
    }
    let db = clockface_store::sqlite::database_file(&url)?;
    let keys = config.key_paths();
    for existing in std::iter::once(&db).chain(keys.iter().map(|(_, path)| path)) {
        if existing.exists() {
            bail!(
                "{} already exists: restore only into an empty data folder (stop the server and move the old folder aside first)",
                existing.display()
            );
        }
    }
    create_dirs_durably(&config.data_dir).with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let (src, photos_dest, db_dest) = (src.to_owned(), photos, db);
    let (count, bytes) = tokio::task::spawn_blocking(move || -> anyhow::Result<(usize, u64)> {
        let copied = copy_tree(&src.join("photos"), &photos_dest)?;
        for (name, key_dest) in &keys {
            copy_durably(&src.join(name), key_dest)?;
        }
        // The database last: a data folder with a database is a restored one.
        copy_durably(&src.join(DATABASE), &db_dest)?;
        Ok(copied)
    })
    .await??;
    Ok(Report { dest: config.data_dir.clone(), photos: count, photo_bytes: bytes })
}

/// Copies every file under `from` to the same place under `to` (skipping temporary files),
/// durably; returns how many files and bytes.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<(usize, u64)> {
    let (mut count, mut bytes) = (0, 0);
    let mut folders = vec![PathBuf::new()];
    create_dirs_durably(to)?;
    while let Some(relative) = folders.pop() {
        let folder = from.join(&relative);
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error).with_context(|| format!("cannot read {}", folder.display())),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = relative.join(&name);
            if entry.file_type()?.is_dir() {
                create_dirs_durably(&to.join(&path))?;
                folders.push(path);
            } else {
                bytes += copy_durably(&from.join(&path), &to.join(&path))?;
                count += 1;
            }
        }
    }
    Ok((count, bytes))
}

/// Copies one file: to a temporary name beside the target, fsynced, renamed, folder fsynced.
fn copy_durably(from: &Path, to: &Path) -> anyhow::Result<u64> {
    let folder = to.parent().unwrap_or(Path::new("."));
    let temporary = folder.join(format!(".{}.{}.tmp", to.file_name().and_then(|n| n.to_str()).unwrap_or("file"), uuid::Uuid::new_v4()));
    let copied = (|| -> std::io::Result<u64> {
        let bytes = std::fs::copy(from, &temporary)?;
        std::fs::File::open(&temporary)?.sync_all()?;
        std::fs::rename(&temporary, to)?;
        sync_dir(folder)?;
        Ok(bytes)
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    copied.with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn postgres_and_s3_installs_are_told_which_tools_back_them_up() {
        let folder = tempfile::tempdir().expect("temp folder");
        let postgres = Config { database_url: Some("postgres://app:pw@db/clockface".to_owned().into()), ..Config::default() };
        let error = backup(&postgres, folder.path()).await.expect_err("not for PostgreSQL").to_string();
        assert!(error.contains("pg_dump") && !error.contains("pw@"), "{error}");
        let s3 = Config {
            data_dir: folder.path().to_owned(),
            photo_store: "s3://photos".into(),
            s3_access_key_id: Some("GK1".into()),
            s3_secret_access_key: Some("secret".to_owned().into()),
            ..Config::default()
        };
        let error = backup(&s3, &folder.path().join("b")).await.expect_err("not for S3 photos").to_string();
        assert!(error.contains("s3://photos") && error.contains("replication"), "{error}");
    }

    #[tokio::test]
    async fn a_backup_goes_only_into_a_new_or_empty_folder() {
        let data = tempfile::tempdir().expect("temp folder");
        let config = Config { data_dir: data.path().to_owned(), ..Config::default() };
        clockface_store::connect(&config.database_url()).await.expect("a database");
        let dest = tempfile::tempdir().expect("temp folder");
        std::fs::write(dest.path().join("old"), b"an older backup").expect("write");
        let error = backup(&config, dest.path()).await.expect_err("refused").to_string();
        assert!(error.contains("is not empty"), "{error}");
    }
}
