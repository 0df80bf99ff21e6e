//! One live link to a server, and the router of what comes back: each reply goes to the
//! request waiting for it (one table of waiters, keyed by what each expects) and every
//! message to the [`Subscriber`]s that registered for it (the tree mirror, meters, status).
//! The connection interprets nothing itself.

use std::future::Future;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rosc::{OscMessage, OscPacket, OscType};
use tokio::sync::{mpsc, oneshot};

use crate::error::{Result, ServerError};
use crate::wire::protocol::{Expect, check_fail, flatten, msg};
use crate::wire::tap::{Change, LossCounters, OscTraffic};
use crate::wire::transport::{FeedReceiver, Incoming, Transport};

/// Time-outs for requests, chosen for a loopback or LAN server.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// `/sync` waits for every earlier asynchronous command (a sound file read, say).
pub(crate) const SYNC_TIMEOUT: Duration = Duration::from_secs(30);
/// Where our own `/sync` ids start: far from the small ids people type (`/sync 5`), so
/// their `/synced` can be told from ours.
pub(crate) const OWN_SYNC_BASE: i32 = 0x5CA0_0000;
/// An unanswered `/sync` is sent again after this long.
const SYNC_RETRY: Duration = Duration::from_secs(1);
/// Replies one [`Connection::collect`] keeps, at most (a batch of `/n_info`s is 256).
pub const COLLECT_LIMIT: usize = 65_536;

/// Where a connection reports what it saw besides replies: the traffic for the console's
/// tap, packets it refused, what it dropped, and changes readers may redraw for.
pub trait Reporter: Send + Sync {
    /// The counters of what was thrown away.
    fn losses(&self) -> &Arc<LossCounters>;
    /// A packet sent or a message received, for the OSC console.
    fn tap(&self, traffic: OscTraffic);
    /// A packet that failed the checks, with why.
    fn malformed(&self, what: &str);
    /// Something readers show may have changed (once per packet received).
    fn changed(&self, change: Change);
}

/// What a [`Subscriber`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Heard {
    /// Not for this subscriber.
    Passed,
    /// Used, and still routed on to waiters and the console: readers may redraw for `Change`.
    Used(Change),
    /// Used up: no waiter, no console line, no redraw (meter replies, 20 a second each).
    Consumed,
}

/// A reader of every message the server sends, before any waiter sees it.
pub trait Subscriber: Send + Sync {
    /// Looks at one message (already checked by the packet guard).
    fn receive(&self, m: &OscMessage) -> Heard;
}

/// Resolves `true` when any of the receivers gets its reply, `false` if all are dropped.
async fn futures_select_any(
    waiting: &mut [(PendingGuard<'_>, oneshot::Receiver<OscMessage>)],
) -> bool {
    std::future::poll_fn(|cx| {
        let mut open = false;
        for (_, rx) in waiting.iter_mut() {
            match std::pin::Pin::new(rx).poll(cx) {
                std::task::Poll::Ready(Ok(_)) => return std::task::Poll::Ready(true),
                std::task::Poll::Ready(Err(_)) => {}
                std::task::Poll::Pending => open = true,
            }
        }
        if open {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(false)
        }
    })
    .await
}

/// A stream of every message matching `expect`, while a [`Connection::collect`] runs.
struct Collector {
    id: u64,
    expect: Expect,
    tx: mpsc::Sender<OscMessage>,
    /// scpanel's own reads: kept off the console's tap.
    quiet: bool,
}

struct Pending {
    id: u64,
    expect: Expect,
    tx: oneshot::Sender<OscMessage>,
    /// scpanel's own bookkeeping: kept off the console's tap.
    quiet: bool,
}

/// Who we are on the server once logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Login {
    /// Our client id: sclang's `clientID`, 0 up to max logins − 1.
    pub client_id: i32,
    /// How many clients the server allows at once (its `-l`).
    pub max_logins: u32,
}

/// One link to a server: sends packets, routes every reply to whoever waits for it or to the
/// subscribers (status history, tree mirror, meters), and reports traffic and losses.
pub struct Connection {
    /// The socket it talks over.
    pub transport: Transport,
    reporter: Arc<dyn Reporter>,
    subscribers: Vec<Arc<dyn Subscriber>>,
    pending: Mutex<Vec<Pending>>,
    next_pending: AtomicU64,
    next_sync: AtomicI32,
    /// When anything last arrived from the server.
    last_heard: Mutex<Option<Instant>>,
    /// Why the transport closed, once it has.
    closed: Mutex<Option<String>>,
    closed_notify: tokio::sync::Notify,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Streams of every message matching a pattern (for replies that come many at once).
    collectors: Mutex<Vec<Collector>>,
    tree_query: tokio::sync::Mutex<()>,
}

/// Removes a pending request when its waiter goes away (time-out or cancellation).
struct PendingGuard<'a> {
    conn: &'a Connection,
    id: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.conn.pending.lock() {
            p.retain(|p| p.id != self.id);
        }
    }
}

