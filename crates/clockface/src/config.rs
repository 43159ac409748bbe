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
        }
    }
}

/// The keys the environment may set, as `CLOCKFACE_<KEY>` (other `CLOCKFACE_*` variables are not ours).
const ENV_KEYS: [&str; 9] = [
    "listen",
    "data_dir",
    "database_url",
    "photo_max_bytes",
    "photo_max_pixels",
    "session_hours",
    "verification_workers",
    "trust_forwarded_for",
    "log",
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
    fn passwords_in_the_database_url_never_print() {
        let flags = Overrides { database_url: Some("postgres://app:s3cret@db:5432/clockface".into()), ..Overrides::default() };
        let config = Config::load(None, &flags).expect("loads");
        assert_eq!(config.database_url_for_logs(), "postgres://app:***@db:5432/clockface");
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
