//! How others join a server: the addresses of this machine that other computers can reach,
//! and the line each kind of client types to join.

use std::net::{IpAddr, SocketAddr};

/// This machine's addresses others can reach: every interface that is up, except loopback
/// and IPv6 link-local ones (they need an interface name to be typed).
pub fn reachable_addresses() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    // A machine has at most a few hundred interfaces; the bound keeps a strange list short.
    for interface in if_addrs::get_if_addrs()
        .unwrap_or_default()
        .iter()
        .take(4096)
    {
        if matches!(
            interface.oper_status,
            if_addrs::IfOperStatus::Down | if_addrs::IfOperStatus::NotPresent
        ) {
            continue;
        }
        let ip = interface.ip();
        let link_local_v6 = matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80);
        if !ip.is_loopback() && !ip.is_unspecified() && !link_local_v6 && !out.contains(&ip) {
            out.push(ip);
        }
    }
    // IPv4 first: it is what people read out to a class.
    out.sort_by_key(|ip| ip.is_ipv6());
    out
}

/// What a client of each kind types to join the server at `addr`.
pub fn join_lines(addr: SocketAddr, tcp: bool) -> Vec<(&'static str, String)> {
    let (ip, port) = (addr.ip(), addr.port());
    let host = match ip {
        IpAddr::V6(_) => format!("[{ip}]"),
        IpAddr::V4(_) => ip.to_string(),
    };
    let protocol = if tcp { "--tcp " } else { "" };
    vec![
        (
            "sclang",
            format!("s = Server.remote(\\class, NetAddr(\"{ip}\", {port})); s.makeWindow;"),
        ),
        (
            "supriya",
            format!(
                "server = supriya.Server().connect(ip_address=\"{ip}\", port={port}{})",
                if tcp { ", protocol=\"tcp\"" } else { "" }
            ),
        ),
        (
            "scpanel",
            format!("scpanel status {protocol}--addr {host}:{port}"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_the_address_for_each_client() {
        let lines = join_lines("192.0.2.7:57110".parse().unwrap(), false);
        assert_eq!(
            lines[0].1,
            "s = Server.remote(\\class, NetAddr(\"192.0.2.7\", 57110)); s.makeWindow;"
        );
        assert!(lines[1].1.contains("ip_address=\"192.0.2.7\", port=57110"));
        assert_eq!(lines[2].1, "scpanel status --addr 192.0.2.7:57110");
        let v6 = join_lines("[2001:db8::1]:57110".parse().unwrap(), true);
        assert_eq!(v6[2].1, "scpanel status --tcp --addr [2001:db8::1]:57110");
    }

    #[test]
    fn no_loopback_address_is_offered() {
        assert!(reachable_addresses().iter().all(|ip| !ip.is_loopback()));
    }
}
