//! Settings for `quire serve`. Every flag has a `QUIRE_*` environment twin, and the defaults
//! run Quire on a fresh machine with no setting at all.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::Args;
use ipnet::IpNet;

pub use quire_core::config::{DEFAULT_IMAGE_WIDTHS, FeedConfig, MediaConfig, NewsletterConfig};

/// The default `--max-query-cost`: the example site's heaviest query (the home page) costs
/// a few hundred, and a full page of 100 items with a dozen fields each about 1,300.
pub const DEFAULT_MAX_QUERY_COST: u64 = 5000;
/// The default `--max-query-depth`.
pub const DEFAULT_MAX_QUERY_DEPTH: u64 = 16;
/// The default `--max-cost-in-flight`: two operations at the default cost limit.
pub const DEFAULT_MAX_COST_IN_FLIGHT: u64 = 2 * DEFAULT_MAX_QUERY_COST;
/// The default `--max-aliases`.
pub const DEFAULT_MAX_ALIASES: u64 = 30;

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` or `postgres://…`. Default: SQLite `quire.db` in the data dir.
    #[arg(long, env = "QUIRE_DATABASE_URL", hide_env_values = true)]
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
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("quire.db").display()),
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
    #[arg(long, env = "QUIRE_CORS_ORIGINS", default_value = "*", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Deepest nesting a GraphQL query may have.
    #[arg(long, env = "QUIRE_MAX_QUERY_DEPTH", default_value_t = DEFAULT_MAX_QUERY_DEPTH)]
    pub max_query_depth: u64,

    /// Highest cost a GraphQL operation may have: every field counts one after fragments
    /// are expanded, and a list's fields count once per item it may return.
    #[arg(
        long,
        env = "QUIRE_MAX_QUERY_COST",
        alias = "max-query-complexity",
        default_value_t = DEFAULT_MAX_QUERY_COST
    )]
    pub max_query_cost: u64,

    /// Most aliased fields in one GraphQL operation, `__typename` included.
    #[arg(long, env = "QUIRE_MAX_ALIASES", default_value_t = DEFAULT_MAX_ALIASES)]
    pub max_aliases: u64,

    /// The cost of heavy operations (above 1,000 each) that may run at once; more wait
    /// their turn. Light operations never wait.
    #[arg(long, env = "QUIRE_MAX_COST_IN_FLIGHT", default_value_t = DEFAULT_MAX_COST_IN_FLIGHT)]
    pub max_cost_in_flight: u64,

    /// Queries that may run at once; more wait their turn before they start. 0, the
    /// default, allows four per database connection. Mutations never wait for this.
    #[arg(long, env = "QUIRE_MAX_QUERIES_RUNNING", default_value_t = 0)]
    pub max_queries_running: usize,

    /// Of those, how many one client address may run at once; its others wait behind each
    /// other. 0, the default, allows half.
    #[arg(long, env = "QUIRE_MAX_QUERIES_RUNNING_PER_CLIENT", default_value_t = 0)]
    pub max_queries_running_per_client: usize,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "QUIRE_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// A read replica of the PostgreSQL database (`postgres://…`) for the public's reads;
    /// writes and editors' reads stay on `--database-url`.
    #[arg(long, env = "QUIRE_DATABASE_READ_URL", hide_env_values = true)]
    pub database_read_url: Option<String>,

    /// Reverse proxies in front of Quire (comma-separated addresses or ranges, such as
    /// `127.0.0.1,10.0.0.0/8`). A request from one of them is taken to come from the last
    /// address in `X-Forwarded-For` that is not itself a trusted proxy: that is the
    /// address the per-address limits (sign-in, newsletter) count, an IPv6 address by its
    /// /64. Without this setting `X-Forwarded-For` is ignored, as anyone can send it.
    #[arg(long, env = "QUIRE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Most database connections in the pool: by default 4 on SQLite (one writer at a time,
    /// and each connection is a thread of its own); on PostgreSQL twice the machine's
    /// cores, at least 4, and one more that listens for other processes' writes.
    #[arg(long, env = "QUIRE_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,

    /// On a SQLite file, run short reads of content (lists, lookups) on the request's own
    /// thread, on read-only connections of their own, instead of handing each row across
    /// from the pool's connection threads. A read longer than 2 ms goes to the pool.
    /// `false` sends every read through the pool.
    #[arg(
        long,
        env = "QUIRE_SQLITE_DIRECT_READS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub sqlite_direct_reads: bool,

    /// On PostgreSQL, read content on a few connections (at most a quarter of the pool)
    /// kept out of the pool between reads, so that each read is not followed by the pool's
    /// test of its connection, a second round trip. `false` reads everything through the
    /// pool.
    #[arg(
        long,
        env = "QUIRE_POSTGRES_KEPT_CONNECTIONS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub postgres_kept_connections: bool,

    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish, in seconds;
    /// then Quire stops anyway (download counts are saved either way).
    #[arg(long, env = "QUIRE_SHUTDOWN_GRACE_SECONDS", default_value_t = 10)]
    pub shutdown_grace_seconds: u64,

    /// How long a request may take, in seconds, before it is answered `408`. An upload also
    /// gets the time its files take to arrive, up to ten minutes in all.
    #[arg(long, env = "QUIRE_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,

    /// Serve GraphiQL at `/graphql` to browsers that ask for HTML. GraphiQL's scripts and
    /// styles load from a public CDN; `--graphiql false` turns it off. The variable takes
    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
    #[arg(
        long,
        env = "QUIRE_GRAPHIQL",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub graphiql: bool,

    #[command(flatten)]
    pub workflow: WorkflowConfig,

    #[command(flatten)]
    pub media: MediaConfig,

    #[command(flatten)]
    pub caching: CachingConfig,

    #[command(flatten)]
    pub newsletter: NewsletterConfig,

    #[command(flatten)]
    pub feeds: FeedConfig,

    #[command(flatten)]
    pub websocket: WebSocketConfig,
}

