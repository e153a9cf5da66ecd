//! Logging setup: human-readable by default, JSON for log collectors.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Logs go to stderr so that commands like `quire schema` keep stdout clean.
/// `QUIRE_LOG` (or `RUST_LOG`) sets the filter; the default is `info`, without the
/// per-field GraphQL spans (`QUIRE_LOG=info,async_graphql=info` turns them on): made for
/// every field of every answer, they would cost more than the answer itself.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("QUIRE_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,async_graphql=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second call (tests start many servers in one process) keeps the first setup.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
