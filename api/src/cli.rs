//! The `quire` command line: commands, flags and their dispatch.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use quire_migration::MigratorTrait;

use crate::config::{DatabaseArgs, ServeConfig};
use crate::telemetry::LogFormat;
use crate::{app, graphql};
use quire_core::auth::{Actor, Role};
use quire_core::error::ApiError;
use quire_core::tokens::RoleName;
use quire_core::{backup, db, portability, seed, tokens, users};

fn role_name(role: Role) -> &'static str {
    role.name()
}

#[derive(Debug, Parser)]
#[command(name = "quire", version, about = "A small, fast headless CMS with a GraphQL API")]
pub struct Cli {
    /// Log line format.
    #[arg(long, env = "QUIRE_LOG_FORMAT", value_enum, default_value_t, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the API until SIGINT or SIGTERM.
    Serve {
        // Boxed: the settings outweigh every other command's arguments many times over.
        #[command(flatten)]
        config: Box<ServeConfig>,
        /// Load this example site before serving (`lls` is built in); loading is idempotent.
        #[arg(long, env = "QUIRE_SEED_EXAMPLE")]
        seed_example: Option<String>,
        /// A folder of example sites to load from instead of those built in.
        #[arg(long, env = "QUIRE_EXAMPLES_DIR")]
        examples_dir: Option<PathBuf>,
    },
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Load an example site into the database; running it twice changes nothing.
    Seed {
        /// Which example site (`lls` is built in).
        #[arg(long, env = "QUIRE_SEED_EXAMPLE", default_value = "lls")]
        example: String,
        /// A folder of example sites to load from instead of those built in.
        #[arg(long, env = "QUIRE_EXAMPLES_DIR")]
        examples_dir: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
        /// Where the example site's files go (as for `serve`). Boxed, as `serve`'s are.
        #[command(flatten)]
        media: Box<crate::config::MediaConfig>,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Copy the SQLite database to FILE, safely while Quire serves from it (PostgreSQL:
    /// use pg_dump).
    Backup {
        /// Where the copy goes; its folder is made if need be.
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Write the whole site (content with every revision, people, token hashes, webhooks,
    /// settings, menus, redirects, subscribers and every stored file) into DIR, safely while
    /// Quire serves.
    Export {
        /// A new or empty folder; see docs/portability.md for what goes in it.
        dir: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
        /// Where the site's files are read from (as for `serve`).
        #[command(flatten)]
        media: Box<crate::config::MediaConfig>,
    },
    /// Read an export (`quire export`) into an empty database, its files into storage.
    Import {
        /// The folder `quire export` wrote.
        dir: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
        /// Where the site's files go (as for `serve`).
        #[command(flatten)]
        media: Box<crate::config::MediaConfig>,
    },
    /// Bring a WordPress site in from its export file (WXR); running it twice changes
    /// nothing.
    ImportWordpress {
        /// The file WordPress exported (Tools → Export).
        file: PathBuf,
        /// A copy of the site's `wp-content/uploads` folder, where attachments are found.
        #[arg(long)]
        uploads: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
        /// Where the attachments go (as for `serve`).
        #[command(flatten)]
        media: Box<crate::config::MediaConfig>,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Revert the last migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TokenRole {
    Editor,
    Admin,
}

impl From<TokenRole> for Role {
    fn from(role: TokenRole) -> Self {
        match role {
            TokenRole::Editor => Role::Editor,
            TokenRole::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum UserRole {
    Admin,
    Editor,
    Author,
}

impl From<UserRole> for Role {
    fn from(role: UserRole) -> Self {
        match role {
            UserRole::Admin => Role::Admin,
            UserRole::Editor => Role::Editor,
            UserRole::Author => Role::Author,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it alone on the last line; only its hash is stored.
    Create {
        /// What the token may do.
        #[arg(long, env = "QUIRE_TOKEN_ROLE", value_enum)]
        role: TokenRole,
        /// What the token is for, such as "website build".
        #[arg(long, env = "QUIRE_TOKEN_NAME")]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user, such as the first admin. The password comes from
    /// `QUIRE_ADMIN_PASSWORD`, or is asked for.
    Create {
        /// They sign in with it.
        #[arg(long, env = "QUIRE_USER_EMAIL")]
        email: String,
        /// What they may do.
        #[arg(long, env = "QUIRE_USER_ROLE", value_enum)]
        role: UserRole,
        /// The name shown to others; the email when left out.
        #[arg(long, env = "QUIRE_USER_DISPLAY_NAME")]
        display_name: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("QUIRE_ADMIN_PASSWORD") {
        return Ok(password);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Serve { config, seed_example, examples_dir } => {
            let app = app::App::build(*config).await?;
            if let Some(example) = seed_example {
                seed::load_example(app.db(), app.storage(), examples_dir.as_deref(), &example)
                    .await?;
            }
            // A closed stdout (`quire serve | head -1`) must not stop the server.
            let mut stdout = std::io::stdout().lock();
            for url in app.urls() {
                let _ = writeln!(stdout, "{url}");
            }
            let _ = stdout.flush();
            drop(stdout);
            app.run_until(app::shutdown_signal()).await
        }
        Command::Migrate { action, database } => {
            let url = database.url();
            let db = db::Db::connect(&url, 2).await?;
            let lock = db::MigrationLock::acquire(&url).await?;
            let done = match action.unwrap_or(MigrateAction::Up) {
                MigrateAction::Up => quire_migration::Migrator::up(db.conn(), None).await,
                MigrateAction::Down => quire_migration::Migrator::down(db.conn(), Some(1)).await,
                MigrateAction::Status => quire_migration::Migrator::status(db.conn()).await,
            };
            lock.release().await;
            Ok(done?)
        }
        Command::Seed { example, examples_dir, database, media } => {
            let db = db::Db::connect_and_migrate(&database.url(), 2).await?;
            let storage = quire_core::media::Storage::from_config(&media, &database.data_dir)?;
            let report =
                seed::load_example(&db, &storage, examples_dir.as_deref(), &example).await?;
            println!("{report}");
            Ok(())
        }
        Command::User { action: UserCommand::Create { email, role, display_name, database } } => {
            let password = read_password()?;
            let db = db::Db::connect_and_migrate(&database.url(), 2).await?;
            let new = users::NewUser { email, password, role: role.into(), display_name };
            let user = users::create_first(&db, new).await.map_err(ApiError::into_anyhow)?;
            println!("Created {} {} ({})", role_name(user.role.into()), user.email, user.id);
            Ok(())
        }
        Command::Backup { file, force, database } => {
            let done = backup::sqlite(&database.url(), &file, force).await?;
            println!(
                "Backed up {} to {} ({} bytes; integrity check: ok)",
                done.source.display(),
                done.path.display(),
                done.bytes
            );
            Ok(())
        }
        Command::Export { dir, database, media } => {
            let db = db::Db::connect_and_migrate(&database.url(), 2).await?;
            let storage = quire_core::media::Storage::from_config(&media, &database.data_dir)?;
            let done = portability::export(&db, &storage, &dir).await?;
            db.close().await;
            let rows: u64 = done.manifest.kinds.values().sum();
            println!(
                "Exported {rows} rows and {} files to {} (format version {})",
                done.manifest.files,
                done.dir.display(),
                done.manifest.format_version
            );
            Ok(())
        }
        Command::Import { dir, database, media } => {
            let db = db::Db::connect_and_migrate(&database.url(), 2).await?;
            let storage = quire_core::media::Storage::from_config(&media, &database.data_dir)?;
            let done = portability::import(&db, &storage, &dir).await;
            db.close().await;
            let done = done?;
            let kinds: Vec<String> =
                done.kinds.iter().map(|(kind, count)| format!("{kind}: {count}")).collect();
            println!("Imported {} files and {}", done.files, kinds.join(", "));
            Ok(())
        }
        Command::ImportWordpress { file, uploads, database, media } => {
            let db = db::Db::connect_and_migrate(&database.url(), 2).await?;
            let storage = quire_core::media::Storage::from_config(&media, &database.data_dir)?;
            let report =
                portability::wordpress::import(&db, &storage, &file, uploads.as_deref()).await;
            db.close().await;
            print!("{}", report?);
            Ok(())
        }
        Command::Token { action: TokenCommand::Create { role, name, database } } => {
            let db = db::Db::connect_and_migrate(&database.url(), 2).await?;
            let created = tokens::create(&db, &Actor::System, &name, role.into())
                .await
                .map_err(ApiError::into_anyhow)
                .context("creating the token")?;
            println!("Created {} token {:?} ({})", created.token.role_name(), name, created.id());
            println!("{}", created.secret);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Settings that carry a password, a key or a token by their names.
    const SECRET: [&str; 6] =
        ["database_url", "database_read_url", "smtp", "secret", "password", "access_key"];

    fn check(command: &clap::Command, path: &str) {
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.get_env().is_some() && SECRET.iter().any(|s| id.contains(s)) {
                assert!(arg.is_hide_env_values_set(), "`{path} --help` would show {id}'s value");
            }
        }
        for sub in command.get_subcommands() {
            check(sub, &format!("{path} {}", sub.get_name()));
        }
    }

    #[test]
    fn help_never_shows_a_secret_taken_from_the_environment() {
        check(&super::Cli::command(), "quire");
    }
}
