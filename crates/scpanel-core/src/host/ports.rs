//! Who holds a port: when boot fails with "address in use", find the process (Linux: from
//! `/proc/net/{udp,tcp}{,6}` and `/proc/*/fd`) so the user can connect to it or stop it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

pub use crate::error::PortHolder;
use crate::host::process::pidfd;
use crate::model::options::Protocol;

/// An address as `/proc/net` prints it: the raw bytes in host order, 8 or 32 hex digits.
fn proc_ip(hex: &str) -> Option<IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(w.to_ne_bytes())
    };
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(b)).to_canonical())
        }
        _ => None,
    }
}

/// Whether a socket bound to `local` takes `want`'s port from it: the same address, or either
/// side bound to every address.
fn overlaps(local: IpAddr, want: IpAddr) -> bool {
    local.is_unspecified() || want.is_unspecified() || local == want.to_canonical()
}

/// TCP's LISTEN state, and the state of a UDP socket nobody `connect`ed (TCP_CLOSE).
const TCP_LISTEN: &str = "0A";
const UDP_UNCONNECTED: &str = "07";

/// Inodes of the sockets in one `/proc/net` table that hold `port` on `ip`: listening TCP or
/// unconnected UDP. A client socket that happens to use the number holds nothing a server needs.
fn inodes_in(table: &str, ip: IpAddr, port: u16, protocol: Protocol) -> Vec<u64> {
    let want_state = match protocol {
        Protocol::Udp => UDP_UNCONNECTED,
        Protocol::Tcp => TCP_LISTEN,
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
            let (local, remote, state) = (cols.nth(1)?, cols.next()?, cols.next()?);
            let (local_ip, local_port) = local.split_once(':')?;
            if u16::from_str_radix(local_port, 16).ok()? != port || state != want_state {
                return None;
            }
            let remote_port = remote.split_once(':').map(|(_, p)| p)?;
            if protocol == Protocol::Udp && u16::from_str_radix(remote_port, 16).ok()? != 0 {
                return None;
            }
            if !overlaps(proc_ip(local_ip)?, ip) {
                return None;
            }
            cols.nth(5)?.parse().ok().filter(|i| *i != 0)
        })
        .collect()
}

/// The process holding `port` on `ip` for `protocol`, if one can be seen.
pub(crate) fn port_holder(ip: IpAddr, port: u16, protocol: Protocol) -> Option<PortHolder> {
    let tables: &[&str] = match protocol {
        Protocol::Udp => &["/proc/net/udp", "/proc/net/udp6"],
        Protocol::Tcp => &["/proc/net/tcp", "/proc/net/tcp6"],
    };
    let inodes: Vec<u64> = tables
        .iter()
        .filter_map(|t| std::fs::read_to_string(t).ok())
        .flat_map(|t| inodes_in(&t, ip, port, protocol))
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
    (!parts.is_empty()).then(|| crate::model::options::redacted_command_line(&parts))
}

/// Stops exactly one process the user chose (after confirming): SIGTERM, then SIGKILL after
/// `grace`. Returns whether it is gone. Never by name: a stale server is stopped by its pid,
/// through a pidfd where the kernel has one, and only while the pid still runs the command
/// the user saw (pids are reused).
pub async fn stop_process(holder: &PortHolder, grace: Duration) -> bool {
    // Opened first: if the pid still runs the same command after this, the pidfd names it.
    let pidfd = pidfd::open(holder.pid);
    let still_it = || command_line(holder.pid).as_deref() == Some(holder.command.as_str());
    let gone = || match &pidfd {
        Some(fd) => fd.ended(),
        None => !alive(holder.pid),
    };
    let signal = |sig: i32| match &pidfd {
        Some(fd) => fd.send(sig),
        None => pidfd::kill(holder.pid, sig),
    };
    if !still_it() {
        return gone();
    }
    #[cfg(unix)]
    {
        signal(libc::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        while tokio::time::Instant::now() < deadline {
            tick.tick().await;
            if gone() {
                return true;
            }
        }
        if !still_it() {
            return gone();
        }
        signal(libc::SIGKILL);
        for _ in 0..50 {
            tick.tick().await;
            if gone() {
                return true;
            }
        }
        false
    }
    #[cfg(not(unix))]
    {
        let _ = (grace, signal);
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

    const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn finds_the_holder_of_a_port_we_bind() {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        let holder = port_holder(LOCALHOST, port, Protocol::Udp).expect("our own socket");
        assert_eq!(holder.pid, std::process::id());
        assert!(!holder.is_scsynth());
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        assert!(
            port_holder(any, port, Protocol::Udp).is_some(),
            "0.0.0.0 overlaps"
        );
        let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(
            port_holder(other, port, Protocol::Udp),
            None,
            "another address"
        );
        drop(sock);
        assert_eq!(port_holder(LOCALHOST, port, Protocol::Udp), None);
    }

    #[test]
    fn a_client_socket_on_the_number_holds_nothing() {
        // A connected UDP socket: it uses the port number but is no server's.
        let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(peer.local_addr().unwrap()).unwrap();
        let port = client.local_addr().unwrap().port();
        assert_eq!(port_holder(LOCALHOST, port, Protocol::Udp), None);
        // TCP: the listener holds its port; the client's port and the accepted socket don't.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let lport = listener.local_addr().unwrap().port();
        let stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_accepted, _) = listener.accept().unwrap();
        let cport = stream.local_addr().unwrap().port();
        assert_eq!(port_holder(LOCALHOST, cport, Protocol::Tcp), None);
        assert!(port_holder(LOCALHOST, lport, Protocol::Tcp).is_some());
        drop(listener);
        assert_eq!(
            port_holder(LOCALHOST, lport, Protocol::Tcp),
            None,
            "an accepted connection on the number is not a listener"
        );
    }

    #[test]
    fn parses_proc_net_lines() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n  \
                     1: 0100007F:DF06 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123456 2 0000000000000000 0\n  \
                     2: 0100007F:DF07 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 123457 2 0000000000000000 0\n";
        assert_eq!(
            inodes_in(table, LOCALHOST, 57094, Protocol::Udp),
            vec![123456]
        );
        assert!(inodes_in(table, LOCALHOST, 57110, Protocol::Udp).is_empty());
        assert!(
            inodes_in(table, LOCALHOST, 57095, Protocol::Udp).is_empty(),
            "a connected UDP socket"
        );
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
                  0: 00000000000000000000000001000000:DF06 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 0\n";
        assert_eq!(
            inodes_in(v6, IpAddr::V6(Ipv6Addr::LOCALHOST), 57094, Protocol::Udp),
            vec![99]
        );
        assert!(inodes_in(v6, LOCALHOST, 57094, Protocol::Udp).is_empty());
    }

    #[tokio::test]
    async fn stops_only_the_command_it_was_shown() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        // Until its exec is done, /proc shows the test's own command line (or none).
        for _ in 0..2000 {
            if command_line(pid).as_deref() == Some("sleep 30") {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let stranger = PortHolder {
            pid,
            command: "scsynth -u 57110".into(),
        };
        assert!(
            !stop_process(&stranger, Duration::from_millis(100)).await,
            "a pid running another command is not signalled"
        );
        assert!(child.try_wait().unwrap().is_none(), "it still runs");
        let holder = PortHolder {
            pid,
            command: "sleep 30".into(),
        };
        // It stays a zombie until reaped, and its pidfd says it ended.
        assert!(stop_process(&holder, Duration::from_secs(2)).await);
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGTERM));
    }
}
