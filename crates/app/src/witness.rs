//! The audit log's witness: each company's audit head, signed with a key that is not in the
//! database and appended to a file outside it, so that a tail cut from the log (with its head in
//! the database rewound to match) is still found by `clockface audit verify`.
//!
//! The chain in the database (`store::sql::audit`) finds an edited or deleted entry, and a cut
//! tail while `audit_heads` is left alone; it cannot find a cut tail whose head was rewound too,
//! because head and chain live in the same database. The witness keeps a second record of the
//! head where a database write cannot reach it:
//!
//! - **What**: one JSON line per new head, `{"company","seq","hash","at","node","signature"}`,
//!   the signature an ECDSA P-256 signature (RFC 6979) over
//!   `clockface audit head v1\n{company}\n{seq}\n{hash}\n{at}` with a key derived from
//!   `secrets.key` (HMAC-SHA256 of a fixed label): not in the database, and the same on every
//!   node. `clockface audit public-key` prints the public key, so a witness outside the server
//!   can check the lines too.
//! - **Where**: appended to `audit-heads.log` in the data folder (or `audit_heads_file`), each
//!   write fsynced; with photos in S3-compatible storage also, at most once a minute, as an
//!   object per head under `audit-heads/` in the bucket (a node's data folder does not outlive
//!   the node).
//! - **When**: every node polls the heads (one small query) every [`POLL`] and at shutdown, and
//!   writes the heads that moved. A tail cut within that second of being written, or after the
//!   last line before a kill -9, is not witnessed.
//!
//! What it cannot do: someone with the server's keys and write access to every copy (the file,
//! the bucket) can rewrite history and sign it. docs/SECURITY.md says what each setup detects.

use chrono::{DateTime, SecondsFormat, Utc};
use clockface_domain::ids::CompanyId;
use clockface_store::blobs::BlobStore;
use clockface_store::{AuditHead, Store, StoreError};
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How often the witness looks for heads that moved.
pub const POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// How often heads that moved are also written to the object store.
pub const OBJECT_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// The witness file's name in the data folder.
pub const FILE_NAME: &str = "audit-heads.log";
/// Where heads go in an object store.
pub const OBJECT_PREFIX: &str = "audit-heads";

/// The key that signs heads: derived from the secrets key.
#[derive(Clone)]
pub struct HeadKey {
    signing: SigningKey,
}

impl std::fmt::Debug for HeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadKey").field("public", &self.public_hex()).finish()
    }
}

