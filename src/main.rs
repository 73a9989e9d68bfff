//! The `opsbook` binary: parse the command line, run the library, exit with its code.

use clap::Parser;

// Parsing and rendering allocate many small strings from several threads; mimalloc does that
// markedly faster than the system allocator (see the benchmark notes in README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

/// `mi_option_purge_delay` in mimalloc.h (libmimalloc-sys does not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A build touches a few hundred MiB once. Faulting that memory in as transparent huge pages
/// (mimalloc asks for them) made the kernel zero 2 MiB at a time and kept more memory resident:
/// at 10,000 runbooks, system time 0.72 -> 0.45 s and peak RSS 390 -> 350 MiB without them.
/// This runs before `main`, as the standard library's start-up makes the first allocations
/// (its first two pages were still huge pages when `main` did it: ~4 MiB zeroed per run).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static DISABLE_THP: extern "C" fn() = {
    extern "C" fn disable_thp() {
        // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag on this process.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
    disable_thp
};

fn main() -> ExitCode {
    // mimalloc 3 keeps freed memory for a second before it gives it back (purge_delay = 1000
    // ms). A build frees each runbook's body as its page is written, while other pages are
    // still being rendered; with the default those pages stayed resident to the end. 25 ms: at
    // 10,000 runbooks peak RSS 207 -> 191 MiB, time within noise (3 ms: 187 MiB, a little more
    // system time). `MIMALLOC_PURGE_DELAY` still overrides it.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options; any value is valid.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 25) };
    }
    let cli = opsbook::cli::Cli::parse();
    ExitCode::from(opsbook::commands::run(cli))
}
