//! Quire's benchmark: `cargo run --release --example bench -- [--db sqlite|postgres]
//! [--items 10000] [--concurrency 16,64] [--seconds 10]`.
//!
//! It seeds the items directly, starts Quire as its own process (this binary again, in a
//! serve mode, so that Quire's memory is measured alone), starts a static server that
//! answers with Quire's own Q1 response bytes (the ceiling), and drives each with a
//! closed-loop keep-alive load generator. It prints one table. Every operation runs with
//! the response cache off, so that it measures the way to the database; the `Q1 cached`
//! row runs against a second Quire process with the cache on.
//!
//! With `--export`, it seeds the same site and times `quire export` of it instead (in a
//! process of its own, so that its peak memory is measured alone).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{TimeZone, Utc};
use quire_api::auth::{Actor, Role};
use quire_api::config::{CachingConfig, DatabaseArgs};
use quire_api::db::Db;
use quire_api::{App, ServeConfig};
use quire_entity::content_item::{self, ContentType, Status};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde_json::{Value, json};

const HOME_PAGE: &str = include_str!("queries/home-page.graphql");

struct Args {
    db: String,
    items: usize,
    concurrency: Vec<usize>,
    seconds: u64,
    postgres_url: String,
    /// Database connections in Quire's pool; 0 leaves Quire's default.
    pool: u32,
    /// Time `quire export` of the seeded site instead of serving it.
    export: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        db: "sqlite".into(),
        items: 10_000,
        concurrency: vec![16, 64],
        seconds: 10,
        pool: 0,
        export: false,
        postgres_url: std::env::var("QUIRE_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || given.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => args.db = value()?,
            "--items" => args.items = value()?.parse()?,
            "--concurrency" => {
                args.concurrency =
                    value()?.split(',').map(|c| c.trim().parse()).collect::<Result<_, _>>()?
            }
            "--seconds" => args.seconds = value()?.parse()?,
            "--postgres-url" => args.postgres_url = value()?,
            "--pool" => args.pool = value()?.parse()?,
            "--export" => args.export = true,
            other => bail!("unknown argument {other}"),
        }
    }
    if !matches!(args.db.as_str(), "sqlite" | "postgres") {
        bail!("--db is sqlite or postgres");
    }
    Ok(args)
}

fn main() -> anyhow::Result<()> {
    quire_api::tls::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut raw = std::env::args().skip(1);
    if raw.next().as_deref() == Some("__serve") {
        let url = raw.next().context("url")?;
        let dir = raw.next().context("data dir")?;
        let pool = raw.next().context("pool size")?.parse()?;
        let cache_mb = raw.next().context("response cache size")?.parse()?;
        return runtime.block_on(serve(url, dir, pool, cache_mb));
    }
    if raw_is_export() {
        let mut raw = std::env::args().skip(2);
        let url = raw.next().context("url")?;
        let dir = raw.next().context("data dir")?;
        let target = raw.next().context("export folder")?;
        return runtime.block_on(export(url, dir, target));
    }
    runtime.block_on(run(parse_args()?))
}

fn raw_is_export() -> bool {
    std::env::args().nth(1).as_deref() == Some("__export")
}

/// The export process: exports as `quire export` does, then prints its time and its own
/// peak memory.
async fn export(url: String, dir: String, target: String) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = Db::connect(&url, 2).await?;
    let storage = quire_api::media::Storage::local(std::path::Path::new(&dir));
    let done = quire_api::portability::export(&db, &storage, std::path::Path::new(&target)).await?;
    let rows: u64 = done.manifest.kinds.values().sum();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "EXPORTED {rows} {} {seconds:.2} {:.1}",
        done.manifest.files,
        peak_rss_mb(std::process::id())
    );
    Ok(())
}