impl HeadKey {
    /// The signing key for `secrets_key`: the first valid P-256 scalar among HMAC-SHA256 digests
    /// of a label and a counter (the first nearly always is).
    pub fn derive(secrets_key: &SecretSlice<u8>) -> Option<HeadKey> {
        (0u8..=255).find_map(|counter| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secrets_key.expose_secret()).ok()?;
            mac.update(b"clockface audit head key v1");
            mac.update(&[counter]);
            let bytes = mac.finalize().into_bytes();
            SigningKey::from_bytes(&bytes).ok().map(|signing| HeadKey { signing })
        })
    }

    /// The public key (SEC1, uncompressed, hex) that checks the heads' signatures.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_encoded_point(false).as_bytes())
    }

    fn verifying(&self) -> &VerifyingKey {
        self.signing.verifying_key()
    }

    /// `head` at `at`, signed.
    pub fn sign(&self, head: &AuditHead, at: DateTime<Utc>, node: &str) -> SignedHead {
        let at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let signature: Signature = self.signing.sign(signed_text(head.company, head.seq, &head.hash, &at).as_bytes());
        SignedHead {
            company: head.company,
            seq: head.seq,
            hash: head.hash.clone(),
            at,
            node: node.to_owned(),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

fn signed_text(company: CompanyId, seq: i64, hash: &str, at: &str) -> String {
    format!("clockface audit head v1\n{company}\n{seq}\n{hash}\n{at}")
}

/// One witnessed head, as a line of the witness file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    pub company: CompanyId,
    pub seq: i64,
    pub hash: String,
    /// When it was witnessed (RFC 3339, UTC, microseconds).
    pub at: String,
    /// The node that witnessed it.
    pub node: String,
    /// ECDSA P-256 over the signed text, `r || s` in hex.
    pub signature: String,
}

impl SignedHead {
    /// Whether the signature is `key`'s over this head.
    pub fn verifies(&self, key: &HeadKey) -> bool {
        let Ok(bytes) = hex::decode(&self.signature) else { return false };
        let Ok(signature) = Signature::from_slice(&bytes) else { return false };
        key.verifying().verify(signed_text(self.company, self.seq, &self.hash, &self.at).as_bytes(), &signature).is_ok()
    }

    fn head(&self) -> AuditHead {
        AuditHead { company: self.company, seq: self.seq, hash: self.hash.clone() }
    }
}

/// The witness file's lines: the heads read, and what was wrong with the others (by line number).
#[derive(Debug, Default)]
pub struct Witnessed {
    pub heads: Vec<SignedHead>,
    pub bad_lines: Vec<(usize, String)>,
}

impl Witnessed {
    /// Each company's latest witnessed head that verifies under `key`; a line that does not
    /// verify is reported in `bad`.
    pub fn latest(&self, key: &HeadKey) -> (Vec<AuditHead>, Vec<String>) {
        let mut latest: HashMap<CompanyId, &SignedHead> = HashMap::new();
        let mut bad: Vec<String> = self.bad_lines.iter().map(|(n, why)| format!("line {n} of the witness: {why}")).collect();
        for head in &self.heads {
            if !head.verifies(key) {
                bad.push(format!(
                    "the witnessed head of company {} at entry {} ({}) has a signature that does not verify: the witness was altered",
                    head.company, head.seq, head.at
                ));
                continue;
            }
            match latest.get(&head.company) {
                Some(known) if known.seq >= head.seq => {}
                _ => {
                    latest.insert(head.company, head);
                }
            }
        }
        let mut heads: Vec<AuditHead> = latest.into_values().map(SignedHead::head).collect();
        heads.sort_by_key(|h| h.company);
        (heads, bad)
    }
}

/// Reads a witness file (none yet is empty).
pub fn read_file(path: &Path) -> std::io::Result<Witnessed> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Witnessed::default()),
        Err(error) => return Err(error),
    };
    Ok(parse(&text))
}

fn parse(text: &str) -> Witnessed {
    let mut out = Witnessed::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<SignedHead>(line) {
            Ok(head) => out.heads.push(head),
            // A last line cut short by a crash mid-write is not tampering, but it is worth a word.
            Err(error) => out.bad_lines.push((i + 1, format!("not a witnessed head ({error})"))),
        }
    }
    out
}

