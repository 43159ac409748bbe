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
//! The keys (`pin.key`, `secrets.key`) go to a destination of their own (`--keys-to`), never
//! into the data's folder unless the operator says so (`--keys-with-data`): whoever holds a copy
//! of the data and its keys together can open every face template and two-step secret in it, so
//! a backup that is copied, uploaded or lost should not carry them. The audit witness's file
//! (`audit-heads.log`) goes with the data: it holds no secret.
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
    /// Where the keys went.
    pub keys: PathBuf,
}

/// Where a backup puts the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysTo {
    /// A folder of their own (new or empty), apart from the data's.
    Folder(PathBuf),
    /// In the data's folder, because the operator asked for it.
    WithData,
}

/// Where the keys go, from the command's flags: exactly one of them.
pub fn keys_to(folder: Option<PathBuf>, with_data: bool) -> anyhow::Result<KeysTo> {
    match (folder, with_data) {
        (Some(folder), false) => Ok(KeysTo::Folder(folder)),
        (None, true) => Ok(KeysTo::WithData),
        (Some(_), true) => bail!("give either --keys-to or --keys-with-data, not both"),
        (None, false) => bail!(
            "say where the keys go: --keys-to DIR (a folder apart from the backup, e.g. another disk or a secrets store: \
             whoever holds the data and its keys together can open every face template) or, if you mean it, \
             --keys-with-data to put them in the backup's folder"
        ),
    }
}

/// Whether one of the two folders is the other or inside it.
fn nested(a: &Path, b: &Path) -> bool {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let (a, b) = (absolute(a), absolute(b));
    a.starts_with(&b) || b.starts_with(&a)
}

/// A new or empty folder, or why not.
fn check_empty(folder: &Path) -> anyhow::Result<()> {
    if folder.exists() && std::fs::read_dir(folder).with_context(|| format!("cannot read {}", folder.display()))?.next().is_some() {
        bail!("{} is not empty; give backup a new or empty folder, so that no older backup is mixed into this one", folder.display());
    }
    Ok(())
}

