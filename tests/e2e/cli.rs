//! The `quire` command line on a fresh machine: serve with no setting, stop on SIGTERM,
//! migrate, seed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{TestApp, data, e2e};

fn quire() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
    command.env("QUIRE_LOG", "error").env_remove("QUIRE_DATABASE_URL");
    command
}

#[tokio::test]
async fn serve_needs_no_setting_and_stops_cleanly_on_sigterm() {
    serve_then_stop("-TERM").await;
}

#[tokio::test]
async fn serve_stops_cleanly_on_ctrl_c() {
    serve_then_stop("-INT").await;
}

/// Serves the example site with no setting but the port, then sends `signal`.
async fn serve_then_stop(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    // Only the port differs from the defaults, so that tests can run side by side.
    let mut child = quire()
        .current_dir(dir.path())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--seed-example",
            "lls",
            "--examples-dir",
            examples,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // The pipe is closed after the first URL: serving must go on regardless.
    let url = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.split_once("GraphiQL: ").map(|(_, url)| url.trim().to_string()))
    })
    .await
    .unwrap()
    .expect("serve prints its URL");

    let body: Value = crate::support::http_client()
        .post(&url)
        .json(&json!({ "query": "{ page(path: \"home\") { title } news { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data(&body)["page"]["title"], "Welcome to the London Leadership Strategy");
    assert!(data(&body)["news"]["totalCount"].as_u64().unwrap() >= 3);
    assert!(dir.path().join("data/quire.db").is_file(), "the default database is ./data/quire.db");

    let killed = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        for _ in 0..100 {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        None
    })
    .await
    .unwrap()
    .expect("quire stops within five seconds of the signal");
    assert!(status.success(), "{status}");
}

async fn migrate_and_seed_commands_work_on_the_database(app: TestApp) {
    let migrate = |action: &str| {
        let output = quire()
            .args(["migrate", action])
            .env("QUIRE_DATABASE_URL", &app.database_url)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    migrate("status");
    // One migration reverted: the running server is no longer ready, until it is back.
    migrate("down");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    migrate("up");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let seed = quire()
            .args(["seed", "--example", "lls", "--examples-dir", examples])
            .env("QUIRE_DATABASE_URL", &app.database_url)
            .output()
            .unwrap();
        assert!(seed.status.success(), "{}", String::from_utf8_lossy(&seed.stderr));
        outputs.push(String::from_utf8(seed.stdout).unwrap());
    }
    assert!(outputs[0].contains("(0 were already there)"), "{}", outputs[0]);
    assert!(outputs[1].starts_with("Loaded 0 items"), "{}", outputs[1]);
    let listed =
        app.gql("{ pressReleases { nodes { title notesToEditorsHtml } } }", json!({})).await;
    let releases = data(&listed)["pressReleases"]["nodes"].as_array().unwrap().clone();
    assert_eq!(releases.len(), 2);
    assert!(releases.iter().all(|r| r["notesToEditorsHtml"].as_str().unwrap().contains("<li>")));
}
e2e!(migrate_and_seed_commands_work_on_the_database);

async fn the_built_in_example_site_loads_from_anywhere(app: TestApp) {
    // A folder with no examples/ in it, as for an installed binary or a container.
    let elsewhere = tempfile::tempdir().unwrap();
    let seed = |example: &str| {
        quire()
            .current_dir(elsewhere.path())
            .args(["seed", "--example", example])
            .env("QUIRE_DATABASE_URL", &app.database_url)
            .env("QUIRE_DATA_DIR", app.data_dir())
            .env_remove("QUIRE_EXAMPLES_DIR")
            .output()
            .unwrap()
    };
    let first = seed("lls");
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let again = seed("lls");
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("Loaded 0 items"));
    let home = app
        .gql(
            "{ page(path: \"home\") { title } booklets { nodes { file { byteSize } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&home)["page"]["title"],
        "Welcome to the London Leadership Strategy",
        "{home:#}"
    );
    let pdf =
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lls/booklets/9-pillars-of-greatness.pdf");
    let size = std::fs::metadata(pdf).unwrap().len();
    assert_eq!(data(&home)["booklets"]["nodes"], json!([{ "file": { "byteSize": size } }]));
    let unknown = seed("nope");
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("no example site named `nope`"), "{said}");
}
e2e!(the_built_in_example_site_loads_from_anywhere);

/// Every setting that may carry a password, a key or a token, with a value to look for.
const SECRETS: [(&str, &str); 5] = [
    ("QUIRE_DATABASE_URL", "postgres://quire:hunter2@db/quire"),
    ("QUIRE_DATABASE_READ_URL", "postgres://reader:hunter3@replica/quire"),
    ("QUIRE_S3_ACCESS_KEY_ID", "AKIAHUNTER4"),
    ("QUIRE_S3_SECRET_ACCESS_KEY", "hunter5secret"),
    ("QUIRE_SMTP_URL", "smtps://mailer:hunter6@smtp.example.org"),
];

#[test]
fn help_shows_no_secret_taken_from_the_environment() {
    let commands: [&[&str]; 6] = [
        &["serve"],
        &["migrate"],
        &["seed"],
        &["backup"],
        &["token", "create"],
        &["user", "create"],
    ];
    for command in commands {
        let mut quire = quire();
        quire.args(command).arg("--help");
        for (name, value) in SECRETS {
            quire.env(name, value);
        }
        let output = quire.output().unwrap();
        assert!(output.status.success(), "{command:?}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("QUIRE_DATABASE_URL"), "{command:?} names the setting:\n{help}");
        for (name, value) in SECRETS {
            assert!(!help.contains(value), "`{command:?} --help` shows {name}:\n{help}");
        }
        assert!(!help.contains("hunter"), "{command:?}:\n{help}");
    }
}
