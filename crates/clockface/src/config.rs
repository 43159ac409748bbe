//! The configuration: one typed struct. Defaults run with no file at all; a TOML file
//! (`--config`), then `CLOCKFACE_*` environment variables, then command-line flags override them.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything `clockface serve` can be told.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Folder for the SQLite database, the photos and the PIN key.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; a SQLite file in `data_dir` when unset.
    pub database_url: Option<SecretString>,
    /// Largest photo accepted, in bytes.
    pub photo_max_bytes: usize,
    /// Largest photo accepted, in pixels (width x height).
    pub photo_max_pixels: u64,
    /// How long an admin stays signed in, in hours.
    pub session_hours: i64,
    /// How many tasks verify FaceFront photos (0 leaves the queue to other servers).
    pub verification_workers: usize,
    /// Take the client's address from `X-Forwarded-For` (set it only behind a proxy that writes
    /// that header; otherwise anyone could pick the address their guesses count against).
    pub trust_forwarded_for: bool,
    /// Log filter, e.g. `info` or `clockface_web=debug,info`; unset, `info` (`warn` for the demo,
    /// so that its printout stays readable).
    pub log: Option<String>,
    /// `text` (for people) or `json` (one JSON object a line, for a log collector).
    pub log_format: LogFormat,
    /// Where photos go: `local` (the `photos/` folder in `data_dir`) or `s3://BUCKET`.
    pub photo_store: String,
    /// The S3 endpoint, e.g. `http://127.0.0.1:3900` for Garage; unset, AWS itself.
    pub s3_endpoint: Option<String>,
    /// The S3 region (`garage` for Garage).
    pub s3_region: String,
    /// Path-style addressing (`endpoint/bucket/key`), which Garage and most self-hosted stores need.
    pub s3_path_style: bool,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<SecretString>,
    /// Address for Prometheus' `/metrics` (e.g. `127.0.0.1:9464`); unset, no metrics are served.
    /// Never the public listener, so that metrics are not public unless a proxy makes them so.
    pub metrics_listen: Option<SocketAddr>,
    /// This node's name in logs and in the verification queue (which node holds a job); unset,
    /// the host name.
    pub node_name: Option<String>,
    /// How long a verification worker holds a job before another node may take it over, in seconds.
    pub verification_lease_seconds: u64,
    /// The PIN key file; unset, `pin.key` in `data_dir`. Every node of an installation needs the same.
    pub pin_key_file: Option<PathBuf>,
    /// The secrets key file (seals admins' TOTP secrets); unset, `secrets.key` in `data_dir`.
    /// Every node of an installation needs the same.
    pub secrets_key_file: Option<PathBuf>,
    /// The audit witness's file (signed audit heads, appended); unset, `audit-heads.log` in `data_dir`.
    pub audit_heads_file: Option<PathBuf>,
    /// The address people reach clockface at, e.g. `https://clock.acme.example`, for the links in
    /// invitations; unset, the address the admin's request came to.
    pub public_url: Option<String>,
    /// The SMTP server that sends invitation e-mails: `smtp://host:25`,
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or `smtps://user:password@host:465`.
    /// Unset, no e-mail is sent: the admin copies the invitation link.
    pub smtp_url: Option<SecretString>,
    /// The sender of those e-mails, e.g. `clockface <clock@acme.example>`.
    pub mail_from: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("clockface-data"),
            database_url: None,
            photo_max_bytes: 10 * 1024 * 1024,
            photo_max_pixels: 40_000_000,
            session_hours: 12,
            verification_workers: 1,
            trust_forwarded_for: false,
            log: None,
            log_format: LogFormat::Text,
            photo_store: "local".to_owned(),
            s3_endpoint: None,
            s3_region: "us-east-1".to_owned(),
            s3_path_style: true,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            metrics_listen: None,
            node_name: None,
            verification_lease_seconds: 60,
            pin_key_file: None,
            secrets_key_file: None,
            audit_heads_file: None,
            public_url: None,
            smtp_url: None,
            mail_from: None,
        }
    }
}

