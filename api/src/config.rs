//! Settings for `quire serve`. Every flag has a `QUIRE_*` environment twin, and the defaults
//! run Quire on a fresh machine with no setting at all.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` or `postgres://…`. Default: SQLite `quire.db` in the data dir.
    #[arg(long, env = "QUIRE_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory for Quire's own files (the default SQLite database).
    #[arg(long, env = "QUIRE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

impl DatabaseArgs {
    /// The URL to connect to: the one given, or the default SQLite file in the data dir.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("quire.db").display()
            ),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "QUIRE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Origins allowed to call the API from a browser (comma-separated); `*` allows any.
    #[arg(
        long,
        env = "QUIRE_CORS_ORIGINS",
        default_value = "*",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Deepest nesting a GraphQL query may have.
    #[arg(long, env = "QUIRE_MAX_QUERY_DEPTH", default_value_t = 16)]
    pub max_query_depth: usize,

    /// Highest complexity (fields, weighted by list sizes) a GraphQL query may have.
    #[arg(long, env = "QUIRE_MAX_QUERY_COMPLEXITY", default_value_t = 5000)]
    pub max_query_complexity: usize,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "QUIRE_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Most database connections in the pool.
    #[arg(long, env = "QUIRE_DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,
}

impl ServeConfig {
    /// Settings for a server on `addr` with every other setting at its default.
    pub fn new(addr: SocketAddr, database: DatabaseArgs) -> Self {
        ServeConfig {
            addr,
            database,
            cors_origins: vec!["*".to_string()],
            max_query_depth: 16,
            max_query_complexity: 5000,
            max_body_bytes: 1024 * 1024,
            database_max_connections: 16,
        }
    }
}
