//! Building and running the server: connect, migrate, bind, serve until a shutdown signal,
//! then finish the requests in flight and close the database. Tests reuse this with port 0.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::config::ServeConfig;
use crate::db::{self, Db};
use crate::graphql;
use crate::http::{self, AppState};

pub struct App {
    listener: TcpListener,
    router: Router,
    db: Db,
}

impl App {
    pub async fn build(config: ServeConfig) -> anyhow::Result<App> {
        let url = config.database.url();
        let db = Db::connect_and_migrate(&url, config.database_max_connections).await?;
        tracing::info!(database = %db::redact(&url), "database ready");
        let schema = graphql::schema_builder()
            .data(db.clone())
            .limit_depth(config.max_query_depth)
            .limit_complexity(config.max_query_complexity)
            .extension(async_graphql::extensions::Tracing)
            .finish();
        let router = http::router(
            &config,
            AppState {
                schema,
                db: db.clone(),
            },
        );
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("listening on {}", config.addr))?;
        Ok(App {
            listener,
            router,
            db,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The addresses to tell a person about.
    pub fn urls(&self) -> Vec<String> {
        let base = format!("http://{}", self.local_addr());
        vec![
            format!("GraphQL API and GraphiQL: {base}/graphql"),
            format!("Health: {base}/healthz  Readiness: {base}/readyz"),
        ]
    }

    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "serving");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
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
