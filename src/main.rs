//! The `opsbook` binary: parse the command line, run the library, exit with its code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = opsbook::cli::Cli::parse();
    ExitCode::from(opsbook::commands::run(cli))
}
