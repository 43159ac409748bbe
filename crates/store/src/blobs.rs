//! The photo blob store: original bytes, unchanged, content-addressed by SHA-256 under the
//! company they belong to. A local folder by default; the `object_store` crate behind it makes
//! S3-compatible storage a matter of configuration.

use crate::StoreError;
use bytes::Bytes;
use clockface_domain::ids::CompanyId;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Where photos' bytes live.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

impl BlobStore {
    /// Photos under `folder` on the local disk (created if missing). Writes go to a temporary
    /// file renamed into place, so a reader never sees half a photo.
    pub fn local(folder: &std::path::Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(folder)
            .map_err(|e| StoreError::Corrupt(format!("cannot create the photo folder {}: {e}", folder.display())))?;
        Ok(Self { inner: Arc::new(LocalFileSystem::new_with_prefix(folder)?) })
    }

    /// Any `object_store` backend (S3, GCS, Azure, memory).
    pub fn from_object_store(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }

    fn key(company: CompanyId, sha256: &str) -> Path {
        let prefix = sha256.get(..2).unwrap_or("00");
        Path::from(format!("photos/{company}/{prefix}/{sha256}"))
    }

    /// Stores `bytes` and returns their SHA-256 (lower-case hex). Storing the same bytes again
    /// rewrites the same object.
    pub async fn put(&self, company: CompanyId, bytes: Bytes) -> Result<String, StoreError> {
        let sha256 = sha256_hex(&bytes);
        self.inner.put(&Self::key(company, &sha256), PutPayload::from(bytes)).await?;
        Ok(sha256)
    }

    /// The bytes stored under `sha256` for `company`; [`StoreError::NotFound`] if there are none.
    pub async fn get(&self, company: CompanyId, sha256: &str) -> Result<Bytes, StoreError> {
        if !sha256.bytes().all(|b| b.is_ascii_hexdigit()) || sha256.len() != 64 {
            return Err(StoreError::NotFound);
        }
        match self.inner.get(&Self::key(company, sha256)).await {
            Ok(result) => Ok(result.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(StoreError::NotFound),
            Err(error) => Err(error.into()),
        }
    }
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