/// Seeds the site, then exports it in a process of its own and prints what that took.
async fn time_export(args: &Args, url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let target = dir.join("export");
    let output = Command::new(std::env::current_exe()?)
        .args(["__export", url, dir.to_str().context("a UTF-8 path")?])
        .arg(&target)
        .stderr(Stdio::inherit())
        .output()?;
    let printed = String::from_utf8_lossy(&output.stdout);
    let Some(line) = printed.lines().find_map(|l| l.strip_prefix("EXPORTED ")) else {
        bail!("the export failed: {printed}");
    };
    let fields: Vec<&str> = line.split(' ').collect();
    let bytes: u64 = walk_bytes(&target);
    println!("| database | items | rows | files | folder MB | seconds | peak RSS MB |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| {} | {} | {} | {} | {:.1} | {} | {} |",
        args.db,
        args.items,
        fields[0],
        fields[1],
        bytes as f64 / 1_048_576.0,
        fields[2],
        fields[3]
    );
    Ok(())
}

fn walk_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() { walk_bytes(&path) } else { entry.metadata().map_or(0, |m| m.len()) }
        })
        .sum()
}

/// The Quire process: serves until SIGTERM, printing its address first. A `cache_mb` of 0
/// turns the response cache off.
async fn serve(url: String, dir: String, pool: u32, cache_mb: u64) -> anyhow::Result<()> {
    let mut config = ServeConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        DatabaseArgs { database_url: Some(url), data_dir: dir.into() },
    );
    config.database_max_connections = (pool > 0).then_some(pool);
    config.caching.response_cache_mb = cache_mb;
    // As `quire serve` reads it, to compare runs with and without the query cache.
    if let Some(mb) = std::env::var("QUIRE_QUERY_CACHE_MB").ok().and_then(|v| v.parse().ok()) {
        config.caching.query_cache_mb = mb;
    }
    // Logging as `quire serve` sets it up, so its cost is measured too.
    quire_api::telemetry::init(quire_api::telemetry::LogFormat::Text);
    let app = App::build(config).await?;
    println!("READY {}", app.local_addr());
    app.run_until(quire_api::app::shutdown_signal()).await
}

struct Database {
    url: String,
    drop_with: Option<(String, String)>,
}

async fn prepare(args: &Args, dir: &std::path::Path) -> anyhow::Result<Database> {
    Ok(match args.db.as_str() {
        "sqlite" => Database {
            url: format!("sqlite://{}?mode=rwc", dir.join("quire.db").display()),
            drop_with: None,
        },
        _ => {
            let name = format!("quire_bench_{}", uuid::Uuid::now_v7().simple());
            let admin = sea_orm::Database::connect(&args.postgres_url).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
            admin.close().await?;
            let base =
                args.postgres_url.rsplit_once('/').map_or(args.postgres_url.as_str(), |(b, _)| b);
            Database {
                url: format!("{base}/{name}"),
                drop_with: Some((args.postgres_url.clone(), name)),
            }
        }
    })
}

