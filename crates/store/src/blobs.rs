//! The photo blob store: original bytes, unchanged, content-addressed by SHA-256 under the
//! company they belong to. A local folder by default; S3-compatible storage (Garage, MinIO, AWS,
//! ...) through `object_store`'s S3 backend by configuration.
//!
//! A `put` that returns has made the bytes durable: the local folder writes a temporary file,
//! fsyncs it, renames it into place and fsyncs the folder (and every folder it had to create),
//! so that a power cut right after the answer loses nothing. `object_store`'s own local backend
//! never fsyncs, which is why the local folder is ours. With S3, `put` returns only after the
//! object store answered the PUT with success; how durable that is, is the object store's
//! promise (Garage: `data_fsync` and `metadata_fsync`, docs/DEPLOY.md).

use crate::StoreError;
use bytes::Bytes;
use clockface_domain::ids::CompanyId;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, PutPayload, RetryConfig};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An S3-compatible bucket and how to reach it.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// `http(s)://host:port`; `None` for AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    pub path_style: bool,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

/// Where photos' bytes live.
#[derive(Debug, Clone)]
pub struct BlobStore {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Local(Arc<LocalFolder>),
    Object(Arc<dyn ObjectStore>),
}

impl BlobStore {
    /// Photos under `folder` on the local disk (created, durably, if missing).
    pub fn local(folder: &Path) -> Result<Self, StoreError> {
        create_dirs_durably(folder).map_err(|e| StoreError::Blob(format!("cannot create the photo folder {}: {e}", folder.display())))?;
        Ok(Self { backend: Backend::Local(Arc::new(LocalFolder { root: folder.to_owned() })) })
    }

    /// Any `object_store` backend (S3-compatible storage, or memory in tests). A `put` returns
    /// once the store confirmed the write.
    pub fn from_object_store(inner: Arc<dyn ObjectStore>) -> Self {
        Self { backend: Backend::Object(inner) }
    }

    /// Photos in an S3-compatible bucket. Requests are retried (a few times, for at most 15
    /// seconds) before a `put` fails, so a punch waits briefly for a restarting object store
    /// rather than failing at once, and never waits long.
    pub fn s3(settings: &S3Settings) -> Result<Self, StoreError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(!settings.path_style)
            .with_retry(RetryConfig { max_retries: 4, retry_timeout: std::time::Duration::from_secs(15), ..RetryConfig::default() })
            .with_client_options(ClientOptions::new().with_timeout(std::time::Duration::from_secs(30)));
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder.build().map_err(|e| StoreError::Blob(format!("cannot use the S3 bucket {}: {e}", settings.bucket)))?;
        Ok(Self::from_object_store(Arc::new(store)))
    }

    /// Where the photos are, for logs: the local folder, or the object store.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Local(folder) => folder.root.display().to_string(),
            Backend::Object(store) => store.to_string(),
        }
    }

    /// Checks that the photo store answers and takes our credentials (by reading a key that
    /// does not exist: "not found" is the right answer). A server checks this when it starts,
    /// so a wrong endpoint or key stops the start instead of the first punch with a photo.
    pub async fn check(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Local(folder) => {
                if folder.root.is_dir() {
                    Ok(())
                } else {
                    Err(StoreError::Blob(format!("the photo folder {} is missing", folder.root.display())))
                }
            }
            Backend::Object(store) => match store.head(&ObjectPath::from("photos/.clockface-check")).await {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(error.into()),
            },
        }
    }

    /// Every photo's key and size, for backups (`photos/<company>/<xx>/<sha256>`).
    pub async fn list(&self) -> Result<Vec<(String, u64)>, StoreError> {
        match &self.backend {
            Backend::Local(folder) => {
                let root = folder.root.clone();
                tokio::task::spawn_blocking(move || list_files(&root))
                    .await
                    .map_err(|e| StoreError::Blob(format!("the photo listing stopped: {e}")))?
            }
            Backend::Object(store) => {
                use futures::TryStreamExt;
                let found: Vec<_> = store.list(Some(&ObjectPath::from("photos"))).try_collect().await?;
                Ok(found.into_iter().map(|meta| (meta.location.to_string(), meta.size)).collect())
            }
        }
    }

    fn key(company: CompanyId, sha256: &str) -> String {
        let prefix = sha256.get(..2).unwrap_or("00");
        format!("photos/{company}/{prefix}/{sha256}")
    }

    /// Stores `bytes` durably and returns their SHA-256 (lower-case hex). Storing the same bytes
    /// again leaves the stored copy as it is.
    pub async fn put(&self, company: CompanyId, bytes: Bytes) -> Result<String, StoreError> {
        let sha256 = sha256_hex(&bytes);
        self.put_hashed(company, &sha256, bytes).await?;
        Ok(sha256)
    }

    /// Stores `bytes` durably under `sha256`, their SHA-256 as the caller already computed it.
    pub async fn put_hashed(&self, company: CompanyId, sha256: &str, bytes: Bytes) -> Result<(), StoreError> {
        debug_assert_eq!(sha256, sha256_hex(&bytes), "a photo is stored under its own SHA-256");
        let key = Self::key(company, sha256);
        match &self.backend {
            Backend::Local(folder) => {
                let folder = folder.clone();
                tokio::task::spawn_blocking(move || folder.put(&key, &bytes))
                    .await
                    .map_err(|e| StoreError::Blob(format!("the photo write stopped: {e}")))??;
            }
            Backend::Object(store) => {
                store.put(&ObjectPath::from(key), PutPayload::from(bytes)).await?;
            }
        }
        Ok(())
    }

    /// The bytes stored under `sha256` for `company`; [`StoreError::NotFound`] if there are none.
    pub async fn get(&self, company: CompanyId, sha256: &str) -> Result<Bytes, StoreError> {
        if !is_sha256(sha256) {
            return Err(StoreError::NotFound);
        }
        let key = Self::key(company, sha256);
        match &self.backend {
            Backend::Local(folder) => match tokio::fs::read(folder.root.join(&key)).await {
                Ok(bytes) => Ok(Bytes::from(bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NotFound),
                Err(error) => Err(StoreError::Blob(format!("cannot read photo {sha256}: {error}"))),
            },
            Backend::Object(store) => match store.get(&ObjectPath::from(key)).await {
                Ok(result) => Ok(result.bytes().await?),
                Err(object_store::Error::NotFound { .. }) => Err(StoreError::NotFound),
                Err(error) => Err(error.into()),
            },
        }
    }
}

