//! `clockface`: serve the time clock, create a company's first admin, or run the demo.

use anyhow::Context;
use clap::{Parser, Subcommand};
use clockface::config::{Config, Overrides};
use std::path::PathBuf;

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
    Demo(#[command(flatten)] Overrides),
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
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let overrides = match &cli.command {
        Command::Serve(overrides) | Command::Demo(overrides) | Command::Admin(AdminCommand::Create { overrides, .. }) => overrides.clone(),
    };
    let mut config = Config::load(cli.config.as_deref(), &overrides).context("invalid configuration")?;
    if matches!(cli.command, Command::Demo(_)) && overrides.data_dir.is_none() {
        config.data_dir = PathBuf::from("clockface-demo-data");
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")))
        .init();
    match cli.command {
        Command::Serve(_) => {
            let state = clockface::server::build_state(&config).await?;
            let running = clockface::server::start(config.listen, state).await?;
            tracing::info!(addr = %running.addr, database = %config.database_url_for_logs(), "clockface is serving");
            println!("clockface is serving on http://{}", running.addr);
            running.wait().await
        }
        Command::Admin(AdminCommand::Create { company, email, password, time_zone, .. }) => {
            let state = clockface::server::build_state(&config).await?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(clockface::generate_password);
            let created = clockface::create_company(state.store.as_ref(), &company, &time_zone, &email, &password).await?;
            println!("Created company \"{}\" ({}) with admin {email}", created.name.as_str(), created.id);
            if generated {
                println!("Password: {password}");
            }
            Ok(())
        }
        Command::Demo(_) => clockface::demo::run(&config).await,
    }
}
