//! Building and running the server: connect, migrate, bind, serve until a shutdown signal,
//! then finish the requests in flight and close the database. Tests reuse this with port 0.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::{ServeConfig, WorkflowConfig};
use crate::db::{self, Db};
use crate::graphql;
use crate::graphql::SignInSettings;
use crate::http;
use crate::media::downloads::DownloadCounter;
use crate::media::{Media, Storage};
use crate::newsletter::{self, mail::MailWorker};
use crate::scheduler;
use crate::users::LoginLimiter;
use crate::webhooks::{self, RetryPolicy, Targets};

pub struct App {
    listener: TcpListener,
    router: Router,
    db: Db,
    workflow: WorkflowConfig,
    media: Media,
    flush_interval: Duration,
    mail: MailWorker,
}

impl App {
    pub async fn build(config: ServeConfig) -> anyhow::Result<App> {
        crate::http::metrics::init();
        let url = config.database.url();
        let mut db = Db::connect_and_migrate(&url, config.pool_size()).await?;
        tracing::info!(database = %db::redact(&url), "database ready");
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
        let media = Media {
            storage: Arc::new(Storage::from_config(&config.media, &config.database.data_dir)?),
            max_upload_bytes: config.media.max_upload_bytes,
            public_url: config
                .media
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_string()),
            downloads: DownloadCounter::default(),
        };
        let (newsletter, mail) = newsletter::setup(
            &config.newsletter,
            media.public_url.as_deref(),
            &config.database.data_dir,
        )?;
        let mut schema = graphql::schema_builder()
            .data(db.clone())
            .data(sign_in)
            .data(media.clone())
            .data(newsletter)
            .data(Targets::new(workflow.webhook_allow_private_targets))
            .limit_depth(config.max_query_depth)
            .limit_complexity(config.max_query_complexity);
        // Per-field spans only when the log filter asks for them: any schema extension makes
        // async-graphql wrap every field it resolves, which costs more than the field.
        if tracing::enabled!(target: "async_graphql::graphql", tracing::Level::INFO) {
            schema = schema.extension(async_graphql::extensions::Tracing);
        }
        let schema = schema.finish();
        let router =
            http::router(&config, http::Shared::new(&config, schema, db.clone(), media.clone()));
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("listening on {}", config.addr))?;
        let flush_interval = Duration::from_millis(config.media.download_flush_interval_ms.max(10));
        Ok(App { listener, router, db, workflow, media, flush_interval, mail })
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

    /// Serves, with the scheduler and the webhook sender running beside the server, until
    /// `shutdown` resolves; then finishes requests in flight and stops the workers.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "serving");
        let (stop, stopped) = watch::channel(false);
        let w = &self.workflow;
        // Background work: its statements are not the requests' (see `db::background`).
        let scheduler = tokio::spawn(db::background(scheduler::run(
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
        let sender = webhooks::run_sender(self.db.clone(), policy, targets, stopped.clone());
        let sender = tokio::spawn(db::background(sender));
        let mail = tokio::spawn(self.mail.run(stopped.clone()));
        let live = tokio::spawn(db::background(crate::live::run(self.db.clone(), stopped.clone())));
        let counts =
            self.media.downloads.clone().run(self.db.clone(), self.flush_interval, stopped);
        let counts = tokio::spawn(db::background(counts));
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await?;
        let _ = stop.send(true);
        let _ = tokio::join!(scheduler, sender, counts, live, mail);
        tracing::info!("stopped; closing the database");
        self.db.close().await;
        Ok(())
    }
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