/// Appends `heads` to the file at `path`, durably: the write is fsynced (and the folder, when the
/// file is new) before this returns.
pub fn append(path: &Path, heads: &[SignedHead]) -> std::io::Result<()> {
    let mut text = String::new();
    for head in heads {
        text.push_str(&serde_json::to_string(head).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    let existed = path.exists();
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_data()?;
    if !existed {
        if let Some(folder) = path.parent() {
            clockface_store::blobs::sync_dir(folder)?;
        }
    }
    Ok(())
}

/// What the witness of this process writes to.
#[derive(Debug, Clone)]
pub struct WitnessSettings {
    pub file: PathBuf,
}

/// What the witness task of a process works with.
pub struct Witness {
    pub store: Arc<dyn Store>,
    /// Heads are also written here when it is an object store.
    pub blobs: BlobStore,
    pub settings: WitnessSettings,
    pub key: HeadKey,
    /// This node's name, written with each head.
    pub node_name: String,
}

/// The witness task: writes every head that moved, every [`POLL`] and once more when `stop`
/// says so; failures are logged and tried again at the next poll.
pub async fn run(witness: Witness, mut stop: tokio::sync::watch::Receiver<bool>) {
    let Witness { store, blobs, settings, key, node_name } = witness;
    let mut written: HashMap<CompanyId, i64> = match read_file(&settings.file) {
        Ok(witnessed) => witnessed.heads.iter().map(|h| (h.company, h.seq)).fold(HashMap::new(), |mut m, (c, s)| {
            let seq = m.entry(c).or_insert(s);
            *seq = (*seq).max(s);
            m
        }),
        Err(error) => {
            tracing::error!(%error, file = %settings.file.display(), "cannot read the audit witness");
            HashMap::new()
        }
    };
    let mut in_bucket: HashMap<CompanyId, i64> = HashMap::new();
    let mut last_object_write = tokio::time::Instant::now() - OBJECT_EVERY;
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(POLL) => false,
            _ = stop.changed() => true,
        };
        if let Err(error) = witness_once(store.as_ref(), &node_name, &settings, &key, &mut written).await {
            tracing::warn!(%error, "the audit witness could not write this time; it tries again");
        }
        if blobs.is_object_store() && (stopping || last_object_write.elapsed() >= OBJECT_EVERY) {
            last_object_write = tokio::time::Instant::now();
            if let Err(error) = witness_in_bucket(store.as_ref(), &blobs, &node_name, &key, &mut in_bucket).await {
                tracing::warn!(%error, "the audit witness could not write to the object store this time; it tries again");
            }
        }
        if stopping {
            return;
        }
    }
}

/// Writes to the file every head that moved since the last written; returns how many.
pub async fn witness_once(
    store: &dyn Store,
    node_name: &str,
    settings: &WitnessSettings,
    key: &HeadKey,
    written: &mut HashMap<CompanyId, i64>,
) -> Result<usize, StoreError> {
    let now = Utc::now();
    let moved: Vec<SignedHead> = store
        .audit_heads()
        .await?
        .iter()
        .filter(|h| written.get(&h.company).is_none_or(|seq| *seq < h.seq))
        .map(|h| key.sign(h, now, node_name))
        .collect();
    if moved.is_empty() {
        return Ok(0);
    }
    let file = settings.file.clone();
    let lines = moved.clone();
    tokio::task::spawn_blocking(move || append(&file, &lines))
        .await
        .map_err(|e| StoreError::Blob(format!("the witness write stopped: {e}")))?
        .map_err(|e| StoreError::Blob(format!("cannot append to {}: {e}", settings.file.display())))?;
    for head in &moved {
        written.insert(head.company, head.seq);
    }
    Ok(moved.len())
}

async fn witness_in_bucket(
    store: &dyn Store,
    blobs: &BlobStore,
    node_name: &str,
    key: &HeadKey,
    written: &mut HashMap<CompanyId, i64>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    for head in store.audit_heads().await? {
        if written.get(&head.company).is_some_and(|seq| *seq >= head.seq) {
            continue;
        }
        let signed = key.sign(&head, now, node_name);
        let body = serde_json::to_vec(&signed).map_err(|e| StoreError::Blob(e.to_string()))?;
        blobs.put_object(&object_path(head.company, head.seq), body.into()).await?;
        written.insert(head.company, head.seq);
    }
    Ok(())
}

/// The object a head is kept under: numbers padded so that names sort as numbers.
pub fn object_path(company: CompanyId, seq: i64) -> String {
    format!("{OBJECT_PREFIX}/{company}/{seq:020}.json")
}

/// The heads witnessed in the object store (the latest few per company are enough; all are read).
pub async fn read_bucket(blobs: &BlobStore) -> Result<Witnessed, StoreError> {
    let mut out = Witnessed::default();
    for (path, _) in blobs.list_objects(OBJECT_PREFIX).await? {
        let bytes = blobs.get_object(&path).await?;
        match serde_json::from_slice::<SignedHead>(&bytes) {
            Ok(head) => out.heads.push(head),
            Err(error) => out.bad_lines.push((0, format!("{path} is not a witnessed head ({error})"))),
        }
    }
    Ok(out)
}

