//! The `opsbook` binary: parse the command line, run the library, exit with its code.

use clap::Parser;

// Parsing and rendering allocate many small strings from several threads; mimalloc does that
// markedly faster than the system allocator (see the benchmark notes in README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = opsbook::cli::Cli::parse();
    ExitCode::from(opsbook::commands::run(cli))
}
