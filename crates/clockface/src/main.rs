//! `clockface`: serve the time clock, create a company's first admin, run the demo, or back up
//! and restore a single-node install.

use anyhow::Context;
use clap::{Parser, Subcommand};
use clockface::config::{Config, LogFormat, Overrides};
use std::path::PathBuf;

/// Where the demo keeps its data unless told otherwise.
const DEMO_DATA_DIR: &str = "clockface-demo-data";

#[derive(Parser)]
#[command(name = "clockface", version, about = "A self-hosted time clock for field crews, with FaceFront photos checked on the server.")]
struct Cli {
    /// A TOML configuration file (see the README's configuration table).
    #[arg(long, global = true, env = "CLOCKFACE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(#[command(flatten)] Overrides),
    /// Manage admins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run the server on a demo company (roles, employees, a device, a week of punches with
    /// photos) and print the admin login.
    #[command(mut_arg("data_dir", |arg| arg.help(format!("Folder for the demo's database, photos and keys [default: ./{DEMO_DATA_DIR}]"))))]
    Demo(#[command(flatten)] Overrides),
    /// Run the face engine on image files and print JSON.
    #[command(subcommand)]
    Face(FaceCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy a running single-node install (SQLite database, photos, keys) into the new folder
    /// DEST, consistently, without stopping it.
    Backup {
        #[command(flatten)]
        overrides: Overrides,
        /// A new or empty folder for the copy.
        dest: PathBuf,
        /// A new or empty folder for the keys (pin.key, secrets.key), apart from DEST: a copy of the
        /// data with its keys opens every face template in it.
        #[arg(long, value_name = "DIR")]
        keys_to: Option<PathBuf>,
        /// Put the keys in DEST with the data after all.
        #[arg(long)]
        keys_with_data: bool,
    },
    /// Put a backup made by `clockface backup` back into an empty data folder (stop the server first).
    Restore {
        #[command(flatten)]
        overrides: Overrides,
        /// The folder `clockface backup` made.
        src: PathBuf,
        /// The folder the backup's keys were written to (`--keys-to`); unset, SRC.
        #[arg(long, value_name = "DIR")]
        keys_from: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum FaceCommand {
    /// Are A and B the same person? Prints the score, the verdict at the shipped threshold, and
    /// per image the faces found and the rotation applied.
    Compare { a: PathBuf, b: PathBuf },
    /// The faces in IMAGE, with boxes, landmarks and quality.
    Detect { image: PathBuf },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every company's audit log chain, and that it reaches every head the witness signed
    /// outside the database: exits 0 when it is whole, 1 (naming each company and entry) when an
    /// entry was edited, deleted or cut off in the database, or a signed head does not verify.
    Verify {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Print the public key (P-256, SEC1 hex) that checks the witness's signed heads.
    PublicKey {
        #[command(flatten)]
        overrides: Overrides,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a company and its first admin; prints the password when none is given.
    Create {
        #[command(flatten)]
        overrides: Overrides,
        /// The company's name.
        #[arg(long)]
        company: String,
        /// The admin's e-mail address (their login).
        #[arg(long)]
        email: String,
        /// The admin's password (at least 10 characters); a random one is made and printed when left out.
        #[arg(long, env = "CLOCKFACE_ADMIN_PASSWORD")]
        password: Option<String>,
        /// The company's IANA time zone; time cards are computed in it.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// New PINs have at least this many digits (4 to 8); admins change it later on Manage → Devices.
        #[arg(long, default_value_t = clockface::DEFAULT_MIN_PIN_DIGITS)]
        min_pin_digits: u8,
    },
}

#[tokio::main]
async fn main() {
    // A failure is said in one plain paragraph (what went wrong and what to do), never a backtrace.
    if let Err(error) = run(Cli::parse()).await {
        eprintln!("clockface: {error:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = match &cli.command {
        Command::Serve(overrides)
        | Command::Demo(overrides)
        | Command::Admin(AdminCommand::Create { overrides, .. })
        | Command::Backup { overrides, .. }
        | Command::Restore { overrides, .. }
        | Command::Audit(AuditCommand::Verify { overrides } | AuditCommand::PublicKey { overrides }) => overrides.clone(),
        Command::Face(_) => Overrides::default(),
    };
    let mut config = Config::load(cli.config.as_deref(), &overrides).context("invalid configuration")?;
    let demo = matches!(cli.command, Command::Demo(_));
    if demo && overrides.data_dir.is_none() {
        config.data_dir = PathBuf::from(DEMO_DATA_DIR);
    }
    let log = config.log.as_deref().unwrap_or(if demo { "warn" } else { "info" });
    // Logs go to standard error, so that standard output keeps what the command itself says.
    let filter = tracing_subscriber::EnvFilter::try_new(log).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match config.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(true).with_span_list(false).init(),
    }
    match cli.command {
        Command::Serve(_) => {
            let state = clockface::server::build_state(&config).await?;
            let photos = state.blobs.describe();
            let running = clockface::server::start_with_metrics(config.listen, config.metrics_listen, state).await?;
            tracing::info!(
                addr = %running.addr,
                node = %config.node_name(),
                database = %config.database_url_for_logs(),
                photos = %photos,
                metrics = ?running.metrics_addr,
                "clockface is serving"
            );
            println!("clockface is serving on http://{}", running.addr);
            if let Some(metrics) = running.metrics_addr {
                println!("metrics on http://{metrics}/metrics");
            }
            running.wait().await
        }
        Command::Backup { dest, keys_to, keys_with_data, .. } => {
            let keys = clockface::backup::keys_to(keys_to, keys_with_data)?;
            let report = clockface::backup::backup(&config, &dest, &keys).await?;
            println!(
                "Backed up to {}: the database and {} photos ({} bytes); the keys (pin.key, secrets.key) to {}.",
                report.dest.display(),
                report.photos,
                report.photo_bytes,
                report.keys.display()
            );
            if report.keys == report.dest {
                println!("The keys are in the backup's folder (--keys-with-data): keep it as secret as the server.");
            } else {
                println!("Keep the keys apart from the backup: a restore needs both (clockface restore DEST --keys-from KEYS).");
            }
            Ok(())
        }
        Command::Restore { src, keys_from, .. } => {
            let report = clockface::backup::restore(&config, &src, keys_from.as_deref()).await?;
            println!(
                "Restored {} into {}: the database, {} photos and the keys. Start the server with this data folder.",
                src.display(),
                report.dest.display(),
                report.photos
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Create { company, email, password, time_zone, min_pin_digits, .. }) => {
            let state = clockface::server::build_state(&config).await?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(clockface::generate_password);
            let created =
                clockface::create_company_with(state.store.as_ref(), &company, &time_zone, &email, &password, min_pin_digits).await?;
            println!("Created company \"{}\" ({}) with admin {email}", created.name.as_str(), created.id);
            if generated {
                println!("Password: {password}");
            }
            Ok(())
        }
        Command::Demo(_) => clockface::demo::run(&config).await,
        Command::Face(command) => face(&command),
        Command::Audit(AuditCommand::Verify { .. }) => audit_verify(&config).await,
        Command::Audit(AuditCommand::PublicKey { .. }) => {
            let key = audit_key(&config)?;
            println!("{}", key.public_hex());
            Ok(())
        }
    }
}

/// The key that signs the audit witness's heads, from the installation's secrets key.
fn audit_key(config: &Config) -> anyhow::Result<clockface_app::witness::HeadKey> {
    let secrets = clockface::keys::read_existing(&config.secrets_key_path(), clockface::keys::SECRETS_KEY)?;
    clockface_app::witness::HeadKey::derive(&secrets.into()).context("cannot derive the audit key from the secrets key")
}

/// `clockface audit verify`: the chain in the database, and the chain against the heads the
/// witness signed (the file in the data folder and, with photos in S3, the bucket). Exits 1,
/// naming each problem, when anything does not hold.
async fn audit_verify(config: &Config) -> anyhow::Result<()> {
    // A check changes nothing: a database an upgrade has not reached yet is not migrated here.
    let url = config.database_url();
    let found = clockface_store::inspect::inspect(&url)
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url_for_logs()))?;
    let pending: Vec<i64> =
        clockface_store::inspect::known_migrations(&url)?.iter().map(|m| m.version).filter(|v| !found.has(*v)).collect();
    if !pending.is_empty() {
        anyhow::bail!(
            "the database is from an earlier release (migrations {pending:?} not applied yet): start this release's server once \
             to upgrade it, then verify. Nothing was changed."
        );
    }
    let store =
        clockface_store::connect(&url).await.with_context(|| format!("cannot open the database {}", config.database_url_for_logs()))?;
    let key = audit_key(config)?;
    let file = config.audit_heads_path();
    let mut witnesses =
        vec![clockface_app::witness::read_file(&file).with_context(|| format!("cannot read the audit witness {}", file.display()))?];
    let blobs = clockface::server::photo_store(config).await?;
    if blobs.is_object_store() {
        witnesses.push(clockface_app::witness::read_bucket(&blobs).await.context("cannot read the audit heads in the object store")?);
    }
    let (problems, witnessed) = clockface_app::witness::verify(store.as_ref(), &key, &witnesses).await?;
    if problems.is_empty() {
        println!("The audit log is whole: every entry is in its company's chain, unchanged.");
        if witnessed == 0 {
            println!("No signed head was found in {} yet, so a cut-off tail with its head rewound could not be checked.", file.display());
        } else {
            println!("It reaches every head the witness signed ({witnessed} compan{}).", if witnessed == 1 { "y" } else { "ies" });
        }
        return Ok(());
    }
    for problem in &problems {
        println!("{problem}");
    }
    println!("The audit log was changed outside clockface: {} problem(s).", problems.len());
    std::process::exit(1);
}

/// `clockface face ...`: JSON on standard output; a clear error (and exit code 2) for a file that
/// cannot be read or is not an image.
fn face(command: &FaceCommand) -> anyhow::Result<()> {
    let read = |path: &PathBuf| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    let engine = clockface_web::verification::engine().context("cannot load the face models")?;
    let report = match command {
        FaceCommand::Compare { a, b } => {
            let (bytes_a, bytes_b) = (read(a)?, read(b)?);
            clockface_face::cli::compare(&engine, (&a.display().to_string(), &bytes_a), (&b.display().to_string(), &bytes_b))
                .map(|report| serde_json::to_string_pretty(&report))
        }
        FaceCommand::Detect { image } => {
            let bytes = read(image)?;
            clockface_face::cli::detect(&engine, &image.display().to_string(), &bytes).map(|report| serde_json::to_string_pretty(&report))
        }
    };
    match report {
        Ok(json) => {
            println!("{}", json?);
            Ok(())
        }
        Err(error) if error.is_bad_input() => {
            eprintln!("{}", serde_json::json!({"error": {"code": error.code(), "message": error.to_string()}}));
            std::process::exit(2);
        }
        Err(error) => Err(error.into()),
    }
}
