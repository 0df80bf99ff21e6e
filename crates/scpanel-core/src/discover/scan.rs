//! The subnet scan: one `/status` per address, rate-limited, from one UDP socket.

use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use rosc::OscPacket;
use tokio::net::UdpSocket;
use tokio::time::{Instant, MissedTickBehavior};

use super::{Found, Via};
use crate::model::options::Protocol;
use crate::wire::packet_guard;
use crate::wire::protocol::{StatusInfo, flatten, msg};

use crate::wire::transport::DEFAULT_PORT;

/// Most probes (addresses × ports) one scan sends; a bigger range is refused.
pub const MAX_PROBES: u64 = 65_536;

/// Highest rate a scan may be asked for, in probes per second. Probes are paced by tokio's
/// millisecond timer, so above about 1,000 a second the real rate falls short of the one asked.
pub const MAX_RATE: u32 = 10_000;

/// How fast [`probe_status`] asks the few addresses it is given.
const STATUS_RATE: u32 = 100;

/// What to scan: an IPv4 network (`10.0.0.0/24`) or host (`10.0.0.7`), and a port range
/// (`57110-57120`) or port (`57110`, the default when none is written).
///
/// Parsed from text: `127.0.0.1/30:57110-57120`, `192.168.1.0/24`, `10.0.0.7:57110`.
/// The host bits of a network are ignored (`127.0.0.1/30` is `127.0.0.0/30`). A network of
/// four or more addresses is scanned without its network and broadcast addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanTargets {
    network: Ipv4Addr,
    prefix: u8,
    ports: RangeInclusive<u16>,
}

impl ScanTargets {
    /// The targets of `network`/`prefix` on `ports`; `None` for a prefix over 32, a port 0 or
    /// an empty range.
    pub fn new(network: Ipv4Addr, prefix: u8, ports: RangeInclusive<u16>) -> Option<Self> {
        if prefix > 32 || *ports.start() == 0 || ports.start() > ports.end() {
            return None;
        }
        let mask = mask(prefix);
        Some(ScanTargets {
            network: Ipv4Addr::from(u32::from(network) & mask),
            prefix,
            ports,
        })
    }

    /// The ports scanned on each host.
    pub fn ports(&self) -> RangeInclusive<u16> {
        self.ports.clone()
    }

    /// The first and last host scanned, as numbers.
    fn host_range(&self) -> (u32, u32) {
        let first = u32::from(self.network);
        let last = first | !mask(self.prefix);
        if self.prefix < 31 {
            (first + 1, last - 1)
        } else {
            (first, last)
        }
    }

    /// How many hosts are scanned.
    pub fn host_count(&self) -> u64 {
        let (first, last) = self.host_range();
        u64::from(last - first) + 1
    }

    /// How many probes a scan sends: hosts × ports.
    pub fn probe_count(&self) -> u64 {
        let ports = u64::from(*self.ports.end() - *self.ports.start()) + 1;
        self.host_count() * ports
    }

    /// Refuses targets of more than [`MAX_PROBES`] probes, saying how many they are.
    pub fn check(&self) -> Result<(), String> {
        let count = self.probe_count();
        if count <= MAX_PROBES {
            return Ok(());
        }
        Err(format!(
            "{self} is {count} probes ({} hosts × {} ports); one scan sends at most \
             {MAX_PROBES}: narrow the network or the port range",
            self.host_count(),
            count / self.host_count()
        ))
    }

    /// Every address probed, host by host, each host's ports in order.
    pub fn addrs(&self) -> impl Iterator<Item = SocketAddr> + use<> {
        let (first, last) = self.host_range();
        let ports = self.ports.clone();
        (first..=last).flat_map(move |h| {
            ports
                .clone()
                .map(move |p| SocketAddr::from((Ipv4Addr::from(h), p)))
        })
    }
}

fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

