//! Quire's benchmark: `cargo run --release --example bench -- [--db sqlite|postgres]
//! [--items 10000] [--concurrency 16,64] [--seconds 10] [--pool n] [--keep-data]`.
//!
//! It needs `wrk` and `nginx` on the PATH (Debian: `apt-get install wrk nginx-light`): `wrk`
//! drives every row as a process of its own, so that the load generator is not the
//! bottleneck, and nginx serves Quire's own Q1 response bytes as the ceiling, on every core.
//!
//! It seeds the items directly, starts Quire as its own process (this binary again, in a
//! serve mode, so that Quire's memory is measured alone) and drives each operation with a
//! closed-loop keep-alive load. It prints one table. Q1, Q2 and Q3 run with the response
//! cache off, so that they measure the way to the database, and again against a second
//! Quire process with the cache on; the last cached row runs Q1 while an editor saves a
//! press release every 100 ms, and gives its hit rate. A row's peak RSS is the Quire
//! process's high-water mark during that row alone: it is reset before each row.
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
    /// Keeps the seeded database and data folder (to profile a Quire process on them).
    keep_data: bool,
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
        keep_data: false,
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
            "--keep-data" => args.keep_data = true,
            "--export" => args.export = true,
            other => bail!("unknown argument {other}"),
        }
    }
    if !matches!(args.db.as_str(), "sqlite" | "postgres") {
        bail!("--db is sqlite or postgres");
    }
    Ok(args)
}

/// The allocator of the `quire` binary, so that the Quire process measured here is the one
/// people run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // And the limits on queries at once, to try other settings by hand.
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    if let Some(most) = number("QUIRE_MAX_QUERIES_RUNNING") {
        config.max_queries_running = most;
    }
    if let Some(most) = number("QUIRE_MAX_QUERIES_RUNNING_PER_CLIENT") {
        config.max_queries_running_per_client = most;
    }
    config.sqlite_direct_reads =
        std::env::var("QUIRE_SQLITE_DIRECT_READS").as_deref() != Ok("false");
    config.postgres_kept_connections =
        std::env::var("QUIRE_POSTGRES_KEPT_CONNECTIONS").as_deref() != Ok("false");
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
    start_quire_with(url, dir, pool, cache_mb, true)
}