/// The keys the environment may set, as `CLOCKFACE_<KEY>` (other `CLOCKFACE_*` variables are not ours).
const ENV_KEYS: [&str; 25] = [
    "listen",
    "data_dir",
    "database_url",
    "photo_max_bytes",
    "photo_max_pixels",
    "session_hours",
    "verification_workers",
    "trust_forwarded_for",
    "log",
    "log_format",
    "photo_store",
    "s3_endpoint",
    "s3_region",
    "s3_path_style",
    "s3_access_key_id",
    "s3_secret_access_key",
    "metrics_listen",
    "node_name",
    "verification_lease_seconds",
    "pin_key_file",
    "secrets_key_file",
    "audit_heads_file",
    "public_url",
    "smtp_url",
    "mail_from",
];

/// Flags given on the command line; each overrides the file and the environment.
#[derive(Debug, Default, Clone, Serialize, clap::Args)]
pub struct Overrides {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Folder for the database, photos and keys [default: ./clockface-data]
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data folder]
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    /// Reads the file (if given), the environment and the flags, in that order of strength.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment.merge(Env::prefixed("CLOCKFACE_").only(&ENV_KEYS)).merge(Serialized::defaults(overrides)).extract().map_err(Box::new)
    }

    /// The database URL in use.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("clockface.db").display()),
        }
    }

    /// The PIN key file in use.
    pub fn pin_key_path(&self) -> PathBuf {
        self.pin_key_file.clone().unwrap_or_else(|| self.data_dir.join(crate::keys::PIN_KEY))
    }

    /// The secrets key file in use.
    pub fn secrets_key_path(&self) -> PathBuf {
        self.secrets_key_file.clone().unwrap_or_else(|| self.data_dir.join(crate::keys::SECRETS_KEY))
    }

    /// The audit witness's file in use.
    pub fn audit_heads_path(&self) -> PathBuf {
        self.audit_heads_file.clone().unwrap_or_else(|| self.data_dir.join(clockface_app::witness::FILE_NAME))
    }

    /// Every key file, with its name in a backup: `pin.key` and `secrets.key`.
    pub fn key_paths(&self) -> [(&'static str, PathBuf); 2] {
        [(crate::keys::PIN_KEY, self.pin_key_path()), (crate::keys::SECRETS_KEY, self.secrets_key_path())]
    }

    /// Where invitation e-mails go out, when an SMTP server is configured; `mail_from` is needed with it.
    pub fn mail_settings(&self) -> anyhow::Result<Option<clockface_app::mail::MailSettings>> {
        let Some(url) = self.smtp_url.as_ref().filter(|u| !u.expose_secret().trim().is_empty()) else {
            return Ok(None);
        };
        let Some(from) = self.mail_from.as_deref().map(str::trim).filter(|f| !f.is_empty()) else {
            anyhow::bail!(
                "smtp_url is set but mail_from is not: give the sender of invitation e-mails, e.g. `clockface <clock@acme.example>`"
            );
        };
        Ok(Some(clockface_app::mail::MailSettings { smtp_url: url.clone(), from: from.to_owned() }))
    }

    /// This node's name: the configured one, else the host name, else `clockface`.
    pub fn node_name(&self) -> String {
        if let Some(name) = self.node_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            return name.to_owned();
        }
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "clockface".to_owned())
    }

    /// Where photos go, as configured; a sentence when the setting cannot be used.
    pub fn photo_store(&self) -> Result<PhotoStore, String> {
        let setting = self.photo_store.trim();
        if setting.is_empty() || setting == "local" {
            return Ok(PhotoStore::Local(self.data_dir.join("photos")));
        }
        let Some(bucket) = setting.strip_prefix("s3://") else {
            return Err(format!("photo_store = \"{setting}\" is not `local` or `s3://BUCKET`"));
        };
        let bucket = bucket.trim_end_matches('/');
        if bucket.is_empty() || bucket.contains('/') {
            return Err(format!("photo_store = \"{setting}\" names no bucket; write `s3://BUCKET`"));
        }
        let (Some(access_key_id), Some(secret_access_key)) = (self.s3_access_key_id.clone(), self.s3_secret_access_key.clone()) else {
            return Err(format!(
                "photo_store = \"{setting}\" needs s3_access_key_id and s3_secret_access_key (or CLOCKFACE_S3_ACCESS_KEY_ID and CLOCKFACE_S3_SECRET_ACCESS_KEY)"
            ));
        };
        Ok(PhotoStore::S3(clockface_store::blobs::S3Settings {
            bucket: bucket.to_owned(),
            endpoint: self.s3_endpoint.clone(),
            region: self.s3_region.clone(),
            path_style: self.s3_path_style,
            access_key_id,
            secret_access_key,
        }))
    }

    /// The database URL with any password hidden, for logs.
    pub fn database_url_for_logs(&self) -> String {
        let url = self.database_url();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url,
            },
            _ => url,
        }
    }
}

