//! Polls `/status` and watches for silence: unresponsive after one missed reply, and for a
//! server we only connected to, offline soon after (supriya takes about 13 s to notice).

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use super::connection::Connection;
use super::protocol::msg;
use super::{Inner, Live, Server, ServerEvent, ServerState};

/// While a reply is overdue, probe this often.
const PROBE: Duration = Duration::from_millis(100);

pub(super) async fn monitor(server: Weak<Inner>, live: Weak<Live>) {
    let Some(mut health) = Server::from_weak(&server).map(|s| s.inner.health.subscribe()) else {
        return;
    };
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
            && !live.session.is_owner
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
            if silent >= config.offline_after && !live.session.is_owner {
                gone(
                    &server,
                    &live,
                    format!("no answer for {} ms", silent.as_millis()),
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
        let wake = match unanswered_since {
            Some(_) => (now + PROBE).min(next_poll),
            None => next_poll,
        };
        let owner = live.session.is_owner;
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

fn gone(server: &Server, live: &Live, reason: String) {
    server.shared().note(format!(
        "lost the server at {}: {reason}",
        live.session.addr
    ));
    server.go_offline(Some(ServerEvent::OscPanicked { reason }));
}
