//! Who holds a port: when boot fails with "address in use", find the process (Linux: from
//! `/proc/net/{udp,tcp}{,6}` and `/proc/*/fd`) so the user can connect to it or stop it.

use std::time::Duration;

use super::options::Protocol;

/// A process listening on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortHolder {
    pub pid: u32,
    /// Its command line, arguments joined by spaces.
    pub command: String,
}

impl PortHolder {
    /// Whether it looks like a SuperCollider server (so connecting to it makes sense).
    pub fn is_scsynth(&self) -> bool {
        let program = self.command.split_whitespace().next().unwrap_or("");
        program.ends_with("scsynth") || program.ends_with("supernova")
    }
}

/// Socket inodes bound to `port` in one `/proc/net` table.
fn inodes_in(table: &str, port: u16) -> Vec<u64> {
    let want = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
            let local = cols.get(1)?;
            if !local.ends_with(&want) {
                return None;
            }
            cols.get(9)?.parse().ok().filter(|i| *i != 0)
        })
        .collect()
}

/// The process holding `port` for `protocol`, if one can be seen.
pub fn port_holder(port: u16, protocol: Protocol) -> Option<PortHolder> {
    let tables: &[&str] = match protocol {
        Protocol::Udp => &["/proc/net/udp", "/proc/net/udp6"],
        Protocol::Tcp => &["/proc/net/tcp", "/proc/net/tcp6"],
    };
    let inodes: Vec<u64> = tables
        .iter()
        .filter_map(|t| std::fs::read_to_string(t).ok())
        .flat_map(|t| inodes_in(&t, port))
        .collect();
    if inodes.is_empty() {
        return None;
    }
    let targets: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            if targets.iter().any(|t| link.as_os_str() == t.as_str()) {
                return Some(PortHolder {
                    pid,
                    command: command_line(pid).unwrap_or_else(|| format!("process {pid}")),
                });
            }
        }
    }
    None
}

/// A process's command line from `/proc/PID/cmdline`.
pub fn command_line(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let parts: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    // Shown to the user: another server's password stays hidden.
    (!parts.is_empty()).then(|| super::options::redacted_command_line(&parts))
}

/// Stops exactly one process the user chose (after confirming): SIGTERM, then SIGKILL after
/// `grace`. Returns whether it is gone. Never by name: a stale server is stopped by its pid.
pub async fn stop_process(holder: &PortHolder, grace: Duration) -> bool {
    #[cfg(unix)]
    {
        // Re-check that the pid still runs the same command: pids are reused.
        if command_line(holder.pid).as_deref() != Some(holder.command.as_str()) {
            return !std::path::Path::new(&format!("/proc/{}", holder.pid)).exists();
        }
        let Ok(pid) = i32::try_from(holder.pid) else {
            return false;
        };
        // SAFETY: kill(2) on a pid the user picked and we just re-checked.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = tokio::time::Instant::now() + grace;
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        while tokio::time::Instant::now() < deadline {
            tick.tick().await;
            if !alive(holder.pid) {
                return true;
            }
        }
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        for _ in 0..50 {
            tick.tick().await;
            if !alive(holder.pid) {
                return true;
            }
        }
        false
    }
    #[cfg(not(unix))]
    {
        let _ = (holder, grace);
        false
    }
}

fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let zombie = stat
        .rsplit(')')
        .next()
        .is_some_and(|s| s.trim_start().starts_with('Z'));
    // A zombie leader whose other threads are still exiting keeps its sockets open.
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count());
    !zombie || threads > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_holder_of_a_port_we_bind() {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        let holder = port_holder(port, Protocol::Udp).expect("our own socket");
        assert_eq!(holder.pid, std::process::id());
        assert!(!holder.is_scsynth());
        drop(sock);
        assert_eq!(port_holder(port, Protocol::Udp), None);
    }

    #[test]
    fn parses_proc_net_lines() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n  \
                     1: 0100007F:DF06 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123456 2 0000000000000000 0\n";
        assert_eq!(inodes_in(table, 57094), vec![123456]);
        assert!(inodes_in(table, 57110).is_empty());
    }
}
