//! Polls `/status` and watches for silence: unresponsive after one missed reply, and for a
//! server we only connected to, offline soon after (supriya takes about 13 s to notice).
//! Also keeps the tree mirror honest: when it turns stale (a notification that did not fit,
//! or `/status` counts that disagree with it twice in a row) it is read again in the
//! background, at most once a second, less often while re-reading fails.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::link::{Live, ServerEvent, ServerState};
use crate::server::handle::{Inner, Server};
use crate::server::rejoin;
use crate::wire::connection::Connection;
use crate::wire::protocol::msg;

/// While a reply is overdue, probe this often.
const PROBE: Duration = Duration::from_millis(100);
/// The shortest gap between two re-reads of a stale tree; it doubles up to the longest while
/// re-reading fails (a server too big to read, or one that stopped answering).
const REREAD_MIN: Duration = Duration::from_secs(1);
const REREAD_MAX: Duration = Duration::from_secs(30);

/// When to read a stale tree again, and whether a reading is under way.
struct Reread {
    busy: Arc<AtomicBool>,
    /// Whether the last re-read failed: only failures stretch the gap.
    failed: Arc<AtomicBool>,
    next: Instant,
    noted: Option<Instant>,
    unsaid: u64,
    gap: Duration,
}

impl Reread {
    fn new() -> Self {
        Reread {
            busy: Arc::new(AtomicBool::new(false)),
            failed: Arc::new(AtomicBool::new(false)),
            next: Instant::now(),
            noted: None,
            unsaid: 0,
            gap: REREAD_MIN,
        }
    }

    /// Starts a re-read if the tree is stale and one is due; returns when to look again.
    fn tick(&mut self, server: &Server, conn: &Connection, now: Instant) -> Option<Instant> {
        let stale = server.shared().tree.lock().ok().and_then(|t| t.stale());
        let Some(why) = stale else {
            self.gap = REREAD_MIN;
            return None;
        };
        if self.busy.load(Ordering::Acquire) {
            return Some(now + REREAD_MIN);
        }
        if !self.failed.load(Ordering::Acquire) {
            self.gap = REREAD_MIN;
        }
        if now < self.next {
            return Some(self.next);
        }
        // One log line per re-read would flood the log of a server that keeps losing
        // notifications: say it at most every REREAD_MAX, with how many went unsaid.
        if self
            .noted
            .is_none_or(|at| now.saturating_duration_since(at) >= REREAD_MAX)
        {
            let more = match std::mem::take(&mut self.unsaid) {
                0 => String::new(),
                n => format!(" ({n} more re-reads since the last note)"),
            };
            server
                .shared()
                .note(format!("reading the node tree again: {why}{more}"));
            self.noted = Some(now);
        } else {
            self.unsaid += 1;
        }
        self.next = now + self.gap;
        self.gap = (self.gap * 2).min(REREAD_MAX);
        self.busy.store(true, Ordering::Release);
        let (busy, failed) = (self.busy.clone(), self.failed.clone());
        let weak = server.weak();
        conn.add_task(tokio::spawn(async move {
            let mut ok = false;
            if let Some(server) = Server::from_weak(&weak) {
                match server.refresh_tree().await {
                    Ok(()) => ok = true,
                    Err(e) => server
                        .shared()
                        .note(format!("could not read the node tree again: {e}")),
                }
            }
            failed.store(!ok, Ordering::Release);
            busy.store(false, Ordering::Release);
        }));
        Some(self.next)
    }
}

pub(crate) async fn monitor(server: Weak<Inner>, live: Weak<Live>) {
    let Some((mut health, shared)) =
        Server::from_weak(&server).map(|s| (s.inner.health.subscribe(), s.shared().clone()))
    else {
        return;
    };
    let mut reread = Reread::new();
    let mut next_poll = Instant::now();
    // The first /status sent since the last reply: silence is measured from it.
    let mut unanswered_since: Option<Instant> = None;
    let mut unresponsive = false;
    // The /status being written: a stalled TCP peer can hold a write for as long as it likes,
    // and silence must be noticed meanwhile, so the write runs beside the watch.
    let mut sending = AbortOnDrop(None);
    loop {
        let config = *health.borrow_and_update();
        let (Some(server), Some(live)) = (Server::from_weak(&server), live.upgrade()) else {
            return;
        };
        let conn: Arc<Connection> = live.conn.clone();
        let now = Instant::now();
        if let Some(reason) = conn.closed_reason()
            && !live.attachment.is_owner
        {
            gone(&server, &live, reason);
            return;
        }
        let heard = conn.last_heard().map(Instant::from_std);
        if let (Some(since), Some(h)) = (unanswered_since, heard)
            && h >= since
        {
            unanswered_since = None;
            if unresponsive {
                unresponsive = false;
                server.set_state(ServerState::Online);
                server.emit(ServerEvent::Responsive);
            }
        }
        if let Some(since) = unanswered_since {
            let silent = now.saturating_duration_since(since);
            if silent >= config.reply_timeout && !unresponsive {
                unresponsive = true;
                server.set_state(ServerState::Unresponsive);
                server.emit(ServerEvent::Unresponsive);
            }
            // Measured from the last thing heard, so a server that stops is offline at most
            // `offline_after` after it stopped, whichever poll it missed first; and only once
            // half of that has gone in probes, so one lost packet is not a death.
            let quiet = heard.map_or(silent, |h| now.saturating_duration_since(h).max(silent));
            if quiet >= config.offline_after
                && silent >= config.reply_timeout.max(config.offline_after / 2)
                && !live.attachment.is_owner
            {
                gone(
                    &server,
                    &live,
                    format!("no answer for {} ms", quiet.as_millis()),
                );
                return;
            }
        }
        let probing = unanswered_since
            .is_some_and(|s| now.saturating_duration_since(s) >= config.reply_timeout.min(PROBE));
        if sending.0.as_ref().is_some_and(|t| t.is_finished()) {
            sending.0 = None;
        }
        if (now >= next_poll || probing) && sending.0.is_none() {
            let c = conn.clone();
            sending.0 = Some(tokio::spawn(async move {
                let _ = c.send_msg(msg("/status", [])).await;
            }));
            if unanswered_since.is_none() {
                unanswered_since = Some(now);
            }
            if now >= next_poll {
                next_poll = now + config.poll_interval;
            }
        }
        let mut wake = match unanswered_since {
            Some(_) => (now + PROBE).min(next_poll),
            None => next_poll,
        };
        if let Some(at) = reread.tick(&server, &conn, now) {
            wake = wake.min(at);
        }
        let owner = live.attachment.is_owner;
        // Hold no strong handle on the server while asleep: dropping it must end us.
        drop(live);
        drop(server);
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            changed = health.changed() => {
                if changed.is_err() {
                    return;
                }
                next_poll = Instant::now();
            }
            _ = conn.wait_closed(), if !owner => {}
            _ = shared.tree_stale.notified() => {}
        }
    }
}

/// A write that must not outlive the monitor (it holds the connection).
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.abort();
        }
    }
}

fn gone(server: &Server, live: &Arc<Live>, reason: String) {
    // A newer attachment (the user connected again meanwhile) is not this one's to end.
    let current = server.live().is_some_and(|l| Arc::ptr_eq(&l, live));
    if !current {
        return;
    }
    server.shared().note(format!(
        "lost the server at {}: {reason}",
        live.attachment.addr
    ));
    let epoch = rejoin::record_loss(server, false, reason.clone());
    server.go_offline(Some(ServerEvent::OscPanicked { reason }));
    rejoin::after_loss(server, rejoin::Loss::Lost, epoch);
}
