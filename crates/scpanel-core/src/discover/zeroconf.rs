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
