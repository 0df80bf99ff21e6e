//! Zeroconf browsing with mdns-sd: the current list of announced OSC services.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::sync::{Arc, Mutex};

use mdns_sd::{ResolvedService, ScopedIp, ServiceDaemon, ServiceEvent};
use tokio::sync::watch;

use super::{Found, MAX_ADDRS, MAX_FOUND, Via, bounded_name};
use crate::model::options::Protocol;

/// The service types browsed, and the protocol each stands for. scsynth's `-R 1` publishes
/// the first for `-u` and the second for `-t`.
pub const SERVICE_TYPES: [(&str, Protocol); 2] = [
    ("_osc._udp.local.", Protocol::Udp),
    ("_osc._tcp.local.", Protocol::Tcp),
];

struct State {
    /// Keyed by the service's full name (instance and type), so UDP and TCP stay apart.
    entries: BTreeMap<String, Found>,
    dropped: u64,
}

struct Shared {
    state: Mutex<State>,
    tx: watch::Sender<Vec<Found>>,
}

impl Shared {
    fn apply(&self, event: ServiceEvent, ty: &str, protocol: Protocol) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            ServiceEvent::ServiceResolved(info) => {
                let Some(found) = to_found(&info, ty, protocol) else {
                    return;
                };
                let key = bounded_name(&info.fullname);
                if state.entries.contains_key(&key) || state.entries.len() < MAX_FOUND {
                    state.entries.insert(key, found);
                } else {
                    state.dropped = state.dropped.saturating_add(1);
                    return;
                }
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                if state.entries.remove(&bounded_name(&fullname)).is_none() {
                    return;
                }
            }
            _ => return,
        }
        let list: Vec<Found> = state.entries.values().cloned().collect();
        self.tx.send_if_modified(|current| {
            if *current == list {
                false
            } else {
                *current = list;
                true
            }
        });
    }
}

/// A resolved announcement as a [`Found`], or `None` when it is incomplete or of another type.
fn to_found(info: &ResolvedService, ty: &str, protocol: Protocol) -> Option<Found> {
    if !info.is_valid() || info.port == 0 || info.ty_domain != ty {
        return None;
    }
    let instance = info
        .fullname
        .strip_suffix(ty)
        .and_then(|s| s.strip_suffix('.'))
        .unwrap_or(&info.fullname);
    let mut addrs: Vec<SocketAddr> = info
        .addresses
        .iter()
        .map(|ip| socket_addr(ip, info.port))
        .collect();
    // IPv4 first (IpAddr orders V4 before V6), then a stable order.
    addrs.sort();
    addrs.dedup();
    addrs.truncate(MAX_ADDRS);
    Some(Found {
        name: bounded_name(instance),
        host: bounded_name(&info.host),
        addrs,
        protocol,
        via: Via::Zeroconf,
        status: None,
    })
}

/// A link-local IPv6 address keeps its interface, or it could not be reached.
fn socket_addr(ip: &ScopedIp, port: u16) -> SocketAddr {
    match (ip, ip.to_ip_addr()) {
        (ScopedIp::V6(v6), IpAddr::V6(addr)) if addr.is_unicast_link_local() => {
            SocketAddr::V6(SocketAddrV6::new(addr, port, 0, v6.scope_id().index))
        }
        (_, addr) => SocketAddr::new(addr, port),
    }
}

/// Browses `_osc._udp.local.` and `_osc._tcp.local.` until dropped, keeping the list of
/// announced services: added when resolved, updated when their records change, removed when
/// they say goodbye or their records expire. At most [`MAX_FOUND`] are listed.
///
/// ```no_run
/// # async fn demo() -> Result<(), String> {
/// let browser = scpanel_core::discover::Browser::start()?;
/// let mut list = browser.watch();
/// while list.changed().await.is_ok() {
///     for found in list.borrow().iter() {
///         println!("{} {:?}", found.name, found.addr());
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Browser {
    daemon: ServiceDaemon,
    shared: Arc<Shared>,
    rx: watch::Receiver<Vec<Found>>,
}