/// Where photos go.
#[derive(Debug)]
pub enum PhotoStore {
    /// A folder on this machine.
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3(clockface_store::blobs::S3Settings),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_file() {
        let config = Config::load(None, &Overrides::default()).expect("defaults load");
        assert_eq!(config.listen.port(), 8080);
        assert!(config.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn a_file_is_overridden_by_flags() {
        let folder = tempfile::tempdir().expect("temp folder");
        let file = folder.path().join("clockface.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nsession_hours = 2\n").expect("write config");
        let from_file = Config::load(Some(&file), &Overrides::default()).expect("file loads");
        assert_eq!((from_file.listen.port(), from_file.session_hours), (9000, 2));
        let flags = Overrides { listen: Some("127.0.0.1:9100".parse().expect("addr")), ..Overrides::default() };
        assert_eq!(Config::load(Some(&file), &flags).expect("loads").listen.port(), 9100);
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let folder = tempfile::tempdir().expect("temp folder");
        let file = folder.path().join("clockface.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").expect("write config");
        assert!(Config::load(Some(&file), &Overrides::default()).is_err());
    }

    #[test]
    fn photos_go_to_a_local_folder_unless_a_bucket_is_named() {
        let config = Config::load(None, &Overrides::default()).expect("defaults load");
        assert!(matches!(config.photo_store(), Ok(PhotoStore::Local(folder)) if folder.ends_with("photos")));
        let folder = tempfile::tempdir().expect("temp folder");
        let file = folder.path().join("clockface.toml");
        std::fs::write(
            &file,
            "photo_store = \"s3://clockface-photos\"\ns3_endpoint = \"http://127.0.0.1:3900\"\ns3_region = \"garage\"\n\
             s3_access_key_id = \"GK1\"\ns3_secret_access_key = \"very-secret\"\n",
        )
        .expect("write config");
        let config = Config::load(Some(&file), &Overrides::default()).expect("loads");
        let Ok(PhotoStore::S3(s3)) = config.photo_store() else { panic!("an S3 photo store") };
        assert_eq!((s3.bucket.as_str(), s3.region.as_str(), s3.path_style), ("clockface-photos", "garage", true));
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:3900"));
        assert!(!format!("{config:?} {s3:?}").contains("very-secret"), "the secret key never prints");
    }

    #[test]
    fn an_unusable_photo_store_is_said_in_a_sentence() {
        for (setting, says) in [("ftp://x", "is not `local`"), ("s3://", "names no bucket"), ("s3://b", "needs s3_access_key_id")] {
            let config = Config { photo_store: setting.into(), ..Config::default() };
            let error = config.photo_store().expect_err(setting);
            assert!(error.contains(says), "{setting}: {error}");
        }
    }

    #[test]
    fn passwords_in_the_database_url_never_print() {
        let flags = Overrides { database_url: Some("postgres://app:s3cret@db:5432/clockface".into()), ..Overrides::default() };
        let config = Config::load(None, &flags).expect("loads");
        assert_eq!(config.database_url_for_logs(), "postgres://app:***@db:5432/clockface");
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