/// Takes a backup of the install `config` describes into the new folder `dest`, and its keys to
/// `keys` (a folder apart, or with the data when the operator said so).
pub async fn backup(config: &Config, dest: &Path, keys: &KeysTo) -> anyhow::Result<Report> {
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
    check_empty(dest)?;
    let keys_dest = match keys {
        KeysTo::Folder(folder) => {
            if nested(folder, dest) {
                bail!(
                    "the keys' folder {} is the backup's folder or inside it (or holds it): give --keys-to a folder apart from {}",
                    folder.display(),
                    dest.display()
                );
            }
            check_empty(folder)?;
            folder.clone()
        }
        KeysTo::WithData => dest.to_owned(),
    };
    create_dirs_durably(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    create_dirs_durably(&keys_dest).with_context(|| format!("cannot create {}", keys_dest.display()))?;

    // 1. The database, as one snapshot.
    let started = chrono::Utc::now();
    clockface_store::sqlite::snapshot(&url, &dest.join(DATABASE)).await.context("cannot snapshot the database")?;

    // 2. The photos (after the snapshot: every photo it names is there by now).
    let (count, bytes) = {
        let (photos, dest) = (photos.clone(), dest.join("photos"));
        tokio::task::spawn_blocking(move || copy_tree(&photos, &dest)).await??
    };

    // 3. The audit witness (no secret in it), then the keys, to their own folder.
    let witness = config.audit_heads_path();
    if witness.is_file() {
        copy_durably(&witness, &dest.join(clockface_app::witness::FILE_NAME))?;
    }
    for (name, key) in config.key_paths() {
        copy_durably(&key, &keys_dest.join(name)).with_context(|| format!("cannot copy the key {}", key.display()))?;
    }

    let (keys_line, restore) = match keys {
        KeysTo::Folder(folder) => (
            format!(
                "keys: NOT in this folder: {}, {} were written to {} (keep them apart from this backup; restore needs them)",
                crate::keys::PIN_KEY,
                crate::keys::SECRETS_KEY,
                folder.display()
            ),
            format!("`clockface restore {} --keys-from {}`", dest.display(), folder.display()),
        ),
        KeysTo::WithData => (
            format!(
                "keys: {}, {} ARE in this folder (--keys-with-data): whoever has this folder can open the face templates \
                 and two-step secrets in it; keep it as secret as the server",
                crate::keys::PIN_KEY,
                crate::keys::SECRETS_KEY
            ),
            format!("`clockface restore {}`", dest.display()),
        ),
    };
    let manifest = format!(
        "clockface backup\n\
         taken: {started} (the database as of this moment; photos and keys copied after it)\n\
         database: {DATABASE} (SQLite snapshot, integrity checked)\n\
         photos: photos/ ({count} files, {bytes} bytes)\n\
         {keys_line}\n\
         restore: stop the server, then {restore} into an empty data folder, then start it\n",
    );
    clockface_store::blobs::write_file_durably(&dest.join(MANIFEST), manifest.as_bytes(), 0o600)?;
    sync_dir(dest)?;
    Ok(Report { dest: dest.to_owned(), photos: count, photo_bytes: bytes, keys: keys_dest })
}

/// Puts the backup in `src` back as the install `config` describes, whose data folder must hold
/// no database yet (a restore never overwrites a live install); the keys come from `keys_from`
/// (the folder `--keys-to` named), else from `src` (a backup made with `--keys-with-data`).
pub async fn restore(config: &Config, src: &Path, keys_from: Option<&Path>) -> anyhow::Result<Report> {
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        bail!("the database is PostgreSQL: restore it with pg_restore, photos with the object store's tools (docs/DEPLOY.md)");
    }
    let PhotoStore::Local(photos) = config.photo_store().map_err(anyhow::Error::msg)? else {
        bail!("photos are configured to be in S3: restore them with the object store's tools (docs/DEPLOY.md)");
    };
    if !src.join(DATABASE).is_file() {
        bail!("{} has no {DATABASE}; is it a folder `clockface backup` made?", src.display());
    }
    let keys_src = keys_from.unwrap_or(src).to_owned();
    for needed in [crate::keys::PIN_KEY, crate::keys::SECRETS_KEY] {
        if !keys_src.join(needed).is_file() {
            match keys_from {
                Some(folder) => {
                    bail!("{} has no {needed}; give --keys-from the folder the backup's keys were written to", folder.display())
                }
                None => bail!(
                    "{} has no {needed}: its keys were written apart from it (see its BACKUP.txt); give that folder with --keys-from DIR",
                    src.display()
                ),
            }
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
    let report_keys = keys_src.clone();
    let (src, photos_dest, db_dest, witness_dest) = (src.to_owned(), photos, db, config.audit_heads_path());
    let (count, bytes) = tokio::task::spawn_blocking(move || -> anyhow::Result<(usize, u64)> {
        let copied = copy_tree(&src.join("photos"), &photos_dest)?;
        for (name, key_dest) in &keys {
            copy_durably(&keys_src.join(name), key_dest)?;
        }
        let witness = src.join(clockface_app::witness::FILE_NAME);
        if witness.is_file() {
            copy_durably(&witness, &witness_dest)?;
        }
        // The database last: a data folder with a database is a restored one.
        copy_durably(&src.join(DATABASE), &db_dest)?;
        Ok(copied)
    })
    .await??;
    Ok(Report { dest: config.data_dir.clone(), photos: count, photo_bytes: bytes, keys: report_keys })
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
        let error = backup(&postgres, folder.path(), &KeysTo::WithData).await.expect_err("not for PostgreSQL").to_string();
        assert!(error.contains("pg_dump") && !error.contains("pw@"), "{error}");
        let s3 = Config {
            data_dir: folder.path().to_owned(),
            photo_store: "s3://photos".into(),
            s3_access_key_id: Some("GK1".into()),
            s3_secret_access_key: Some("secret".to_owned().into()),
            ..Config::default()
        };
        let error = backup(&s3, &folder.path().join("b"), &KeysTo::WithData).await.expect_err("not for S3 photos").to_string();
        assert!(error.contains("s3://photos") && error.contains("replication"), "{error}");
    }

    #[tokio::test]
    async fn a_backup_goes_only_into_a_new_or_empty_folder() {
        let data = tempfile::tempdir().expect("temp folder");
        let config = Config { data_dir: data.path().to_owned(), ..Config::default() };
        clockface_store::connect(&config.database_url()).await.expect("a database");
        let dest = tempfile::tempdir().expect("temp folder");
        std::fs::write(dest.path().join("old"), b"an older backup").expect("write");
        let error = backup(&config, dest.path(), &KeysTo::WithData).await.expect_err("refused").to_string();
        assert!(error.contains("is not empty"), "{error}");
    }

    #[test]
    fn a_backup_is_told_where_the_keys_go_and_never_puts_them_with_the_data_unasked() {
        let refused = keys_to(None, false).expect_err("no destination for the keys").to_string();
        assert!(refused.contains("--keys-to") && refused.contains("--keys-with-data"), "{refused}");
        assert!(keys_to(Some("k".into()), true).is_err());
        assert_eq!(keys_to(Some("k".into()), false).unwrap(), KeysTo::Folder("k".into()));
        assert!(nested(Path::new("/b/keys"), Path::new("/b")) && nested(Path::new("/b"), Path::new("/b")));
        assert!(!nested(Path::new("/keys"), Path::new("/backup")));
    }

    #[tokio::test]
    async fn the_keys_go_to_their_own_folder_and_a_restore_takes_them_from_there() {
        let data = tempfile::tempdir().expect("temp folder");
        let config = Config { data_dir: data.path().to_owned(), ..Config::default() };
        clockface_store::connect(&config.database_url()).await.expect("a database");
        for (name, byte) in [(crate::keys::PIN_KEY, "a1"), (crate::keys::SECRETS_KEY, "b2")] {
            clockface_store::blobs::write_file_durably(&data.path().join(name), byte.repeat(32).as_bytes(), 0o600).expect("a key file");
        }
        let out = tempfile::tempdir().expect("temp folder");
        let (dest, keys) = (out.path().join("backup"), out.path().join("keys"));
        let inside = backup(&config, &dest, &KeysTo::Folder(dest.join("keys"))).await.expect_err("keys inside the backup").to_string();
        assert!(inside.contains("apart"), "{inside}");
        let report = backup(&config, &dest, &KeysTo::Folder(keys.clone())).await.expect("backed up");
        assert_eq!(report.keys, keys);
        for name in [crate::keys::PIN_KEY, crate::keys::SECRETS_KEY] {
            assert!(!dest.join(name).exists(), "{name} is not in the backup's folder");
            assert_eq!(
                std::fs::read(keys.join(name)).unwrap(),
                std::fs::read(data.path().join(name)).unwrap(),
                "{name} is in the keys' folder"
            );
        }
        assert!(std::fs::read_to_string(dest.join(MANIFEST)).unwrap().contains("NOT in this folder"));

        let restored = tempfile::tempdir().expect("temp folder");
        let target = Config { data_dir: restored.path().to_owned(), ..Config::default() };
        let missing = restore(&target, &dest, None).await.expect_err("no keys in the backup").to_string();
        assert!(missing.contains("--keys-from"), "{missing}");
        assert!(!restored.path().join(DATABASE).exists(), "a refused restore writes no database");
        restore(&target, &dest, Some(&keys)).await.expect("restored with the keys' folder");
        assert_eq!(
            std::fs::read(restored.path().join(crate::keys::SECRETS_KEY)).unwrap(),
            std::fs::read(keys.join(crate::keys::SECRETS_KEY)).unwrap()
        );
    }
}