impl Browser {
    /// Starts an mDNS daemon (a thread of its own, on UDP port 5353 shared with any other
    /// responder) and browses both service types on every interface, loopback included.
    pub fn start() -> Result<Browser, String> {
        let daemon =
            ServiceDaemon::new().map_err(|e| format!("cannot start the mDNS browser: {e}"))?;
        let (tx, rx) = watch::channel(Vec::new());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                entries: BTreeMap::new(),
                dropped: 0,
            }),
            tx,
        });
        // Dropped on an early return: the daemon is shut down with it.
        let browser = Browser { daemon, shared, rx };
        for (ty, protocol) in SERVICE_TYPES {
            let events = browser
                .daemon
                .browse(ty)
                .map_err(|e| format!("cannot browse {ty}: {e}"))?;
            let shared = Arc::clone(&browser.shared);
            // Ends when the daemon shuts down and drops its end of the channel.
            std::thread::Builder::new()
                .name("scpanel-mdns".into())
                .spawn(move || {
                    while let Ok(event) = events.recv() {
                        shared.apply(event, ty, protocol);
                    }
                })
                .map_err(|e| format!("cannot start the mDNS browser's thread: {e}"))?;
        }
        Ok(browser)
    }

    /// The services announced now, in name order.
    pub fn found(&self) -> Vec<Found> {
        self.rx.borrow().clone()
    }

    /// A receiver of the list, told each time it changes.
    pub fn watch(&self) -> watch::Receiver<Vec<Found>> {
        self.rx.clone()
    }

    /// Announcements left out because [`MAX_FOUND`] services were listed already.
    pub fn dropped(&self) -> u64 {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .dropped
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Stops the daemon's thread; the browsing threads end when their channels close.
        let _ = self.daemon.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::Ipv4Addr;

    use super::*;
    use crate::discover::MAX_NAME;

    const UDP: &str = "_osc._udp.local.";

    fn shared() -> (Shared, watch::Receiver<Vec<Found>>) {
        let (tx, rx) = watch::channel(Vec::new());
        let state = Mutex::new(State {
            entries: BTreeMap::new(),
            dropped: 0,
        });
        (Shared { state, tx }, rx)
    }

    fn resolved(name: &str, port: u16) -> Box<ResolvedService> {
        let info = mdns_sd::ServiceInfo::new(
            UDP,
            name,
            "studio.local.",
            "127.0.0.1",
            port,
            None::<HashMap<String, String>>,
        )
        .unwrap();
        Box::new(info.as_resolved_service())
    }

    #[test]
    fn resolved_services_are_listed_and_goodbyes_remove_them() {
        let (s, rx) = shared();
        s.apply(
            ServiceEvent::ServiceResolved(resolved("SuperCollider", 57110)),
            UDP,
            Protocol::Udp,
        );
        let list = rx.borrow().clone();
        assert_eq!(
            list,
            vec![Found {
                name: "SuperCollider".into(),
                host: "studio.local.".into(),
                addrs: vec!["127.0.0.1:57110".parse().unwrap()],
                protocol: Protocol::Udp,
                via: Via::Zeroconf,
                status: None,
            }]
        );
        s.apply(
            ServiceEvent::ServiceRemoved(UDP.into(), format!("SuperCollider.{UDP}")),
            UDP,
            Protocol::Udp,
        );
        assert!(rx.borrow().is_empty());
    }

    #[test]
    fn odd_announcements_are_bounded_or_ignored() {
        let (s, rx) = shared();
        // Port 0, no address, and another service type are left out.
        s.apply(
            ServiceEvent::ServiceResolved(resolved("a", 0)),
            UDP,
            Protocol::Udp,
        );
        let mut bare = resolved("b", 1);
        bare.addresses.clear();
        s.apply(ServiceEvent::ServiceResolved(bare), UDP, Protocol::Udp);
        s.apply(
            ServiceEvent::ServiceResolved(resolved("c", 1)),
            "_osc._tcp.local.",
            Protocol::Tcp,
        );
        assert!(rx.borrow().is_empty());

        // A huge name and many addresses are cut.
        let mut big = resolved("x", 9);
        big.fullname = format!("{}.{UDP}", "é".repeat(400));
        big.host = "h".repeat(1000);
        big.addresses
            .extend((0..100u8).map(|i| ScopedIp::from(IpAddr::V4(Ipv4Addr::new(10, 0, 0, i)))));
        s.apply(ServiceEvent::ServiceResolved(big), UDP, Protocol::Udp);
        let list = rx.borrow().clone();
        assert_eq!(list.len(), 1);
        assert!(list[0].name.len() <= MAX_NAME && list[0].name.starts_with('é'));
        assert_eq!(list[0].host.len(), MAX_NAME);
        assert_eq!(list[0].addrs.len(), MAX_ADDRS);
        assert_eq!(list[0].addrs[0], "10.0.0.0:9".parse().unwrap());

        // Past MAX_FOUND services the rest are counted, not listed; updates still apply.
        for i in 0..MAX_FOUND + 10 {
            s.apply(
                ServiceEvent::ServiceResolved(resolved(&format!("s{i}"), 5000)),
                UDP,
                Protocol::Udp,
            );
        }
        assert_eq!(rx.borrow().len(), MAX_FOUND);
        assert_eq!(s.state.lock().unwrap().dropped, 11);
        s.apply(
            ServiceEvent::ServiceResolved(resolved("s0", 5001)),
            UDP,
            Protocol::Udp,
        );
        let port = rx
            .borrow()
            .iter()
            .find(|f| f.name == "s0")
            .map(|f| f.addrs[0].port());
        assert_eq!(port, Some(5001));
    }
}