/// As [`start_quire`]; `direct_reads: false` sends every SQLite read through the pool.
fn start_quire_with(
    url: &str,
    dir: &std::path::Path,
    pool: u32,
    cache_mb: u64,
    direct_reads: bool,
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
        .env("QUIRE_SQLITE_DIRECT_READS", direct_reads.to_string())
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

/// nginx answering every request with `body`: the ceiling. Stopped when dropped.
struct Ceiling {
    child: Child,
    url: String,
}

impl Drop for Ceiling {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-QUIT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn start_ceiling(body: &[u8], dir: &std::path::Path) -> anyhow::Result<Ceiling> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let root = dir.join("nginx");
    std::fs::create_dir_all(&root)?;
    std::fs::write(root.join("q1.json"), body)?;
    // nginx serves files to GET only: a POST is turned away with 405, which is answered
    // with the file, as a GET.
    let config = format!(
        "worker_processes {cores};\ndaemon off;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  keepalive_requests 100000000;\n  keepalive_timeout 60s;\n\
           client_body_temp_path {root}/body;\n  proxy_temp_path {root}/proxy;\n\
           fastcgi_temp_path {root}/fastcgi;\n  uwsgi_temp_path {root}/uwsgi;\n  scgi_temp_path {root}/scgi;\n\
           default_type application/json;\n  root {root};\n\
           server {{\n    listen 127.0.0.1:{port};\n\
             location / {{ error_page 405 =200 /q1.json; try_files /q1.json =404; }}\n\
             location = /q1.json {{ }}\n  }}\n}}\n",
        cores = std::thread::available_parallelism().map_or(2, |n| n.get()),
        root = root.display(),
    );
    let path = root.join("nginx.conf");
    std::fs::write(&path, config)?;
    let child = Command::new("nginx")
        .args(["-c", &path.display().to_string(), "-p", &root.display().to_string()])
        .stdout(Stdio::null())
        .spawn()
        .context("starting nginx (Debian: apt-get install nginx-light)")?;
    let url = format!("http://127.0.0.1:{port}/graphql");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            bail!("nginx did not start; see {}", root.join("error.log").display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(Ceiling { child, url })
}

/// What one operation sends: the request bodies it takes in turn, and a bearer token.
struct Requests {
    bodies: Vec<Value>,
    token: Option<String>,
}

impl Requests {
    fn one(body: Value) -> Requests {
        Requests { bodies: vec![body], token: None }
    }
}

struct Measured {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Answers other than 2xx, and socket errors.
    errors: u64,
}

/// A wrk script sending `requests`' bodies in turn, each thread from its own place.
fn script(requests: &Requests, dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let mut lua = String::from("local bodies = {\n");
    for body in &requests.bodies {
        let text = body.to_string();
        if text.contains("]==]") {
            bail!("a request body the script cannot quote");
        }
        lua.push_str(&format!("[==[{text}]==],\n"));
    }
    lua.push_str("}\nlocal headers = { [\"Content-Type\"] = \"application/json\" }\n");
    if let Some(token) = &requests.token {
        lua.push_str(&format!("headers[\"Authorization\"] = \"Bearer {token}\"\n"));
    }
    lua.push_str(
        "n = 0\n\
         local threads = 0\n\
         function setup(thread) threads = threads + 1; thread:set(\"n\", threads * 7919) end\n\
         function request()\n  n = n + 1\n  return wrk.format(\"POST\", nil, headers, bodies[n % #bodies + 1])\nend\n",
    );
    let path = dir.join(format!("wrk-{}.lua", uuid::Uuid::now_v7().simple()));
    std::fs::write(&path, lua)?;
    Ok(path)
}

fn wrk_command(url: &str, script: &std::path::Path, concurrency: usize, seconds: u64) -> Command {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(concurrency);
    let mut command = Command::new("wrk");
    command
        .args(["--latency", "-t", &threads.to_string(), "-c", &concurrency.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", "10s", "-s"])
        .arg(script)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A latency as wrk prints it (`812.00us`, `1.20ms`, `2.01s`), in milliseconds.
fn millis(text: &str) -> f64 {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    number.parse::<f64>().unwrap_or(f64::NAN) * scale
}

fn parse_wrk(output: &str) -> anyhow::Result<Measured> {
    let mut measured = Measured { rate: 0.0, p50_ms: 0.0, p99_ms: 0.0, errors: 0 };
    for line in output.lines().map(str::trim) {
        if let Some(rate) = line.strip_prefix("Requests/sec:") {
            measured.rate = rate.trim().parse()?;
        } else if let Some(at) = line.strip_prefix("50%") {
            measured.p50_ms = millis(at);
        } else if let Some(at) = line.strip_prefix("99%") {
            measured.p99_ms = millis(at);
        } else if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
            measured.errors += n.trim().parse::<u64>()?;
        } else if let Some(counts) = line.strip_prefix("Socket errors:") {
            measured.errors += counts
                .split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    if measured.rate == 0.0 {
        bail!("wrk printed no rate:\n{output}");
    }
    Ok(measured)
}

/// wrk on one URL with one set of requests.
struct Load {
    url: String,
    script: std::path::PathBuf,
    concurrency: usize,
}

impl Load {
    /// Runs a one-second warm-up.
    fn warm(
        url: &str,
        requests: &Requests,
        concurrency: usize,
        dir: &std::path::Path,
    ) -> anyhow::Result<Load> {
        let load = Load { url: url.to_string(), script: script(requests, dir)?, concurrency };
        let warm_up = wrk_command(url, &load.script, concurrency, 1)
            .output()
            .context("running wrk (Debian: apt-get install wrk)")?;
        if !warm_up.status.success() {
            bail!("wrk failed: {}", String::from_utf8_lossy(&warm_up.stderr));
        }
        Ok(load)
    }

    /// The measured run, `seconds` long, in a blocking thread.
    async fn run(self, seconds: u64) -> anyhow::Result<Measured> {
        tokio::task::spawn_blocking(move || {
            let output =
                wrk_command(&self.url, &self.script, self.concurrency, seconds).output()?;
            if !output.status.success() {
                bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
            }
            parse_wrk(&String::from_utf8_lossy(&output.stdout))
        })
        .await?
    }
}

/// `concurrency` keep-alive connections, each sending its next request as soon as the last
/// is answered, for `seconds` after a one-second warm-up.
async fn drive(
    url: &str,
    requests: &Requests,
    concurrency: usize,
    seconds: u64,
    dir: &std::path::Path,
) -> anyhow::Result<Measured> {
    Load::warm(url, requests, concurrency, dir)?.run(seconds).await
}

/// Fails unless Quire answers every one of `requests` without errors (wrk sees statuses
/// only).
async fn check(url: &str, requests: &Requests) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for body in requests.bodies.iter().take(3) {
        let mut request = client.post(url).json(body);
        if let Some(token) = &requests.token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await?.text().await?;
        if !answer.starts_with("{\"data\"") || answer.contains("\"errors\"") {
            bail!("{body} failed: {answer}");
        }
    }
    Ok(())
}

/// Starts a new high-water mark of the process's memory, so that a row's peak is its own
/// and not that of a row before it on the same process. Linux takes "5" for that.
fn reset_peak_rss(pid: u32) {
    if let Err(err) = std::fs::write(format!("/proc/{pid}/clear_refs"), "5") {
        eprintln!(
            "the peak RSS of process {pid} could not be reset ({err}): it counts from its start"
        );
    }
}

fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:")).map(str::to_string))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Counts from Quire's `/metrics`: SQL statements, response cache hits and misses.
async fn counts(base: &str) -> anyhow::Result<(f64, f64, f64)> {
    let text = reqwest::Client::new().get(format!("{base}/metrics")).send().await?.text().await?;
    let read = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map_or(0.0, |n| n.trim().parse().unwrap_or(0.0))
    };
    Ok((
        statements_in(&text)?,
        read("quire_response_cache_total{outcome=\"hit\"} "),
        read("quire_response_cache_total{outcome=\"miss\"} "),
    ))
}

fn statements_in(text: &str) -> anyhow::Result<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix("quire_sql_statements_total "))
        .context("no statement count in /metrics")?
        .trim()
        .parse()
        .context("a statement count")
}

/// One line of the table.
struct Line<'a> {
    name: &'a str,
    concurrency: usize,
    measured: &'a Measured,
    top_rate: f64,
    sql_per_request: Option<f64>,
    hit_rate: Option<f64>,
    rss_mb: Option<f64>,
}

fn print_line(args: &Args, line: Line) {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    println!(
        "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.1}% | {} | {} | {} | {} |",
        line.name,
        args.db,
        line.concurrency,
        line.measured.rate,
        line.measured.p50_ms,
        line.measured.p99_ms,
        100.0 * line.measured.rate / line.top_rate,
        or_dash(line.sql_per_request.map(|n| format!("{n:.1}"))),
        or_dash(line.hit_rate.map(|n| format!("{:.1}%", 100.0 * n))),
        line.measured.errors,
        or_dash(line.rss_mb.map(|n| format!("{n:.1}"))),
    );
}

/// Drives one operation against `quire` and prints its row of the table.
async fn row(
    args: &Args,
    dir: &std::path::Path,
    quire: &Server,
    name: &str,
    requests: &Requests,
    concurrency: usize,
    top_rate: f64,
) -> anyhow::Result<()> {
    let graphql = format!("{}/graphql", quire.base);
    check(&graphql, requests).await?;
    reset_peak_rss(quire.child.id());
    let load = Load::warm(&graphql, requests, concurrency, dir)?;
    let (statements, hits, misses) = counts(&quire.base).await?;
    let measured = load.run(args.seconds).await?;
    let (statements_after, hits_after, misses_after) = counts(&quire.base).await?;
    let requests_made = (measured.rate * args.seconds as f64).max(1.0);
    // The scrape itself runs one statement.
    let per_request = (statements_after - statements - 1.0).max(0.0) / requests_made;
    let looked_up = (hits_after - hits) + (misses_after - misses);
    print_line(
        args,
        Line {
            name,
            concurrency,
            measured: &measured,
            top_rate,
            sql_per_request: Some(per_request),
            hit_rate: (looked_up > 0.0).then(|| (hits_after - hits) / looked_up),
            rss_mb: Some(peak_rss_mb(quire.child.id())),
        },
    );
    Ok(())
}

/// Q1 from `concurrency` clients on a Quire process with the response cache on, while an
/// editor saves a press release every 100 ms: the answers about news stay cached.
#[allow(clippy::too_many_arguments)]
async fn cached_while_an_editor_saves(
    args: &Args,
    dir: &std::path::Path,
    quire: &Server,
    q1: &Requests,
    press_release: &str,
    token: &str,
    concurrency: usize,
    top_rate: f64,
) -> anyhow::Result<()> {
    let graphql = format!("{}/graphql", quire.base);
    reset_peak_rss(quire.child.id());
    let load = Load::warm(&graphql, q1, concurrency, dir)?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let editor = {
        let (graphql, id, token, stop) =
            (graphql.clone(), press_release.to_string(), token.to_string(), stop.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut saves = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let update = json!({ "query": "mutation($id: ID!, $s: String) { updatePressRelease(id: $id, input: { summary: $s }) { version } }", "variables": { "id": id, "s": format!("Summary {saves}") } });
                let answer = client.post(&graphql).bearer_auth(&token).json(&update).send().await;
                if answer.is_ok_and(|a| a.status().is_success()) {
                    saves += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            saves
        })
    };
    let (_, hits, misses) = counts(&quire.base).await?;
    let measured = load.run(args.seconds).await?;
    let (_, hits_after, misses_after) = counts(&quire.base).await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let saves = editor.await?;
    let looked_up = (hits_after - hits) + (misses_after - misses);
    print_line(
        args,
        Line {
            name: &format!(
                "Q1 cached while an editor saves a press release every 100 ms ({saves} saves)"
            ),
            concurrency,
            measured: &measured,
            top_rate,
            sql_per_request: None,
            hit_rate: (looked_up > 0.0).then(|| (hits_after - hits) / looked_up),
            rss_mb: Some(peak_rss_mb(quire.child.id())),
        },
    );
    Ok(())
}

/// The costliest operations the default limits still allow, and two they refuse, in turn.
fn costliest_requests() -> Requests {
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
    let bodies = [ALLOWED[0].to_string(), ALLOWED[1].to_string(), bomb, format!("{{ {aliases} }}")]
        .into_iter()
        .map(|query| json!({ "query": query }))
        .collect();
    Requests { bodies, token: None }
}

/// Q1 from `concurrency` clients while as many others send the costliest operations the
/// limits allow (and some they refuse), on a Quire process of its own: Q1's p99 and the
/// process's peak memory say what one hostile neighbour costs.
async fn beside_the_costliest(
    args: &Args,
    url: &str,
    dir: &std::path::Path,
    q1: &Requests,
    concurrency: usize,
    top_rate: f64,
) -> anyhow::Result<()> {
    let quire = start_quire(url, dir, args.pool, 0)?;
    let graphql = format!("{}/graphql", quire.base);
    let (q1_load, hostile_load) = (
        Load::warm(&graphql, q1, concurrency, dir)?,
        Load::warm(&graphql, &costliest_requests(), concurrency, dir)?,
    );
    let (q1_measured, hostile) =
        tokio::join!(q1_load.run(args.seconds), hostile_load.run(args.seconds));
    let (q1_measured, hostile) = (q1_measured?, hostile?);
    let name = format!("Q1 beside {concurrency} clients of the costliest allowed");
    let line = |name, measured| Line {
        name,
        concurrency,
        measured,
        top_rate,
        sql_per_request: None,
        hit_rate: None,
        rss_mb: Some(peak_rss_mb(quire.child.id())),
    };
    print_line(args, line(&name, &q1_measured));
    // Half of them are refused, with errors in 200 answers: wrk counts statuses only.
    print_line(args, line("(the costliest: half allowed, half refused)", &hostile));
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
    let ceiling = start_ceiling(&q1_bytes, dir.path())?;
    let served = client.post(&ceiling.url).json(&q1).send().await?;
    if !served.status().is_success() || served.bytes().await? != q1_bytes {
        bail!("the ceiling does not answer with Q1's bytes");
    }

    // The press release the editor saves in the last cached row.
    let create = json!({ "query": "mutation { createPressRelease(input: { title: \"Bench release\" }) { id } }" });
    let created: Value =
        client.post(&graphql).bearer_auth(&token).json(&create).send().await?.json().await?;
    let press_release = created["data"]["createPressRelease"]["id"]
        .as_str()
        .with_context(|| format!("creating a press release: {created}"))?
        .to_string();

    let q1_requests = Requests::one(q1.clone());
    let q2_requests = Requests {
        bodies: articles
            .iter()
            .rev()
            .take(1000)
            .map(|(_, slug)| json!({ "query": "query($s: String!) { newsArticle(slug: $s) { id title body bodyHtml publishedAt } }", "variables": { "s": slug } }))
            .collect(),
        token: None,
    };
    let q3_requests = Requests::one(json!({ "query": HOME_PAGE }));
    let m1_requests = Requests {
        bodies: articles
            .iter()
            .rev()
            .take(1000)
            .enumerate()
            .map(|(n, (id, _))| {
                let id = quire_api::graphql::global_id("NewsArticle", *id).to_string();
                json!({ "query": "mutation($id: ID!, $s: String) { updateNewsArticle(id: $id, input: { summary: $s }) { version } }", "variables": { "id": id, "s": format!("Summary {n}") } })
            })
            .collect(),
        token: Some(token.clone()),
    };

    println!();
    println!(
        "Quire benchmark: {} items on {}, {} s per run, machine: {} cores; load from wrk, ceiling: nginx",
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
        "| operation | db | concurrency | req/s | p50 ms | p99 ms | ratio to ceiling | SQL/request | cache hits | errors | peak RSS MB |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for &concurrency in &args.concurrency {
        let top = drive(&ceiling.url, &q1_requests, concurrency, args.seconds, dir.path()).await?;
        let top_rate = top.rate;
        print_line(
            &args,
            Line {
                name: "ceiling (nginx, static Q1 bytes)",
                concurrency,
                measured: &top,
                top_rate,
                sql_per_request: None,
                hit_rate: None,
                rss_mb: None,
            },
        );
        for (name, requests) in [
            ("Q1 20 newest news", &q1_requests),
            ("Q2 article by slug", &q2_requests),
            ("Q3 home page", &q3_requests),
            ("M1 update by an editor", &m1_requests),
        ] {
            row(&args, dir.path(), &quire, name, requests, concurrency, top_rate).await?;
        }
        if args.db == "postgres" {
            vacuum(&database.url).await?;
        }
        if args.db == "sqlite" {
            // The same reads with every row through the pool's connection threads, as
            // before direct reads: what that change is worth, in this run.
            let pooled = start_quire_with(&database.url, dir.path(), args.pool, 0, false)?;
            for (name, requests) in [
                ("Q1 through the pool only", &q1_requests),
                ("Q2 through the pool only", &q2_requests),
                ("Q3 through the pool only", &q3_requests),
            ] {
                row(&args, dir.path(), &pooled, name, requests, concurrency, top_rate).await?;
            }
        }
        // A process of its own, started after the writes above, with the default cache:
        // its peak memory is its own, and no answer it caches is from before M1.
        let cached = start_quire(
            &database.url,
            dir.path(),
            args.pool,
            CachingConfig::default().response_cache_mb,
        )?;
        for (name, requests) in
            [("Q1 cached", &q1_requests), ("Q2 cached", &q2_requests), ("Q3 cached", &q3_requests)]
        {
            row(&args, dir.path(), &cached, name, requests, concurrency, top_rate).await?;
        }
        cached_while_an_editor_saves(
            &args,
            dir.path(),
            &cached,
            &q1_requests,
            &press_release,
            &token,
            concurrency,
            top_rate,
        )
        .await?;
        drop(cached);
        beside_the_costliest(&args, &database.url, dir.path(), &q1_requests, concurrency, top_rate)
            .await?;
    }
    drop(ceiling);
    drop(quire);
    if args.keep_data {
        eprintln!("kept: {} in {}", database.url, dir.keep().display());
        return Ok(());
    }
    drop_database(&database).await
}

/// Clears the dead row versions M1's updates left. Autovacuum would soon do it on a server
/// where it is on (it is off on some); without it, every later row read a table of which
/// up to a third was dead versions: Q1 at c=64 measured 40% below Q1 at c=16, and after a
/// `VACUUM` it measured as high.
async fn vacuum(url: &str) -> anyhow::Result<()> {
    let conn = sea_orm::Database::connect(url).await?;
    conn.execute_unprepared("VACUUM ANALYZE").await?;
    conn.close().await?;
    Ok(())
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
