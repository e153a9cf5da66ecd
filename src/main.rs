//! The `quire` binary: parse the command line, start logging, run the command.

use std::time::Duration;

use clap::Parser;
use quire_api::cli::{self, Cli};

/// mimalloc rather than the C library's allocator: a request makes and frees hundreds of
/// small values, and glibc's malloc and free took a fifth of a list request's CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
