//! `sluice-broker`: see `sluice-broker --help`.

use std::process::ExitCode;

use clap::Parser;
use sluice_broker::config::{Args, BrokerConfig};

/// Exit status for a configuration error (as clap uses for usage errors).
const EXIT_CONFIG: u8 = 2;
/// Exit status for a failure while starting or running.
const EXIT_FAILURE: u8 = 1;

/// Allocations below this come from malloc's arenas instead of fresh `mmap`s.
const MALLOC_MMAP_THRESHOLD_BYTES: i32 = 64 * 1024 * 1024;
/// Free memory at the top of an arena kept for reuse instead of returned to the kernel.
const MALLOC_TRIM_THRESHOLD_BYTES: i32 = 256 * 1024 * 1024;

fn main() -> ExitCode {
    keep_large_allocations_mapped();
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = match BrokerConfig::load(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    match sluice_broker::runtime::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// Every direct-I/O write takes its DMA buffer with it and the appender allocates a fresh one
/// (glommio's `write_at` consumes the buffer), so the broker allocates and frees a buffer of up
/// to a few MiB per write. With glibc's defaults those come from `mmap` and go back with
/// `munmap`, and every page of every buffer faults in again: measured at 186 000 minor faults
/// per GB produced. Served from arenas that keep their free memory, the same pages are reused.
fn keep_large_allocations_mapped() {
    // SAFETY: mallopt only changes allocator parameters; it runs before any other thread
    // exists. A refusal (return 0) leaves the defaults, which are correct, only slower.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD_BYTES);
        libc::mallopt(libc::M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD_BYTES);
    }
}
