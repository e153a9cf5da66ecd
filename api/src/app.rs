//! Building and running the server: connect, migrate, bind, serve until a shutdown signal,
//! then finish the requests in flight and close the database. Tests reuse this with port 0.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::{MediaConfig, ServeConfig, WorkflowConfig};
use crate::graphql;
use crate::graphql::SignInSettings;
use crate::http;
use crate::workers;
use quire_core::db::{self, Db};
use quire_core::live::Live;
use quire_core::media::downloads::DownloadCounter;
use quire_core::media::variants::Variants;
use quire_core::media::{Media, Storage, leftovers, signed};
use quire_core::newsletter::{self, mail::MailWorker};
use quire_core::site::settings::Defaults;
use quire_core::users::LoginLimiter;
use quire_core::webhooks::{RetryPolicy, Targets};

pub struct App {
    listener: TcpListener,
    router: Router,
    db: Db,
    workflow: WorkflowConfig,
    media: Media,
    flush_interval: Duration,
    mail: MailWorker,
    /// Committed changes as events, for subscriptions.
    live: Live,
    /// How long requests in flight may take to finish once shutdown begins.
    shutdown_grace: Duration,
}

impl App {
    pub async fn build(config: ServeConfig) -> anyhow::Result<App> {
        quire_core::tls::install_crypto_provider();
        crate::http::metrics::init();
        let url = config.database.url();
        let mut db = Db::connect_and_migrate(&url, config.pool_size()).await?;
        tracing::info!(database = %db::redact(&url), "database ready");
        if !config.sqlite_direct_reads {
            db = db.without_sqlite_reads();
        }
        if !config.postgres_kept_connections {
            db = db.without_postgres_reads();
        }
        let public_url = config.media.public_url.as_deref();
        db = db.with_site_defaults(Defaults::from_config(&config.feeds, public_url));
        if let Some(replica) = &config.database_read_url {
            db = db.with_replica(replica, config.pool_size()).await?;
            tracing::info!(replica = %db::redact(replica), "public reads go to the replica");
        }
        let workflow = config.workflow.clone();
        let sign_in = SignInSettings {
            limiter: LoginLimiter::new(
                workflow.login_attempts_per_minute,
                workflow.login_attempts_per_address_per_minute,
                workflow.login_attempts_per_account_per_minute,
            ),
            session_ttl: chrono::Duration::hours(workflow.session_ttl_hours.max(1)),
        };
        let storage = Arc::new(Storage::from_config(&config.media, &config.database.data_dir)?);
        let variants = Arc::new(leftovers_cleaned(&storage, &config.media).await?);
        let media = Media {
            storage,
            max_upload_bytes: config.media.max_upload_bytes,
            public_url: config
                .media
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_string()),
            downloads: DownloadCounter::new(Duration::from_secs(
                config.media.download_count_staleness_secs,
            )),
            variants,
            signer: Arc::new(
                signed::Signer::load(&db)
                    .await
                    .map_err(|e| anyhow::anyhow!("the file URL signing key: {e:?}"))?,
            ),
        };
        let (newsletter, mail) = newsletter::setup(
            &config.newsletter,
            media.public_url.as_deref(),
            &config.database.data_dir,
        )?;
        let live = Live::default();
        let (sign_in, newsletter) = (Arc::new(sign_in), Arc::new(newsletter));
        let targets = Targets::new(workflow.webhook_allow_private_targets);
        let schema = |validation| {
            let mut schema = graphql::schema_builder()
                .validation_mode(validation)
                .data(db.clone())
                .data(live.clone())
                .data(sign_in.clone())
                .data(media.clone())
                .data(newsletter.clone())
                .data(targets);
            // Per-field spans only when the log filter asks for them: any schema extension
            // makes async-graphql wrap every field it resolves, which costs more than the field.
            if tracing::enabled!(target: "async_graphql::graphql", tracing::Level::INFO) {
                schema = schema.extension(async_graphql::extensions::Tracing);
            }
            schema.finish()
        };
        let schemas = graphql::Schemas {
            full: schema(async_graphql::ValidationMode::Strict),
            validated_before: schema(async_graphql::ValidationMode::Fast),
        };
        let router =
            http::router(&config, http::Shared::new(&config, schemas, db.clone(), media.clone()));
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("listening on {}", config.addr))?;
        let flush_interval = Duration::from_millis(config.media.download_flush_interval_ms.max(10));
        let shutdown_grace = Duration::from_secs(config.shutdown_grace_seconds);
        Ok(App {
            listener,
            router,
            db,
            workflow,
            media,
            flush_interval,
            mail,
            live,
            shutdown_grace,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Where uploaded files are kept.
    pub fn storage(&self) -> &Storage {
        &self.media.storage
    }

    /// The addresses to tell a person about.
    pub fn urls(&self) -> Vec<String> {
        let base = format!("http://{}", self.local_addr());
        vec![
            format!("GraphQL API and GraphiQL: {base}/graphql"),
            format!("Health: {base}/healthz  Readiness: {base}/readyz"),
        ]
    }

    /// Serves, with the workers (`crate::workers`) running beside the server, until
    /// `shutdown` resolves; then finishes requests in flight for at most the grace period,
    /// stops the workers and saves the download counts.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "serving");
        let (stop, stopped) = watch::channel(false);
        let w = &self.workflow;
        // Background work: its statements are not the requests' (see `db::background`).
        let scheduler = tokio::spawn(db::background(workers::scheduler::run(
            self.db.clone(),
            Duration::from_millis(w.scheduler_interval_ms.max(10)),
            stopped.clone(),
        )));
        let policy = RetryPolicy {
            base: Duration::from_millis(w.webhook_retry_base_ms),
            max_attempts: w.webhook_max_attempts.max(1),
            timeout: Duration::from_millis(w.webhook_timeout_ms.max(100)),
            poll_interval: Duration::from_millis(w.webhook_poll_interval_ms.max(10)),
        };
        let targets = Targets::new(w.webhook_allow_private_targets);
        let sender =
            workers::webhook_sender::run(self.db.clone(), policy, targets, stopped.clone());
        let sender = tokio::spawn(db::background(sender));
        let mail = tokio::spawn(workers::mail::run(self.mail, stopped.clone()));
        let changes = workers::live_listener::subscribe(&self.db).await;
        let events = workers::live_listener::run(
            self.db.clone(),
            self.live.clone(),
            changes,
            stopped.clone(),
        );
        let live = tokio::spawn(db::background(events));
        let downloads = self.media.downloads.clone();
        let counts =
            workers::download_counts::run(downloads, self.db.clone(), self.flush_interval, stopped);
        let counts = tokio::spawn(db::background(counts));

        // The moment the signal came: the grace period counts from it.
        let (signalled, mut signal) = watch::channel(None);
        let shutdown = async move {
            shutdown.await;
            let _ = signalled.send(Some(Instant::now()));
        };
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let serving = axum::serve(self.listener, service).with_graceful_shutdown(shutdown);
        let grace = self.shutdown_grace;
        let grace_over = async {
            match signal.wait_for(Option::is_some).await.map(|at| *at) {
                Ok(Some(at)) => tokio::time::sleep_until(at + grace).await,
                _ => std::future::pending().await,
            }
        };
        // A client that never finishes its request must not hold the shutdown: once the
        // grace period is over, the connections left are dropped with the runtime.
        tokio::select! {
            served = serving.into_future() => served?,
            () = grace_over => {
                tracing::warn!(?grace, "requests still in flight after the grace period; stopping anyway");
            }
        }
        let signalled_at = *signal.borrow();
        let deadline = signalled_at.map_or_else(Instant::now, |at| at + grace);
        let _ = stop.send(true);
        let workers = async { tokio::join!(scheduler, sender, live, mail) };
        // Workers get what is left of the grace period, and a moment at least.
        let stop_at = deadline.max(Instant::now() + STOP_WORKERS);
        if tokio::time::timeout_at(stop_at, workers).await.is_err() {
            tracing::warn!("background work still running at shutdown; stopping anyway");
        }
        // The counter saves once more as it stops; what requests cut short counted after
        // that is saved here. Both are bounded, so a database that hangs cannot hold the exit.
        let _ = tokio::time::timeout(SAVE_COUNTS, counts).await;
        match tokio::time::timeout(SAVE_COUNTS, self.media.downloads.flush(&self.db)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(error = ?err, "saving download counts at shutdown"),
            Err(_) => tracing::error!("saving download counts at shutdown took too long"),
        }
        tracing::info!("stopped; closing the database");
        if tokio::time::timeout(STOP_WORKERS, self.db.close()).await.is_err() {
            tracing::warn!("database connections still in use at shutdown");
        }
        Ok(())
    }
}

/// How long background workers get to stop when the requests finished early.
const STOP_WORKERS: Duration = Duration::from_secs(1);

/// The most time saving the last download counts may take.
const SAVE_COUNTS: Duration = Duration::from_secs(5);

/// Removes what a crash left in the staging and variants folders, then opens the variants.
async fn leftovers_cleaned(
    storage: &Arc<Storage>,
    config: &MediaConfig,
) -> anyhow::Result<Variants> {
    let cutoff = leftovers::cutoff();
    let staging = storage.clone();
    let removed = tokio::task::spawn_blocking(move || leftovers::clean_staging(&staging, cutoff))
        .await
        .context("cleaning the staging folder")?;
    if removed > 0 {
        tracing::info!(removed, "removed uploads a crash left half staged");
    }
    Variants::open(storage.clone(), config, cutoff).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