impl Connection {
    /// Opens the transport to `peer` and starts routing: `subscribers` see every message
    /// from the first one on.
    pub async fn open(
        reporter: Arc<dyn Reporter>,
        subscribers: Vec<Arc<dyn Subscriber>>,
        peer: std::net::SocketAddr,
        protocol: crate::wire::transport::Protocol,
        password: Option<&str>,
    ) -> Result<Arc<Connection>> {
        let (feed, rx) = crate::wire::transport::feed(reporter.losses().clone());
        let (transport, reader) = Transport::open(peer, protocol, password, feed).await?;
        let conn = Arc::new(Connection {
            transport,
            reporter,
            subscribers,
            pending: Mutex::new(Vec::new()),
            next_pending: AtomicU64::new(1),
            next_sync: AtomicI32::new(OWN_SYNC_BASE),
            last_heard: Mutex::new(None),
            closed: Mutex::new(None),
            closed_notify: tokio::sync::Notify::new(),
            tasks: Mutex::new(vec![reader]),
            collectors: Mutex::new(Vec::new()),
            tree_query: tokio::sync::Mutex::new(()),
        });
        let dispatcher = tokio::spawn(dispatch(Arc::downgrade(&conn), rx));
        conn.add_task(dispatcher);
        Ok(conn)
    }

    pub(crate) fn add_task(&self, task: tokio::task::JoinHandle<()>) {
        if let Ok(mut t) = self.tasks.lock() {
            t.push(task);
        }
    }

    /// Stops every task of this connection. Pending requests fail at once.
    pub fn shutdown(&self) {
        if let Ok(mut tasks) = self.tasks.lock() {
            for t in tasks.drain(..) {
                t.abort();
            }
        }
        if let Ok(mut p) = self.pending.lock() {
            p.clear();
        }
    }

    pub(crate) fn last_heard(&self) -> Option<Instant> {
        self.last_heard.lock().ok().and_then(|l| *l)
    }

    /// Why the link closed, once it has.
    pub fn closed_reason(&self) -> Option<String> {
        self.closed.lock().ok().and_then(|c| c.clone())
    }

    /// Resolves when the transport reports the server gone.
    pub async fn wait_closed(&self) -> String {
        loop {
            let notified = self.closed_notify.notified();
            if let Some(r) = self.closed_reason() {
                return r;
            }
            notified.await;
        }
    }

