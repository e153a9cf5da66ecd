//! The `quire` binary: parse the command line, start logging, run the command.

use std::time::Duration;

use clap::Parser;
use quire_api::cli::{self, Cli};

fn main() -> anyhow::Result<()> {
    quire_api::tls::install_crypto_provider();
    let cli = Cli::parse();
    quire_api::telemetry::init(cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = runtime.block_on(cli::run(cli));
    // Work that outlived the shutdown grace period (a request still reading its body) is
    // dropped here rather than waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}
