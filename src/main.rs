//! The `quire` binary: parse the command line, start logging, run the command.

use clap::Parser;
use quire_api::cli::{self, Cli};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    quire_api::telemetry::init(cli.log_format);
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(cli::run(cli))
}