/// Whether the photo store answers, for the readiness endpoint.
impl BlobStore {
    /// Answers when photos can be stored: a local folder takes a small file (written and removed
    /// again), an object store answers a read of an object that is not there.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Local(folder) => {
                let probe = folder.root.join(format!(".ready-{}", uuid::Uuid::new_v4()));
                let cause = |error: std::io::Error| StoreError::Blob(format!("the photo folder takes no file: {error}"));
                tokio::fs::write(&probe, b"ready").await.map_err(cause)?;
                tokio::fs::remove_file(&probe).await.map_err(cause)
            }
            Backend::Object(store) => match store.head(&ObjectPath::from("ready-probe")).await {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(error.into()),
            },
        }
    }
}

/// Objects other than photos, in an object store only (the audit witness's heads): a local
/// photo folder keeps none, the data folder has files of its own for that.
impl BlobStore {
    /// Whether photos are in an object store (S3-compatible) rather than a local folder.
    pub fn is_object_store(&self) -> bool {
        matches!(self.backend, Backend::Object(_))
    }

    /// Stores `bytes` under `path` (outside `photos/`), once the store confirmed it.
    pub async fn put_object(&self, path: &str, bytes: Bytes) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Local(_) => Err(StoreError::Blob("a local photo folder keeps no other objects".to_owned())),
            Backend::Object(store) => {
                store.put(&ObjectPath::from(path), bytes.into()).await?;
                Ok(())
            }
        }
    }

    /// The paths and sizes of the objects under `prefix` (none in a local photo folder).
    pub async fn list_objects(&self, prefix: &str) -> Result<Vec<(String, u64)>, StoreError> {
        match &self.backend {
            Backend::Local(_) => Ok(Vec::new()),
            Backend::Object(store) => {
                use futures::TryStreamExt;
                let found: Vec<_> = store.list(Some(&ObjectPath::from(prefix))).try_collect().await?;
                Ok(found.into_iter().map(|meta| (meta.location.to_string(), meta.size)).collect())
            }
        }
    }

    /// The object at `path`.
    pub async fn get_object(&self, path: &str) -> Result<Bytes, StoreError> {
        match &self.backend {
            Backend::Local(_) => Err(StoreError::NotFound),
            Backend::Object(store) => match store.get(&ObjectPath::from(path)).await {
                Ok(result) => Ok(result.bytes().await?),
                Err(object_store::Error::NotFound { .. }) => Err(StoreError::NotFound),
                Err(error) => Err(error.into()),
            },
        }
    }
}

impl BlobStore {
    /// Deletes the bytes stored under `sha256` for `company`, durably (the local folder is
    /// fsynced after the removal). Deleting what is not there succeeds: two destruction jobs may
    /// delete the same photo.
    pub async fn delete(&self, company: CompanyId, sha256: &str) -> Result<(), StoreError> {
        if !is_sha256(sha256) {
            return Ok(());
        }
        let key = Self::key(company, sha256);
        match &self.backend {
            Backend::Local(folder) => {
                let path = folder.root.join(&key);
                tokio::task::spawn_blocking(move || {
                    let fail = |error: std::io::Error| StoreError::Blob(format!("cannot delete {}: {error}", path.display()));
                    match std::fs::remove_file(&path) {
                        Ok(()) => path.parent().map_or(Ok(()), sync_dir).map_err(fail),
                        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
                        Err(error) => Err(fail(error)),
                    }
                })
                .await
                .map_err(|e| StoreError::Blob(format!("the photo deletion stopped: {e}")))?
            }
            Backend::Object(store) => match store.delete(&ObjectPath::from(key)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(error.into()),
            },
        }
    }
}

