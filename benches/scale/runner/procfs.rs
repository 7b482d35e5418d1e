//! What `/proc` says about the console process: memory (`VmRSS`, `VmHWM`) and CPU time
//! (`utime + stime`, in clock ticks).

use std::time::{Duration, Instant};

/// Resident memory now and its high-water mark, in kB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

pub fn memory(pid: i32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse().ok())
    };
    Some(Memory {
        rss_kb: field("VmRSS:")?,
        hwm_kb: field("VmHWM:")?,
    })
}

/// CPU time the process used so far (user + system, all threads).
pub fn cpu_time(pid: i32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ...": comm may contain spaces; fields after it start at state (3).
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after comm.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / clock_ticks()))
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// A CPU window: [`CpuWindow::start`], then [`CpuWindow::percent`] of one core since.
pub struct CpuWindow {
    pid: i32,
    cpu: Duration,
    wall: Instant,
}

impl CpuWindow {
    pub fn start(pid: i32) -> Option<CpuWindow> {
        Some(CpuWindow {
            pid,
            cpu: cpu_time(pid)?,
            wall: Instant::now(),
        })
    }

    /// Percent of one core used since the start.
    pub fn percent(&self) -> Option<f64> {
        let used = cpu_time(self.pid)?.saturating_sub(self.cpu);
        let wall = self.wall.elapsed().as_secs_f64();
        (wall > 0.0).then(|| used.as_secs_f64() / wall * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_cpu_time() {
        let pid = std::process::id() as i32;
        let m = memory(pid).expect("own /proc status");
        assert!(m.rss_kb > 0 && m.hwm_kb >= m.rss_kb);
        assert!(cpu_time(pid).is_some());
    }
}