impl FromStr for ScanTargets {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bad = |why: &str| {
            format!(
                "{t:?} is not a scan target ({why}): write an IPv4 address or network and ports, \
                 like 192.168.1.0/24:57110-57120 or 10.0.0.7:57110"
            )
        };
        let (host, ports) = match t.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (t, None),
        };
        let (ip, prefix) = match host.split_once('/') {
            Some((ip, prefix)) => (
                ip,
                prefix
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= 32)
                    .ok_or_else(|| bad("the prefix length is 0 to 32"))?,
            ),
            None => (host, 32),
        };
        let ip: Ipv4Addr = ip.parse().map_err(|_| bad("not an IPv4 address"))?;
        let port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("a port is 1 to 65535"))
        };
        let ports = match ports {
            None => DEFAULT_PORT..=DEFAULT_PORT,
            Some(p) => match p.split_once('-') {
                Some((a, b)) => port(a)?..=port(b)?,
                None => {
                    let p = port(p)?;
                    p..=p
                }
            },
        };
        ScanTargets::new(ip, prefix, ports).ok_or_else(|| bad("the port range is backwards"))
    }
}

impl std::fmt::Display for ScanTargets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}:", self.network, self.prefix)?;
        if self.ports.start() == self.ports.end() {
            write!(f, "{}", self.ports.start())
        } else {
            write!(f, "{}-{}", self.ports.start(), self.ports.end())
        }
    }
}

/// Sends one `/status` over UDP to every address of `targets`, at most `rate_per_second` a
/// second (1 to [`MAX_RATE`]) from one socket, and lists those that answered with a
/// `/status.reply` within `timeout` of the last probe, in address order. Refuses more than
/// [`MAX_PROBES`] probes. Only UDP is probed: a TCP server with a password aborts when a
/// connection closes without it.
pub async fn scan(
    targets: ScanTargets,
    rate_per_second: u32,
    timeout: Duration,
) -> Result<Vec<Found>, String> {
    targets.check()?;
    let answers = probe(
        targets.addrs(),
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        rate_per_second,
        timeout,
    )
    .await?;
    Ok(answers
        .into_iter()
        .map(|(addr, status)| Found {
            name: addr.to_string(),
            host: addr.ip().to_string(),
            addrs: vec![addr],
            protocol: Protocol::Udp,
            via: Via::Scan,
            status: Some(status),
        })
        .collect())
}

/// Asks every UDP server in `found` that has no status yet for `/status` (at its
/// [`Found::addr`]), and fills in the answers that come within `timeout`. TCP servers are
/// left as they are: a bare probe would abort one that has a password.
pub async fn probe_status(mut found: Vec<Found>, timeout: Duration) -> Result<Vec<Found>, String> {
    let asked = |v4: bool| -> Vec<SocketAddr> {
        let mut v: Vec<SocketAddr> = found
            .iter()
            .filter(|f| f.protocol == Protocol::Udp && f.status.is_none())
            .filter_map(Found::addr)
            .filter(|a| a.is_ipv4() == v4)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let (v4, v6) = (asked(true), asked(false));
    let ask = |addrs: Vec<SocketAddr>, bind: SocketAddr| async move {
        if addrs.is_empty() {
            return Ok(BTreeMap::new());
        }
        probe(addrs.into_iter(), bind, STATUS_RATE, timeout).await
    };
    let (a4, a6) = tokio::join!(
        ask(v4, SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))),
        ask(v6, SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0)))
    );
    let mut answers = a4?;
    // A machine without IPv6 still gets its IPv4 answers.
    answers.extend(a6.unwrap_or_default());
    for f in &mut found {
        if f.protocol == Protocol::Udp
            && f.status.is_none()
            && let Some(addr) = f.addr()
        {
            f.status = answers.get(&addr).copied();
        }
    }
    Ok(found)
}

/// The `/status.reply` in a datagram, through the same checks as a connection's replies.
fn status_in(bytes: &[u8]) -> Option<StatusInfo> {
    let packet = packet_guard::decode(bytes).ok()?;
    let mut messages = Vec::new();
    flatten(packet, &mut messages);
    messages.iter().find_map(|m| {
        packet_guard::check_reply(m).ok()?;
        StatusInfo::from_msg(m)
    })
}