/// The photo files under `root`, as keys relative to it (`photos/...`), skipping temporary files.
fn list_files(root: &Path) -> Result<Vec<(String, u64)>, StoreError> {
    let mut found = Vec::new();
    let mut folders = vec![root.join("photos")];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(StoreError::Blob(format!("cannot list {}: {error}", folder.display()))),
        };
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::Blob(format!("cannot list {}: {e}", folder.display())))?;
            let path = entry.path();
            let meta = entry.metadata().map_err(|e| StoreError::Blob(format!("cannot read {}: {e}", path.display())))?;
            if meta.is_dir() {
                folders.push(path);
            } else if !entry.file_name().to_string_lossy().starts_with('.') {
                if let Ok(relative) = path.strip_prefix(root) {
                    found.push((relative.to_string_lossy().into_owned(), meta.len()));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The local photo folder.
#[derive(Debug)]
struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    /// Writes `bytes` to `key` under the root: a temporary file in the same folder, fsynced, then
    /// renamed into place, then the folder fsynced so the rename itself survives a power cut.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.root.join(key);
        let fail = |what: &str, error: std::io::Error| StoreError::Blob(format!("cannot {what} {}: {error}", path.display()));
        let folder = path.parent().ok_or_else(|| StoreError::Blob(format!("{} has no folder", path.display())))?;
        create_dirs_durably(folder).map_err(|e| fail("create the folder of", e))?;
        // Content-addressed: a complete file with this name already holds these very bytes.
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok(());
        }
        let temporary =
            folder.join(format!(".{}.{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("photo"), uuid::Uuid::new_v4()));
        let written = (|| {
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(fail("write", error));
        }
        sync_dir(folder).map_err(|e| fail("sync the folder of", e))
    }
}

/// Creates `folder` and any missing parents, fsyncing each parent after a folder is made in it,
/// so that the new folders survive a power cut together with the files later put in them.
pub fn create_dirs_durably(folder: &Path) -> std::io::Result<()> {
    if folder.is_dir() {
        return Ok(());
    }
    if let Some(parent) = folder.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs_durably(parent)?;
    }
    match std::fs::create_dir(folder) {
        Ok(()) => {}
        // Another writer made it at the same moment; it fsyncs the parent too.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(error) => return Err(error),
    }
    match folder.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => sync_dir(parent),
        None => sync_dir(Path::new(".")),
    }
}

/// fsyncs a folder, which makes the names created, renamed or removed in it durable.
pub fn sync_dir(folder: &Path) -> std::io::Result<()> {
    std::fs::File::open(folder)?.sync_all()
}

/// Writes `bytes` to `path` atomically and durably: a temporary file beside it, fsynced,
/// renamed into place, and the folder fsynced. A reader sees the old file or the new one, never
/// half of either, and after a power cut the new one is there if this returned.
pub fn write_file_durably(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = folder.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    sync_dir(folder)
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_durable_write_replaces_the_file_whole_and_leaves_no_temporary() {
        let folder = tempfile::tempdir().expect("temp folder");
        let path = folder.path().join("a").join("b").join("key");
        create_dirs_durably(path.parent().expect("parent")).expect("folders");
        write_file_durably(&path, b"first", 0o600).expect("write");
        write_file_durably(&path, b"second", 0o600).expect("write again");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let left: Vec<_> = std::fs::read_dir(path.parent().expect("parent")).expect("list").collect();
        assert_eq!(left.len(), 1, "only the file itself is left");
    }

    #[tokio::test]
    async fn photos_are_content_addressed_per_company() {
        let folder = tempfile::tempdir().expect("temp folder");
        let blobs = BlobStore::local(&folder.path().join("photos")).expect("photo folder");
        let company = CompanyId(uuid::Uuid::new_v4());
        let sha = blobs.put(company, Bytes::from_static(b"photo")).await.expect("put");
        assert_eq!(sha, sha256_hex(b"photo"));
        assert_eq!(blobs.put(company, Bytes::from_static(b"photo")).await.expect("put again"), sha);
        assert_eq!(blobs.get(company, &sha).await.expect("get"), Bytes::from_static(b"photo"));
        assert!(matches!(blobs.get(CompanyId(uuid::Uuid::new_v4()), &sha).await, Err(StoreError::NotFound)));
    }
}
