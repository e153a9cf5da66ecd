//! Tests that need a service this machine may lack are compiled as ignored when the
//! variable that points at the service is not set, so `cargo test` lists them as ignored
//! rather than passing them silently; under CI, `ci_runs_every_backend` fails instead.

fn main() {
    for (variable, cfg) in [
        ("QUIRE_TEST_POSTGRES_URL", "quire_test_postgres"),
        ("QUIRE_TEST_S3S_FS", "quire_test_s3"),
        ("QUIRE_TEST_CHROMEDRIVER", "quire_test_browser"),
    ] {
        println!("cargo::rerun-if-env-changed={variable}");
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if std::env::var_os(variable).is_some_and(|value| !value.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