/// HTTP caching of public answers, the response cache and persisted queries.
#[derive(Debug, Clone, Args)]
pub struct CachingConfig {
    /// `Cache-Control` of public answers to `GET /graphql` (such as
    /// `public, max-age=60, stale-while-revalidate=600` behind a CDN). Answers to signed-in
    /// callers are always `private, no-store`.
    #[arg(
        long,
        env = "QUIRE_PUBLIC_CACHE_CONTROL",
        default_value = "public, max-age=0, must-revalidate"
    )]
    pub public_cache_control: String,

    /// Memory for the public response cache, in MiB; 0 turns it off.
    #[arg(long, env = "QUIRE_RESPONSE_CACHE_MB", default_value_t = 32)]
    pub response_cache_mb: u64,

    /// Memory for automatic persisted queries, in MiB; the least used are forgotten first.
    #[arg(long, env = "QUIRE_PERSISTED_QUERIES_MB", default_value_t = 4)]
    pub persisted_queries_mb: u64,

    /// Memory for parsed and validated queries, in MiB; 0 turns it off. Every caller's
    /// queries use it, signed in or not: it holds no answers.
    #[arg(long, env = "QUIRE_QUERY_CACHE_MB", default_value_t = 8)]
    pub query_cache_mb: u64,
}

impl Default for CachingConfig {
    fn default() -> Self {
        CachingConfig {
            public_cache_control: "public, max-age=0, must-revalidate".to_string(),
            response_cache_mb: 32,
            persisted_queries_mb: 4,
            query_cache_mb: 8,
        }
    }
}

/// Sign-in, scheduling and webhook settings.
#[derive(Debug, Clone, Args)]
pub struct WorkflowConfig {
    /// How long a sign-in session lasts, in hours.
    #[arg(long, env = "QUIRE_SESSION_TTL_HOURS", default_value_t = 12)]
    pub session_ttl_hours: i64,

    /// Sign-in attempts allowed per minute at one email address from one client address
    /// (an IPv6 client counts by its /64). Attempts from elsewhere are not held back by
    /// them, so failing on purpose cannot lock the owner out.
    #[arg(long, env = "QUIRE_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 5)]
    pub login_attempts_per_minute: u32,

    /// Sign-in attempts allowed per minute from one client address, at any accounts.
    #[arg(long, env = "QUIRE_LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE", default_value_t = 30)]
    pub login_attempts_per_address_per_minute: u32,

    /// Sign-in attempts per minute at one email address from all client addresses
    /// together; past it each attempt is held back (up to 2 seconds), never refused.
    #[arg(long, env = "QUIRE_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE", default_value_t = 60)]
    pub login_attempts_per_account_per_minute: u32,

    /// How often the scheduler looks for due publications, in milliseconds.
    #[arg(long, env = "QUIRE_SCHEDULER_INTERVAL_MS", default_value_t = 1000)]
    pub scheduler_interval_ms: u64,

    /// The wait before a failed webhook delivery is retried, in milliseconds; it doubles
    /// with each attempt.
    #[arg(long, env = "QUIRE_WEBHOOK_RETRY_BASE_MS", default_value_t = 2000)]
    pub webhook_retry_base_ms: u64,

    /// Attempts before a webhook delivery is given up.
    #[arg(long, env = "QUIRE_WEBHOOK_MAX_ATTEMPTS", default_value_t = 10)]
    pub webhook_max_attempts: i32,

    /// How often the webhook sender looks for due deliveries when idle, in milliseconds.
    #[arg(long, env = "QUIRE_WEBHOOK_POLL_INTERVAL_MS", default_value_t = 500)]
    pub webhook_poll_interval_ms: u64,

    /// How long one webhook request may take, in milliseconds.
    #[arg(long, env = "QUIRE_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,

