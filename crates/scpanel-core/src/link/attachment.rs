//! How a handle reaches a server, and who it is there once attached.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::model::alloc::ServerLayout;
use crate::model::options::Protocol;
use crate::wire::connection::Login;

/// How to reach a server someone else booted.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectOptions {
    /// The server's address (scsynth listens on 57110 by default).
    pub addr: SocketAddr,
    /// UDP or TCP, as the server was booted with (`-u` or `-t`).
    pub protocol: Protocol,
    /// The server's session password (`-p`), needed by TCP servers that set one.
    pub password: Option<String>,
    /// `false` watches without logging in: status and tree only, no login slot used.
    pub login: bool,
    /// Ask for a particular client id (to get one's old id back).
    pub client_id: Option<i32>,
    /// The sizes the server was booted with, as assumed while watching. A login asks the
    /// server for them (a synth reads them), and these stay only when it can't answer.
    pub layout: ServerLayout,
    /// When logging in, ask the server for its sizes instead of assuming `layout`: a synth
    /// of ours runs for one block and `scpanel-layout` stays loaded. `new` turns it on; a
    /// one-shot command that must leave nothing behind turns it off.
    pub ask_layout: bool,
    /// Keep watching: a live tree mirror, `/status` polling and, when logged in, a default
    /// group and the level meters. `false` for a one-shot command that asks what it came for
    /// and leaves nothing behind.
    pub monitor: bool,
}

impl ConnectOptions {
    /// Logged in over UDP, no password, any client id, default sizes, monitoring on.
    pub fn new(addr: SocketAddr) -> Self {
        ConnectOptions {
            addr,
            protocol: Protocol::Udp,
            password: None,
            login: true,
            client_id: None,
            layout: ServerLayout::default(),
            ask_layout: true,
            monitor: true,
        }
    }
}

/// How this handle is attached to its server: who we are there.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// The server's address.
    pub addr: SocketAddr,
    /// The protocol we talk to it with.
    pub protocol: Protocol,
    /// Whether we booted it (and so quit it rather than just disconnect).
    pub is_owner: bool,
    /// Our client id and the server's max logins; `None` when watching without a login.
    pub login: Option<Login>,
    /// Where this client's nodes go by default. On a server we booted, `clientID + 1` for
    /// every login (supriya's layout); as a guest, the owner's for our client id, else
    /// sclang's `clientID·2^26 + 1` (see `lifecycle::guest_default_group`).
    pub default_group: i32,
    /// The server's sizes: buses, buffers, max logins.
    pub layout: ServerLayout,
    /// The process id, when we booted it.
    pub pid: Option<u32>,
}

impl Attachment {
    /// Where this client's nodes go by default (see the field).
    pub fn default_group(&self) -> i32 {
        self.default_group
    }
}

/// The address a client uses to reach a server bound to `bind`.
pub fn client_address(bind: &str, port: u16) -> SocketAddr {
    let ip = match bind.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Ok(ip) => ip,
        Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    SocketAddr::new(ip, port)
}