/// The example site through `quire seed`, then `items` published news articles inserted
/// directly, newest last. Returns the articles' ids and slugs, and an editor's token.
async fn seed(
    db: &Db,
    dir: &std::path::Path,
    items: usize,
) -> anyhow::Result<(Vec<(uuid::Uuid, String)>, String)> {
    let storage = quire_api::media::Storage::local(dir);
    quire_api::seed::load(
        db,
        &storage,
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lls")),
    )
    .await?;
    let body = "Schools in London have improved faster than anywhere else in England. ".repeat(20);
    let body_html = format!("<p>{body}</p>\n");
    let start = Utc.with_ymd_and_hms(2015, 1, 1, 9, 0, 0).single().context("a date")?;
    let mut articles = Vec::with_capacity(items);
    for batch in (0..items).collect::<Vec<_>>().chunks(500) {
        let rows = batch.iter().map(|i| {
            let id = uuid::Uuid::now_v7();
            let slug = format!("bench-article-{i:06}");
            articles.push((id, slug.clone()));
            let at = start + chrono::Duration::minutes(*i as i64);
            content_item::ActiveModel {
                id: Set(id),
                content_type: Set(ContentType::NewsArticle),
                status: Set(Status::Published),
                slug: Set(Some(slug)),
                title: Set(Some(format!("Benchmark article {i}"))),
                summary: Set(Some("A short summary for lists.".into())),
                body: Set(Some(body.clone())),
                body_html: Set(Some(body_html.clone())),
                author_name: Set(Some("LLS".into())),
                published_at: Set(Some(at)),
                created_at: Set(at),
                updated_at: Set(at),
                version: Set(1),
                ..Default::default()
            }
        });
        content_item::Entity::insert_many(rows).exec_without_returning(db.conn()).await?;
        // Indexed for search, as every write through the API is.
        let ids = articles[articles.len() - batch.len()..].iter().map(|(id, _)| *id);
        let tx = db.conn().begin().await?;
        let inserted = content_item::Entity::find()
            .filter(content_item::Column::Id.is_in(ids))
            .all(&tx)
            .await?;
        for item in &inserted {
            quire_api::search::index(&tx, item).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
        tx.commit().await?;
    }
    let token = quire_api::tokens::create(db, &Actor::System, "bench", Role::Editor)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((articles, token.secret))
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn start_quire(
    url: &str,
    dir: &std::path::Path,
    pool: u32,
    cache_mb: u64,
) -> anyhow::Result<Server> {
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "__serve",
            url,
            &dir.display().to_string(),
            &pool.to_string(),
            &cache_mb.to_string(),
        ])
        .env("QUIRE_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().context("Quire stopped before it was ready")??;
        if let Some(addr) = line.strip_prefix("READY ") {
            break addr.to_string();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok(Server { child, base: format!("http://{addr}") })
}

/// A static server answering every request with `body`: the ceiling.
async fn start_ceiling(body: Vec<u8>) -> anyhow::Result<String> {
    let body = bytes::Bytes::from(body);
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

/// What one operation sends: the n-th request's body and headers.
type MakeRequest = std::sync::Arc<dyn Fn(usize) -> (Value, Option<String>) + Send + Sync>;

struct Measured {
    requests: usize,
    errors: usize,
    seconds: f64,
    latencies_us: Vec<u32>,
}

/// `concurrency` workers, each with its own keep-alive connection, each sending its next
/// request as soon as the last is answered, for `seconds` after a one-second warm-up.
async fn drive(url: &str, make: MakeRequest, concurrency: usize, seconds: u64) -> Measured {
    let warm_up = Instant::now() + Duration::from_secs(1);
    let end = warm_up + Duration::from_secs(seconds);
    let workers = (0..concurrency).map(|w| {
        let url = url.to_string();
        let make = make.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
            let (mut latencies, mut errors, mut n) = (Vec::new(), 0usize, w * 7919);
            loop {
                let (body, token) = make(n);
                n += 1;
                let started = Instant::now();
                if started >= end {
                    break;
                }
                let mut request = client.post(&url).json(&body);
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let ok = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await;
                        status.is_success()
                            && body.is_ok_and(|b| !b.windows(9).any(|w| w == b"\"errors\""))
                    }
                    Err(_) => false,
                };
                if started >= warm_up {
                    latencies.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        })
    });
    let mut all = Vec::new();
    let mut errors = 0;
    for worker in futures_util::future::join_all(workers).await {
        let (latencies, e) = worker.unwrap();
        all.extend(latencies);
        errors += e;
    }
    all.sort_unstable();
    Measured { requests: all.len(), errors, seconds: seconds as f64, latencies_us: all }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[index]) / 1000.0
}

async fn statements(base: &str) -> anyhow::Result<f64> {
    let text = reqwest::Client::new().get(format!("{base}/metrics")).send().await?.text().await?;
    text.lines()
        .find_map(|l| l.strip_prefix("quire_sql_statements_total "))
        .context("no statement count in /metrics")?
        .trim()
        .parse()
        .context("a statement count")
}

fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:")).map(str::to_string))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Drives one operation against `quire` and prints its row of the table.
async fn row(
    args: &Args,
    quire: &Server,
    name: &str,
    make: &MakeRequest,
    concurrency: usize,
    top_rate: f64,
) -> anyhow::Result<()> {
    let graphql = format!("{}/graphql", quire.base);
    let before = statements(&quire.base).await?;
    let measured = drive(&graphql, make.clone(), concurrency, args.seconds).await;
    let after = statements(&quire.base).await?;
    let rate = measured.requests as f64 / measured.seconds;
    // The warm-up's requests ran statements too; the scrape itself runs one.
    let total_requests = measured.requests as f64 * (1.0 + 1.0 / args.seconds as f64);
    let per_request = (after - before - 1.0).max(0.0) / total_requests.max(1.0);
    println!(
        "| {name} | {} | {concurrency} | {rate:.0} | {:.2} | {:.2} | {:.1}% | {per_request:.1} | {} | {:.1} |",
        args.db,
        percentile(&measured.latencies_us, 0.5),
        percentile(&measured.latencies_us, 0.99),
        100.0 * rate / top_rate,
        measured.errors,
        peak_rss_mb(quire.child.id()),
    );
    Ok(())
}

