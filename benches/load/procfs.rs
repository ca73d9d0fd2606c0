//! What Linux says about a process: CPU time (`/proc/<pid>/stat`) and memory
//! (`/proc/<pid>/status`), and about the machine (`/proc/loadavg`, `/proc/cpuinfo`).

use std::time::Duration;

/// The kernel's clock tick for `utime`/`stime`: `USER_HZ`, 100 on every Linux architecture
/// that exposes it to user space.
const TICKS_PER_SECOND: f64 = 100.0;

/// User + system CPU time of a process (all its threads, living and exited).
pub fn cpu_time(pid: u32) -> Result<Duration, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("reading /proc/{pid}/stat: {e}"))?;
    // The command name is in parentheses and may contain spaces: count from the last `)`.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("/proc/<pid>/stat has no command name")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state(3) ppid(4) ... utime(14) stime(15), so indices 11 and 12 here.
    let ticks = |i: usize| -> Result<u64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("/proc/{pid}/stat: no field {}", i + 3))
    };
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_secs_f64(total as f64 / TICKS_PER_SECOND))
}

/// A `VmXXX:` line of `/proc/<pid>/status`, in bytes.
pub fn status_bytes(pid: u32, field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| format!("/proc/{pid}/status has no {field}"))
}

/// Peak resident set size.
pub fn peak_rss(pid: u32) -> Result<u64, String> {
    status_bytes(pid, "VmHWM")
}

/// Current resident set size.
pub fn rss(pid: u32) -> Result<u64, String> {
    status_bytes(pid, "VmRSS")
}

/// The 1-, 5- and 15-minute load averages.
pub fn load_average() -> Option<(f64, f64, f64)> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut words = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some((words.next()??, words.next()??, words.next()??))
}

/// The CPU model and the number of CPUs this process may use.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kib| format!(", {:.0} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{cpus} CPUs ({model}){memory}")
}