    /// Routes one message; returns what readers may need to redraw for it.
    fn handle(&self, m: OscMessage) -> Option<Change> {
        if let Ok(mut l) = self.last_heard.lock() {
            *l = Some(Instant::now());
        }
        let mut change = Change::Other;
        for s in &self.subscribers {
            match s.receive(&m) {
                Heard::Passed => {}
                Heard::Used(c) => change = c,
                Heard::Consumed => return None,
            }
        }
        let mut quiet = false;
        if let Ok(c) = self.collectors.lock() {
            for c in c.iter() {
                if c.expect.matches(&m) {
                    quiet |= c.quiet;
                    if let Err(mpsc::error::TrySendError::Full(_)) = c.tx.try_send(m.clone()) {
                        self.reporter.losses().count_dropped(1);
                    }
                }
            }
        }
        let waiter = self.pending.lock().ok().and_then(|mut p| {
            let i = p.iter().position(|p| p.expect.matches(&m))?;
            Some(p.remove(i))
        });
        let m = match waiter {
            Some(w) => {
                if !(quiet || w.quiet) {
                    self.reporter.tap(OscTraffic::received(m.clone()));
                }
                let _ = w.tx.send(m);
                return Some(change);
            }
            None => m,
        };
        if !quiet {
            self.reporter.tap(OscTraffic::received(m));
        }
        Some(change)
    }

    /// Sends a packet, expecting no reply.
    pub async fn send(&self, packet: OscPacket) -> Result<()> {
        self.transport.send(&packet).await?;
        self.reporter.tap(OscTraffic::sent(packet));
        Ok(())
    }

    /// Sends one message, expecting no reply.
    pub async fn send_msg(&self, m: OscMessage) -> Result<()> {
        self.send(OscPacket::Message(m)).await
    }

    fn register(&self, expect: Expect) -> (PendingGuard<'_>, oneshot::Receiver<OscMessage>) {
        self.register_as(expect, false)
    }