/// Sends `/status` to each of `addrs` (all of `bind`'s family) from one socket bound to
/// `bind`, paced at `rate` a second, and collects the first status each one answers until
/// `timeout` after the last send (or until every one has answered).
async fn probe(
    addrs: impl Iterator<Item = SocketAddr>,
    bind: SocketAddr,
    rate: u32,
    timeout: Duration,
) -> Result<BTreeMap<SocketAddr, StatusInfo>, String> {
    if rate == 0 || rate > MAX_RATE {
        return Err(format!(
            "a scan's rate is 1 to {MAX_RATE} probes a second, not {rate}"
        ));
    }
    let socket = UdpSocket::bind(bind)
        .await
        .map_err(|e| format!("cannot open a UDP socket on {bind}: {e}"))?;
    let request = rosc::encoder::encode(&OscPacket::Message(msg("/status", [])))
        .map_err(|e| format!("cannot encode /status: {e}"))?;
    let mut pending = addrs.peekable();
    let mut asked: HashSet<SocketAddr> = HashSet::new();
    let mut answers = BTreeMap::new();
    let mut sent = 0u64;
    let mut send_error: Option<String> = None;
    let mut receive_errors = 0u64;
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut deadline = Instant::now() + timeout;
    // The biggest datagram; a longer one is cut and then refused by the packet checks.
    let mut buf = vec![0u8; 65_536];
    loop {
        let sending = pending.peek().is_some();
        if !sending && answers.len() == asked.len() {
            break;
        }
        tokio::select! {
            _ = tick.tick(), if sending => {
                if let Some(addr) = pending.next() {
                    asked.insert(addr);
                    match socket.send_to(&request, addr).await {
                        Ok(_) => sent += 1,
                        Err(e) => {
                            send_error.get_or_insert_with(|| format!("cannot send to {addr}: {e}"));
                        }
                    }
                    if pending.peek().is_none() {
                        deadline = Instant::now() + timeout;
                    }
                }
            }
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    if asked.contains(&from)
                        && !answers.contains_key(&from)
                        && let Some(status) = buf.get(..n).and_then(status_in)
                    {
                        answers.insert(from, status);
                    }
                }
                // An ICMP error reported on the socket (Windows does); at most one per probe
                // is expected, more means the socket itself is broken.
                Err(e) => {
                    receive_errors += 1;
                    if receive_errors > asked.len() as u64 + 16 {
                        return Err(format!("the scan's socket failed: {e}"));
                    }
                }
            },
            _ = tokio::time::sleep_until(deadline), if !sending => break,
        }
    }
    match send_error {
        Some(e) if sent == 0 => Err(e),
        _ => Ok(answers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t: ScanTargets = "127.0.0.1/30:57110-57120".parse().unwrap();
        assert_eq!(t.to_string(), "127.0.0.0/30:57110-57120");
        assert_eq!(t.host_count(), 2);
        assert_eq!(t.probe_count(), 22);
        let first: Vec<SocketAddr> = t.addrs().take(2).collect();
        assert_eq!(
            first,
            vec![
                "127.0.0.1:57110".parse().unwrap(),
                "127.0.0.1:57111".parse().unwrap()
            ]
        );
        assert_eq!(t.addrs().count(), 22);

        let one: ScanTargets = "10.0.0.7".parse().unwrap();
        assert_eq!(one.to_string(), "10.0.0.7/32:57110");
        assert_eq!(one.probe_count(), 1);
        let one: ScanTargets = " 10.0.0.7:4000 ".parse().unwrap();
        assert_eq!(
            one.addrs().collect::<Vec<_>>(),
            vec!["10.0.0.7:4000".parse().unwrap()]
        );
        let pair: ScanTargets = "10.0.0.6/31:1".parse().unwrap();
        assert_eq!(pair.host_count(), 2);

        let all: ScanTargets = "0.0.0.0/0:1-65535".parse().unwrap();
        assert_eq!(all.probe_count(), (u64::from(u32::MAX) - 1) * 65535);

        for bad in [
            "",
            "localhost",
            "10.0.0.1/33",
            "10.0.0.1:0",
            "10.0.0.1:5-4",
            "10.0.0.1:70000",
            "::1",
            "10.0.0.1/x:1",
            "10.0.0.1:1-",
        ] {
            assert!(bad.parse::<ScanTargets>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn status_in_refuses_other_datagrams() {
        assert_eq!(status_in(b""), None);
        assert_eq!(status_in(&[0xff; 40]), None);
        let other = rosc::encoder::encode(&OscPacket::Message(msg("/done", []))).unwrap();
        assert_eq!(status_in(&other), None);
    }
}
