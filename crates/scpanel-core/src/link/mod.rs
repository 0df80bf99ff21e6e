//! The link between a handle and the server it has now: the live connection (when there is
//! one), who we are there, the id allocators, and the state published to readers. Every
//! operation works through a [`Link`] and nothing wider, so an operation never needs the
//! whole [`Server`](crate::Server) and can be tested over a scripted connection.

mod attachment;
mod events;
#[cfg(test)]
pub(crate) mod scripted;
/// The state a server's readers share: status history, tree mirror, log, events and OSC traffic.
pub(crate) mod shared;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rosc::{OscMessage, OscPacket};

pub use attachment::{Attachment, ConnectOptions, client_address};
pub use events::{HealthConfig, ServerEvent, ServerState};

use crate::error::{Result, ServerError};
use crate::host::process::ServerProcess;
use crate::model::alloc::{Allocators, ClientRanges};
use crate::model::tree::NodeTree;
use crate::wire::connection::{Connection, REQUEST_TIMEOUT, SYNC_TIMEOUT};
use crate::wire::protocol::Expect;
use shared::Shared;

/// A server we are attached to right now.
pub(crate) struct Live {
    pub conn: Arc<Connection>,
    pub attachment: Attachment,
    /// This client's id allocators; `None` when watching without a login.
    pub alloc: Option<Mutex<Allocators>>,
}

/// What every operation works through: the published state, and the server of the moment.
pub(crate) struct Link {
    pub shared: Arc<Shared>,
    live: Mutex<Option<Arc<Live>>>,
    process: Mutex<Option<Arc<ServerProcess>>>,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            shared: Arc::new(Shared::default()),
            live: Mutex::new(None),
            process: Mutex::new(None),
        }
    }
}

impl Link {
    /// The server of the moment, if any.
    pub fn live(&self) -> Option<Arc<Live>> {
        self.live.lock().ok()?.clone()
    }

    /// Puts `live` in place and returns what was there.
    pub fn replace_live(&self, live: Option<Arc<Live>>) -> Option<Arc<Live>> {
        match self.live.lock() {
            Ok(mut l) => std::mem::replace(&mut *l, live),
            Err(_) => None,
        }
    }

    /// The scsynth process this handle booted, while it runs.
    pub fn process(&self) -> Option<Arc<ServerProcess>> {
        self.process.lock().ok()?.clone()
    }

    /// Puts `process` in place and returns what was there.
    pub fn replace_process(
        &self,
        process: Option<Arc<ServerProcess>>,
    ) -> Option<Arc<ServerProcess>> {
        match self.process.lock() {
            Ok(mut p) => std::mem::replace(&mut *p, process),
            Err(_) => None,
        }
    }

    pub fn online(&self) -> Result<Arc<Live>> {
        self.live().ok_or(ServerError::ServerOffline)
    }

    pub fn conn(&self) -> Result<Arc<Connection>> {
        Ok(self.online()?.conn.clone())
    }

    /// The server of the moment, when we hold a login there (ids to allocate from).
    pub fn logged_in(&self) -> Result<Arc<Live>> {
        let live = self.online()?;
        if live.alloc.is_none() {
            return Err(ServerError::NotLoggedIn);
        }
        Ok(live)
    }

    /// Takes ids from this client's allocators.
    pub fn alloc_ids(
        &self,
        what: &'static str,
        pick: impl FnOnce(&mut Allocators) -> Option<u32>,
    ) -> Result<(Arc<Live>, u32)> {
        let live = self.logged_in()?;
        let id = live
            .alloc
            .as_ref()
            .and_then(|a| a.lock().ok().and_then(|mut a| pick(&mut a)))
            .ok_or(ServerError::OutOfIds { what })?;
        Ok((live, id))
    }

    /// Gives ids back to this client's allocators.
    pub fn release(&self, live: &Live, f: impl FnOnce(&mut Allocators)) {
        if let Some(a) = &live.alloc
            && let Ok(mut a) = a.lock()
        {
            f(&mut a);
        }
    }

    /// The node, buffer and bus id ranges of this client, when logged in.
    pub fn client_ranges(&self) -> Option<ClientRanges> {
        self.live()?
            .alloc
            .as_ref()
            .and_then(|a| a.lock().ok().map(|a| a.ranges.clone()))
    }

    pub async fn send(&self, p: OscPacket) -> Result<()> {
        self.conn()?.send(p).await
    }

    pub async fn send_msg(&self, m: OscMessage) -> Result<()> {
        self.send(OscPacket::Message(m)).await
    }

    /// Sends, then waits until the server has done it; `/fail`s become the error.
    pub async fn send_checked(&self, p: OscPacket) -> Result<()> {
        self.conn()?.send_checked(p).await
    }

    /// Sends one message and waits for the reply `expect` describes.
    pub async fn request(&self, m: OscMessage, expect: Expect) -> Result<OscMessage> {
        self.request_within(m, expect, REQUEST_TIMEOUT).await
    }

    /// [`Link::request`] for a command that may take the server a while (a file read).
    pub async fn request_within(
        &self,
        m: OscMessage,
        expect: Expect,
        timeout: Duration,
    ) -> Result<OscMessage> {
        self.conn()?
            .request(OscPacket::Message(m), expect, timeout)
            .await
    }

    pub async fn sync(&self) -> Result<()> {
        self.conn()?.sync(SYNC_TIMEOUT).await
    }

    /// Runs `f` on the live node tree mirror.
    pub fn with_tree<R>(&self, f: impl FnOnce(&NodeTree) -> R) -> R {
        match self.shared.tree.lock() {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// Changes the mirror (a note made before the server's notification arrives).
    pub fn update_tree(&self, f: impl FnOnce(&mut NodeTree)) {
        if let Ok(mut t) = self.shared.tree.lock() {
            f(&mut t);
        }
    }
}