    fn register_as(
        &self,
        expect: Expect,
        quiet: bool,
    ) -> (PendingGuard<'_>, oneshot::Receiver<OscMessage>) {
        let id = self.next_pending.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.push(Pending {
                id,
                expect,
                tx,
                quiet,
            });
        }
        (PendingGuard { conn: self, id }, rx)
    }

    /// Sends without showing the packet on the console's tap (scpanel's own reads).
    async fn send_quietly(&self, packet: OscPacket) -> Result<()> {
        self.transport.send(&packet).await
    }

    /// Sends `packet` and waits for the reply `expect` describes; a `/fail` becomes an error.
    pub async fn request(
        &self,
        packet: OscPacket,
        expect: Expect,
        timeout: Duration,
    ) -> Result<OscMessage> {
        let name = match &packet {
            OscPacket::Message(m) => m.addr.clone(),
            OscPacket::Bundle(_) => "a bundle".into(),
        };
        let (_guard, rx) = self.register(expect);
        self.send(packet).await?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(m)) => check_fail(m),
            Ok(Err(_)) => Err(ServerError::ServerOffline),
            Err(_) => Err(ServerError::Timeout {
                request: name,
                after: timeout,
            }),
        }
    }

    /// Sends `packet` and waits for one reply per `expects`, every one or none, keeping both
    /// off the console's tap: scpanel's own bulk reads (the scope's `/b_getn` chunks, asked
    /// all at once so a read costs one round trip). A `/fail` among them is the error.
    pub(crate) async fn request_all_quietly(
        &self,
        packet: OscPacket,
        expects: Vec<Expect>,
        timeout: Duration,
    ) -> Result<Vec<OscMessage>> {
        let (_guards, waits): (Vec<_>, Vec<_>) = expects
            .into_iter()
            .map(|e| self.register_as(e, true))
            .unzip();
        self.send_quietly(packet).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut replies = Vec::with_capacity(waits.len());
        for wait in waits {
            match tokio::time::timeout_at(deadline, wait).await {
                Ok(Ok(m)) => replies.push(check_fail(m)?),
                Ok(Err(_)) => return Err(ServerError::ServerOffline),
                Err(_) => {
                    return Err(ServerError::Timeout {
                        request: "a bulk read".into(),
                        after: timeout,
                    });
                }
            }
        }
        Ok(replies)
    }

    /// `/sync`: resolves once the server has completed every earlier command. Over UDP a
    /// reply can be lost in a burst, so an unanswered `/sync` is repeated with a new id; any
    /// `/synced` of ours means everything before the first one is done.
    pub async fn sync(&self, timeout: Duration) -> Result<()> {
        self.sync_as(timeout, false).await
    }

    async fn sync_as(&self, timeout: Duration, quiet: bool) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut waiting = Vec::new();
        loop {
            let id = self.next_sync.fetch_add(1, Ordering::Relaxed);
            waiting.push(self.register_as(Expect::AddressWithId("/synced", id), quiet));
            let packet = OscPacket::Message(msg("/sync", [OscType::Int(id)]));
            if quiet {
                self.send_quietly(packet).await?;
            } else {
                self.send(packet).await?;
            }
            let retry = (tokio::time::Instant::now() + SYNC_RETRY).min(deadline);
            let any = futures_select_any(&mut waiting);
            match tokio::time::timeout_at(retry, any).await {
                Ok(true) => return Ok(()),
                Ok(false) => return Err(ServerError::ServerOffline),
                Err(_) if tokio::time::Instant::now() >= deadline => {
                    return Err(ServerError::Timeout {
                        request: "/sync".into(),
                        after: timeout,
                    });
                }
                Err(_) => {}
            }
        }
    }

    /// Sends commands that answer nothing on success, then syncs; any `/fail` they caused
    /// (e.g. "too many nodes") comes back as the error.
    pub async fn send_checked(&self, packet: OscPacket) -> Result<()> {
        let mut commands = Vec::new();
        flatten(packet.clone(), &mut commands);
        let mut names: Vec<String> = commands.into_iter().map(|m| m.addr).collect();
        names.sort();
        names.dedup();
        let watchers: Vec<_> = names
            .into_iter()
            .map(|n| self.register(Expect::FailOf(n)))
            .collect();
        self.send(packet).await?;
        self.sync(SYNC_TIMEOUT).await?;
        for (_guard, mut rx) in watchers {
            if let Ok(m) = rx.try_recv() {
                return check_fail(m).map(|_| ());
            }
        }
        Ok(())
    }

    #[cfg(feature = "internals")]
    /// Sends `packet` and returns every reply matching `expect` until the server has
    /// processed it (a `/sync` after it).
    pub async fn collect(&self, packet: OscPacket, expect: Expect) -> Result<Vec<OscMessage>> {
        self.collect_as(packet, expect, false, None).await
    }

    /// [`Connection::collect`] for scpanel's own reads (trees, live controls): neither the
    /// queries nor their answers show on the console's tap.
    pub(crate) async fn collect_quietly(
        &self,
        packet: OscPacket,
        expect: Expect,
    ) -> Result<Vec<OscMessage>> {
        self.collect_as(packet, expect, true, None).await
    }

    /// [`Connection::collect_quietly`] that returns as soon as `want` answers came: a walk
    /// paced by its answers rather than by `/sync`, which arrives one audio period later.
    /// The `/sync` still ends it when some answers never come (a node that is gone).
    pub(crate) async fn collect_quietly_up_to(
        &self,
        packet: OscPacket,
        expect: Expect,
        want: usize,
    ) -> Result<Vec<OscMessage>> {
        self.collect_as(packet, expect, true, Some(want)).await
    }

    async fn collect_as(
        &self,
        packet: OscPacket,
        expect: Expect,
        quiet: bool,
        want: Option<usize>,
    ) -> Result<Vec<OscMessage>> {
        let (id, mut rx) = self.add_collector(expect, quiet);
        let mut out = Vec::new();
        let result = async {
            if quiet {
                self.send_quietly(packet).await?;
            } else {
                self.send(packet).await?;
            }
            let sync = self.sync_as(SYNC_TIMEOUT, quiet);
            tokio::pin!(sync);
            let Some(want) = want else {
                return sync.await;
            };
            loop {
                tokio::select! {
                    done = &mut sync => return done,
                    m = rx.recv() => match m {
                        Some(m) => {
                            out.push(m);
                            if out.len() >= want {
                                return Ok(());
                            }
                        }
                        // The collector is still registered, so this can't end first.
                        None => return sync.await,
                    },
                }
            }
        }
        .await;
        self.remove_collector(id);
        result?;
        while let Ok(m) = rx.try_recv() {
            out.push(m);
        }
        Ok(out)
    }

    /// Sends `packet` quietly and collects the replies `expect` matches until one for which
    /// `last` is true arrives, or `timeout` passes (then what came is returned, without the
    /// last). For answers a `/sync` can't bound: replies synths send from the audio thread,
    /// where a marker synth running after the others answers last.
    pub(crate) async fn collect_quietly_until(
        &self,
        packet: OscPacket,
        expect: Expect,
        last: impl Fn(&OscMessage) -> bool,
        timeout: Duration,
    ) -> Result<(Vec<OscMessage>, bool)> {
        let (id, mut rx) = self.add_collector(expect, true);
        let mut out = Vec::new();
        let result: Result<bool> = async {
            self.send_quietly(packet).await?;
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(m)) if last(&m) => return Ok(true),
                    Ok(Some(m)) => out.push(m),
                    Ok(None) | Err(_) => return Ok(false),
                }
            }
        }
        .await;
        self.remove_collector(id);
        Ok((out, result?))
    }

    /// A collector of the replies `expect` matches, until [`Connection::remove_collector`].
    fn add_collector(&self, expect: Expect, quiet: bool) -> (u64, mpsc::Receiver<OscMessage>) {
        let id = self.next_pending.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(COLLECT_LIMIT);
        if let Ok(mut c) = self.collectors.lock() {
            c.push(Collector {
                id,
                expect,
                tx,
                quiet,
            });
        }
        (id, rx)
    }

    fn remove_collector(&self, id: u64) {
        if let Ok(mut c) = self.collectors.lock() {
            c.retain(|c| c.id != id);
        }
    }

    /// Whether a `/synced` carries one of our own ids rather than one somebody typed.
    pub fn is_own_sync(&self, id: i32) -> bool {
        (OWN_SYNC_BASE..self.next_sync.load(Ordering::Relaxed)).contains(&id)
    }

    /// Serialises tree queries: their replies are only told apart by order.
    pub(crate) async fn tree_query_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.tree_query.lock().await
    }

    /// Forgets a "port unreachable" seen while the server was still starting.
    pub(crate) fn clear_closed(&self) {
        if let Ok(mut c) = self.closed.lock() {
            *c = None;
        }
    }

    fn mark_closed(&self, reason: String) {
        if let Ok(mut c) = self.closed.lock()
            && c.is_none()
        {
            *c = Some(reason);
        }
        self.closed_notify.notify_waiters();
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn dispatch(conn: std::sync::Weak<Connection>, mut rx: FeedReceiver) {
    let mut batch = Vec::new();
    while let Some(incoming) = rx.recv().await {
        let Some(conn) = conn.upgrade() else {
            return;
        };
        match incoming {
            Incoming::Packet { packet, .. } => {
                batch.clear();
                flatten(packet, &mut batch);
                // One redraw per packet, and a status-only one only if nothing else changed.
                let mut change = None;
                for m in batch.drain(..) {
                    if let Err(e) = crate::wire::packet_guard::check_reply(&m) {
                        conn.reporter.malformed(&e.0);
                        continue;
                    }
                    change = match (change, conn.handle(m)) {
                        (Some(Change::Other), _) | (_, Some(Change::Other)) => Some(Change::Other),
                        (old, new) => new.or(old),
                    };
                }
                if let Some(change) = change {
                    conn.reporter.changed(change);
                }
            }
            Incoming::Garbage(what) => conn.reporter.malformed(&what),
            Incoming::Closed(reason) => conn.mark_closed(reason),
        }
    }
}