    /// Let webhooks post to loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
    /// link-local (169.254/16, fe80::/10) and shared (100.64/10) addresses, such as a
    /// receiver on the same machine or network. Off by default: a webhook could otherwise
    /// reach services that are not meant to be reachable from outside. The variable
    /// takes `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
    #[arg(
        long,
        env = "QUIRE_WEBHOOK_ALLOW_PRIVATE_TARGETS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub webhook_allow_private_targets: bool,
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        WorkflowConfig {
            session_ttl_hours: 12,
            login_attempts_per_minute: 5,
            login_attempts_per_address_per_minute: 30,
            login_attempts_per_account_per_minute: 60,
            scheduler_interval_ms: 1000,
            webhook_retry_base_ms: 2000,
            webhook_max_attempts: 10,
            webhook_poll_interval_ms: 500,
            webhook_timeout_ms: 10_000,
            webhook_allow_private_targets: false,
        }
    }
}

/// Limits on subscriptions over WebSocket (`/graphql/ws`).
#[derive(Debug, Clone, Args)]
pub struct WebSocketConfig {
    /// Largest message a client may send over a WebSocket, in bytes; a message sent in
    /// fragments counts as a whole, and no single frame may be larger either.
    #[arg(long, env = "QUIRE_WS_MAX_MESSAGE_BYTES", default_value_t = 64 * 1024)]
    pub ws_max_message_bytes: usize,

    /// Subscriptions one WebSocket connection may hold at a time.
    #[arg(long, env = "QUIRE_WS_MAX_SUBSCRIPTIONS", default_value_t = 16)]
    pub ws_max_subscriptions: usize,

    /// WebSocket connections one client address may hold open at a time.
    #[arg(long, env = "QUIRE_WS_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 32)]
    pub ws_max_connections_per_address: usize,

    /// How long a new WebSocket may take to send `connection_init`, in milliseconds.
    #[arg(long, env = "QUIRE_WS_INIT_TIMEOUT_MS", default_value_t = 10_000)]
    pub ws_init_timeout_ms: u64,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            ws_max_message_bytes: 64 * 1024,
            ws_max_subscriptions: 16,
            ws_max_connections_per_address: 32,
            ws_init_timeout_ms: 10_000,
        }
    }
}

impl ServeConfig {
    /// The pool size: the one given, or the default for the database.
    pub fn pool_size(&self) -> u32 {
        let sqlite = self.database.url().starts_with("sqlite:");
        let default = if sqlite { 4 } else { default_postgres_pool() };
        self.database_max_connections.unwrap_or(default).max(1)
    }

    /// How many queries may run at once: the one given, or four per database connection.
    pub fn queries_running(&self) -> usize {
        match self.max_queries_running {
            0 => usize::try_from(self.pool_size()).unwrap_or(usize::MAX).saturating_mul(4),
            most => most,
        }
    }

    /// How many queries one client address may run at once: the one given, or half of
    /// [`Self::queries_running`].
    pub fn queries_running_per_client(&self) -> usize {
        match self.max_queries_running_per_client {
            0 => self.queries_running().div_ceil(2),
            most => most,
        }
    }

    /// Settings for a server on `addr` with every other setting at its default.
    pub fn new(addr: SocketAddr, database: DatabaseArgs) -> Self {
        ServeConfig {
            addr,
            database,
            cors_origins: vec!["*".to_string()],
            max_query_depth: DEFAULT_MAX_QUERY_DEPTH,
            max_query_cost: DEFAULT_MAX_QUERY_COST,
            max_aliases: DEFAULT_MAX_ALIASES,
            max_cost_in_flight: DEFAULT_MAX_COST_IN_FLIGHT,
            max_queries_running: 0,
            max_queries_running_per_client: 0,
            max_body_bytes: 1024 * 1024,
            database_read_url: None,
            trusted_proxies: Vec::new(),
            database_max_connections: None,
            sqlite_direct_reads: true,
            postgres_kept_connections: true,
            shutdown_grace_seconds: 10,
            request_timeout_seconds: 30,
            graphiql: true,
            workflow: WorkflowConfig::default(),
            media: MediaConfig::default(),
            caching: CachingConfig::default(),
            newsletter: NewsletterConfig::default(),
            feeds: FeedConfig::default(),
            websocket: WebSocketConfig::default(),
        }
    }
}

/// Twice the machine's cores, at least 4, for statements, and one more that listens for
/// other processes' writes all the time. More connections than the cores can serve only
/// add server processes taking turns: on 2 cores a lookup ran 23% faster through 4
/// connections than through 16, the default before.
fn default_postgres_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores.saturating_mul(2)).unwrap_or(u32::MAX).max(4).saturating_add(1)
}

/// An address or a range, as `--trusted-proxies` takes them: a bare address is a range of one.
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is neither an IP address nor a range such as 10.0.0.0/8"))
}