/// The whole check behind `clockface audit verify`: the chain in the database, then the chain
/// against the latest head each witness signed. Returns every problem found (none: the log is whole
/// as far as the witnesses saw it) and how many witnessed heads it was compared with.
pub async fn verify(store: &dyn Store, key: &HeadKey, witnesses: &[Witnessed]) -> Result<(Vec<String>, usize), StoreError> {
    let mut problems: Vec<String> =
        store.verify_audit().await?.into_iter().map(|(company, problem)| format!("company {company}: {problem}")).collect();
    let mut latest: HashMap<CompanyId, AuditHead> = HashMap::new();
    for witnessed in witnesses {
        let (heads, bad) = witnessed.latest(key);
        problems.extend(bad);
        for head in heads {
            match latest.get(&head.company) {
                Some(known) if known.seq >= head.seq => {}
                _ => {
                    latest.insert(head.company, head);
                }
            }
        }
    }
    let heads: Vec<AuditHead> = latest.into_values().collect();
    for (company, problem) in store.verify_audit_against(&heads).await? {
        problems.push(format!("company {company}: {problem}"));
    }
    Ok((problems, heads.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(seq: i64) -> AuditHead {
        AuditHead { company: CompanyId(uuid::Uuid::from_u128(7)), seq, hash: format!("{seq:064}") }
    }

    #[test]
    fn a_signed_head_verifies_under_its_key_only_and_not_once_altered() {
        let key = HeadKey::derive(&vec![3u8; 32].into()).unwrap();
        let other = HeadKey::derive(&vec![4u8; 32].into()).unwrap();
        assert_ne!(key.public_hex(), other.public_hex());
        let signed = key.sign(&head(5), Utc::now(), "node-a");
        assert!(signed.verifies(&key));
        assert!(!signed.verifies(&other), "another installation's key");
        let rewound = SignedHead { seq: 4, ..signed.clone() };
        assert!(!rewound.verifies(&key), "a head moved back by hand no longer verifies");
        let line = serde_json::to_string(&signed).unwrap();
        assert_eq!(parse(&line).heads, vec![signed]);
    }

    #[test]
    fn the_latest_good_head_per_company_counts_and_bad_lines_are_named() {
        let key = HeadKey::derive(&vec![3u8; 32].into()).unwrap();
        let mut text = String::new();
        for seq in [1, 3, 2] {
            text.push_str(&serde_json::to_string(&key.sign(&head(seq), Utc::now(), "n")).unwrap());
            text.push('\n');
        }
        let mut forged = key.sign(&head(9), Utc::now(), "n");
        forged.hash = "f".repeat(64);
        text.push_str(&serde_json::to_string(&forged).unwrap());
        text.push_str("\n{\"company\": \"cut short");
        let witnessed = parse(&text);
        let (latest, bad) = witnessed.latest(&key);
        assert_eq!(latest, vec![head(3)], "the forged head 9 does not count");
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(bad.iter().any(|b| b.contains("does not verify")) && bad.iter().any(|b| b.contains("line 5")), "{bad:?}");
    }

    #[test]
    fn appending_keeps_earlier_lines() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join(FILE_NAME);
        let key = HeadKey::derive(&vec![3u8; 32].into()).unwrap();
        append(&path, &[key.sign(&head(1), Utc::now(), "n")]).unwrap();
        append(&path, &[key.sign(&head(2), Utc::now(), "n"), key.sign(&head(3), Utc::now(), "n")]).unwrap();
        let witnessed = read_file(&path).unwrap();
        assert_eq!(witnessed.heads.iter().map(|h| h.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(read_file(&folder.path().join("none")).unwrap().heads.is_empty());
    }
}
