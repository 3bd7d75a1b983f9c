//! Describes the machine a result was measured on: CPU model, cores, kernel, memory.

use serde::Serialize;

/// The machine, as recorded beside every result.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MachineInfo {
    /// CPU model name from /proc/cpuinfo.
    pub cpu_model: String,
    /// Online logical CPUs.
    pub cores: usize,
    /// Kernel release (uname -r).
    pub kernel: String,
    /// Total memory in bytes.
    pub memory_bytes: u64,
    /// Host name.
    pub hostname: String,
}

impl MachineInfo {
    /// Reads the running machine's description; unknown parts read "unknown".
    pub fn current() -> MachineInfo {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpu_model = read("/proc/cpuinfo")
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".into(), |(_, v)| v.trim().to_owned());
        let memory_bytes = read("/proc/meminfo")
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024);
        let or_unknown =
            |s: String| if s.trim().is_empty() { "unknown".into() } else { s.trim().to_owned() };
        MachineInfo {
            cpu_model,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            kernel: or_unknown(read("/proc/sys/kernel/osrelease")),
            memory_bytes,
            hostname: or_unknown(read("/proc/sys/kernel/hostname")),
        }
    }
}

/// The git commit of the working directory, if it is a git checkout (`unknown` otherwise).
/// A `-dirty` suffix marks uncommitted changes.
pub fn git_commit() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(commit) if !commit.is_empty() => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}-dirty")
            } else {
                commit
            }
        }
        _ => "unknown".into(),
    }
}