/// The costliest operations the default limits still allow, and two they refuse.
fn costliest_request() -> MakeRequest {
    const ALLOWED: [&str; 2] = [
        // 2 + 495 × (2 + 1 + 6) = 4,457
        "{ changes(first: 495) { nodes { id at node { ... on NewsArticle { id title summary body bodyHtml tags } } } } }",
        // 5 × (2 + 100 × 9) = 4,510
        "{ a: news(first: 100) { nodes { ...N } } b: news(first: 100, orderBy: { field: TITLE, direction: ASC }) { nodes { ...N } } c: pressReleases(first: 100) { nodes { id title summary body bodyHtml slug publishedAt createdAt updatedAt } } d: pages(first: 100) { nodes { id title summary body bodyHtml slug path createdAt updatedAt } } e: news(first: 100, orderBy: { field: UPDATED_AT }) { nodes { ...N } } } fragment N on NewsArticle { id title summary body bodyHtml slug tags publishedAt updatedAt }",
    ];
    let mut bomb = String::from("fragment F0 on Query { __typename }\n");
    for i in 1..=25 {
        bomb.push_str(&format!("fragment F{i} on Query {{ ...F{p} ...F{p} }}\n", p = i - 1));
    }
    bomb.push_str("query { ...F25 }");
    let aliases = (0..380)
        .map(|i| format!("a{i}: changes(first: 500) {{ nodes {{ node {{ id }} }} }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let refused = [bomb, format!("{{ {aliases} }}")];
    std::sync::Arc::new(move |n| {
        let query = match n % 4 {
            0 | 1 => ALLOWED[n % 2].to_string(),
            2 => refused[0].clone(),
            _ => refused[1].clone(),
        };
        (json!({ "query": query }), None)
    })
}

/// Q1 from `concurrency` clients while as many others send the costliest operations the
/// limits allow (and some they refuse), on a Quire process of its own: Q1's p99 and the
/// process's peak memory say what one hostile neighbour costs.
async fn beside_the_costliest(
    args: &Args,
    url: &str,
    dir: &std::path::Path,
    q1: &MakeRequest,
    concurrency: usize,
    top_rate: f64,
) -> anyhow::Result<()> {
    let quire = start_quire(url, dir, args.pool, 0)?;
    let graphql = format!("{}/graphql", quire.base);
    let (q1_measured, hostile) = tokio::join!(
        drive(&graphql, q1.clone(), concurrency, args.seconds),
        drive(&graphql, costliest_request(), concurrency, args.seconds),
    );
    let rate = q1_measured.requests as f64 / q1_measured.seconds;
    println!(
        "| Q1 beside {concurrency} clients of the costliest allowed | {} | {concurrency} | {rate:.0} | {:.2} | {:.2} | {:.1}% | - | {} | {:.1} |",
        args.db,
        percentile(&q1_measured.latencies_us, 0.5),
        percentile(&q1_measured.latencies_us, 0.99),
        100.0 * rate / top_rate,
        q1_measured.errors,
        peak_rss_mb(quire.child.id()),
    );
    println!(
        "| (the costliest: half allowed, half refused) | {} | {concurrency} | {:.0} | {:.2} | {:.2} | - | - | - | - |",
        args.db,
        hostile.requests as f64 / hostile.seconds,
        percentile(&hostile.latencies_us, 0.5),
        percentile(&hostile.latencies_us, 0.99),
    );
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let database = prepare(&args, dir.path()).await?;
    eprintln!("seeding {} news articles on {}…", args.items, args.db);
    let db = Db::connect_and_migrate(&database.url, 4).await?;
    let (articles, token) = seed(&db, dir.path(), args.items).await?;
    if args.db == "postgres" {
        // What autovacuum would soon do after a bulk load; its planner needs the statistics.
        db.conn().execute_unprepared("ANALYZE").await?;
    }
    db.close().await;
    if args.export {
        let timed = time_export(&args, &database.url, dir.path()).await;
        drop_database(&database).await?;
        return timed;
    }

    let started = Instant::now();
    let quire = start_quire(&database.url, dir.path(), args.pool, 0)?;
    let graphql = format!("{}/graphql", quire.base);
    let q1 =
        json!({ "query": "{ news(first: 20) { nodes { id slug title summary publishedAt } } }" });
    let client = reqwest::Client::new();
    let q1_bytes = client.post(&graphql).json(&q1).send().await?.bytes().await?.to_vec();
    let first_answer = started.elapsed();
    if !q1_bytes.starts_with(b"{\"data\"") {
        bail!("Q1 failed: {}", String::from_utf8_lossy(&q1_bytes));
    }
    let ceiling = start_ceiling(q1_bytes.clone()).await?;

    let slugs: std::sync::Arc<Vec<String>> =
        std::sync::Arc::new(articles.iter().rev().take(1000).map(|(_, s)| s.clone()).collect());
    let ids: std::sync::Arc<Vec<String>> = std::sync::Arc::new(
        articles
            .iter()
            .rev()
            .take(1000)
            .map(|(id, _)| quire_api::graphql::global_id("NewsArticle", *id).to_string())
            .collect(),
    );
    let q1_request: MakeRequest = {
        let q1 = q1.clone();
        std::sync::Arc::new(move |_| (q1.clone(), None))
    };
    let q2_request: MakeRequest = std::sync::Arc::new(move |n| {
        (
            json!({ "query": "query($s: String!) { newsArticle(slug: $s) { id title body bodyHtml publishedAt } }", "variables": { "s": slugs[n % slugs.len()] } }),
            None,
        )
    });
    let q3_request: MakeRequest = std::sync::Arc::new(|_| (json!({ "query": HOME_PAGE }), None));
    let m1_request: MakeRequest = {
        let token = token.clone();
        std::sync::Arc::new(move |n| {
            (
                json!({ "query": "mutation($id: ID!, $s: String) { updateNewsArticle(id: $id, input: { summary: $s }) { version } }", "variables": { "id": ids[n % ids.len()], "s": format!("Summary {n}") } }),
                Some(token.clone()),
            )
        })
    };

    println!();
    println!(
        "Quire benchmark: {} items on {}, {} s per run, machine: {} cores",
        args.items,
        args.db,
        args.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "start to first answer (existing database): {:.0} ms",
        first_answer.as_secs_f64() * 1000.0
    );
    println!();
    println!(
        "| operation | db | concurrency | req/s | p50 ms | p99 ms | ratio to ceiling | SQL/request | errors | peak RSS MB |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for &concurrency in &args.concurrency {
        let top =
            drive(&format!("{ceiling}/graphql"), q1_request.clone(), concurrency, args.seconds)
                .await;
        let top_rate = top.requests as f64 / top.seconds;
        println!(
            "| ceiling (static Q1 bytes) | - | {concurrency} | {top_rate:.0} | {:.2} | {:.2} | 100% | - | {} | - |",
            percentile(&top.latencies_us, 0.5),
            percentile(&top.latencies_us, 0.99),
            top.errors
        );
        for (name, make) in [
            ("Q1 20 newest news", &q1_request),
            ("Q2 article by slug", &q2_request),
            ("Q3 home page", &q3_request),
            ("M1 update by an editor", &m1_request),
        ] {
            row(&args, &quire, name, make, concurrency, top_rate).await?;
        }
        // A process of its own, started after the writes above, with the default cache:
        // its peak memory is its own, and no answer it caches is from before M1.
        let cached = start_quire(
            &database.url,
            dir.path(),
            args.pool,
            CachingConfig::default().response_cache_mb,
        )?;
        row(&args, &cached, "Q1 cached", &q1_request, concurrency, top_rate).await?;
        drop(cached);
        beside_the_costliest(&args, &database.url, dir.path(), &q1_request, concurrency, top_rate)
            .await?;
    }
    drop(quire);
    drop_database(&database).await
}

async fn drop_database(database: &Database) -> anyhow::Result<()> {
    if let Some((admin_url, name)) = &database.drop_with {
        let admin = sea_orm::Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
    }
    Ok(())
}
