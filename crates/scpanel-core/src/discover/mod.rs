//! Finding servers on the network: Zeroconf (mDNS/DNS-SD) browsing, and an opt-in subnet
//! scan that asks each address for `/status`.
//!
//! scsynth started with `-R 1` (the default) publishes itself as `_osc._udp.local.` or
//! `_osc._tcp.local.` through Avahi (Linux) or Bonjour (macOS); SuperCollider names the
//! instance "SuperCollider". [`Browser`] lists what is announced; [`scan`] finds servers that
//! announce nothing (started with `-R 0`, or on a network that drops multicast) by sending one
//! `/status` to each address of a range, at a rate the caller chooses.
//!
//! Browsing uses the `mdns-sd` crate: pure Rust, it speaks mDNS itself on its own thread, so
//! it needs no system daemon and works the same on Linux, macOS and Windows, including on a
//! Linux machine where avahi-daemon is not running (containers, minimal installs). Asking
//! Avahi over D-Bus instead would be Linux only, would need avahi-daemon running and would
//! add a D-Bus dependency; Bonjour's `dns_sd` API would be one more native library per
//! platform. mdns-sd is used without its async and logging features: its event channels are
//! read on plain threads that publish into a tokio `watch` channel.
//!
//! Everything a peer sends is untrusted: announcements are bounded (at most
//! [`MAX_FOUND`] services, [`MAX_ADDRS`] addresses each, names cut at [`MAX_NAME`] bytes) and
//! `/status.reply` datagrams go through the same packet checks and parser as a connection's.

use std::net::SocketAddr;

use crate::model::options::Protocol;
use crate::wire::protocol::StatusInfo;

mod scan;
mod zeroconf;

pub use scan::{MAX_PROBES, MAX_RATE, ScanTargets, probe_status, scan};
pub use zeroconf::{Browser, SERVICE_TYPES};

/// Most services a [`Browser`] lists at once; later ones are counted in
/// [`Browser::dropped`] instead.
pub const MAX_FOUND: usize = 256;

/// Most addresses kept for one announced service.
pub const MAX_ADDRS: usize = 16;

/// Longest service or host name kept, in bytes (DNS names are at most 255).
pub const MAX_NAME: usize = 255;

/// How a server was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// It announced itself over Zeroconf (mDNS/DNS-SD).
    Zeroconf,
    /// It answered `/status` during a subnet scan.
    Scan,
}

impl Via {
    /// `"zeroconf"` or `"scan"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Zeroconf => "zeroconf",
            Via::Scan => "scan",
        }
    }
}

/// One server found on the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The announced instance name (e.g. "SuperCollider"); for a scanned server, its address.
    pub name: String,
    /// The announced mDNS host name (e.g. "studio.local."), or the IP address of a scanned one.
    pub host: String,
    /// Where it listens: every address announced (at most [`MAX_ADDRS`]), or the one scanned.
    pub addrs: Vec<SocketAddr>,
    /// UDP or TCP.
    pub protocol: Protocol,
    /// How it was found.
    pub via: Via,
    /// Its answer to `/status`, when it was asked and answered.
    pub status: Option<StatusInfo>,
}

impl Found {
    /// The address to reach it at: the first IPv4 address if it has one, else the first.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or_else(|| self.addrs.first())
            .copied()
    }
}

/// Cuts `text` to at most [`MAX_NAME`] bytes on a character boundary.
pub(crate) fn bounded_name(text: &str) -> String {
    if text.len() <= MAX_NAME {
        return text.to_string();
    }
    let mut end = MAX_NAME;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}
