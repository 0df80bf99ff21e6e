//! The flight recorder's part of the frame: what the window knows of a server that the core
//! does not hear itself (JACK's xruns, counted by the window's own JACK client), and whether
//! the show is being kept.
//!
//! The journal's writer says why it can't save ([`Flight::error`]) whenever that starts (at
//! start, or mid-show when the disk fills) and clears it when a batch is saved again. A task
//! on the runtime looks twice a second (a mutex and a counter: no file is touched) and wakes
//! the window only when that changes, so an idle window draws no frame for it; the frame
//! then raises one notice per change and the status bar keeps "Show not saved" up while it
//! lasts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::ScPanel;
use crate::flight::Flight;
use crate::gui::bridge::Bridge;
use crate::gui::session::XrunsShown;
use scpanel_core::journal::Event;

/// How often the watch task looks at the writer's state.
const LOOK_EVERY: Duration = Duration::from_millis(500);
/// While the show can't be kept every batch adds to the losses: the count on screen follows
/// them this often, not at every batch.
const LOSSES_EVERY: Duration = Duration::from_secs(5);

/// What the window last heard of the show: the frame reads it again only when the watch
/// task says something changed.
pub struct ShowWatch {
    /// Bumped by the watch task at each change.
    changes: Arc<AtomicU64>,
    /// The count this frame has taken in (`u64::MAX`: nothing yet).
    seen: u64,
    /// Why the show is not being kept now.
    pub error: Option<String>,
    /// Records that never reached the show, as last taken in.
    pub lost: u64,
}

impl Default for ShowWatch {
    fn default() -> Self {
        ShowWatch {
            changes: Arc::new(AtomicU64::new(0)),
            seen: u64::MAX,
            error: None,
            lost: 0,
        }
    }
}

impl ShowWatch {
    /// Starts the task that watches `flight` for the window (it ends with the runtime).
    pub fn start(bridge: &Bridge, flight: &Flight) -> ShowWatch {
        let watch = ShowWatch::default();
        let changes = Arc::clone(&watch.changes);
        let waker = bridge.waker();
        let flight = flight.clone();
        bridge.spawn(async move {
            let mut tick = tokio::time::interval(LOOK_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut error = flight.error();
            let mut lost = flight.lost();
            let mut lost_told = Instant::now();
            loop {
                tick.tick().await;
                let now_error = flight.error();
                let now_lost = flight.lost();
                let error_changed = now_error != error;
                let lost_changed = now_lost != lost && lost_told.elapsed() >= LOSSES_EVERY;
                if error_changed || lost_changed {
                    error = now_error;
                    lost = now_lost;
                    lost_told = Instant::now();
                    changes.fetch_add(1, Ordering::Relaxed);
                    waker.wake();
                }
            }
        });
        watch
    }

    /// The show's state for the status bar, when there is something to say.
    pub fn cell(&self) -> Option<crate::gui::panels::status_bar::ShowCell<'_>> {
        (self.error.is_some() || self.lost > 0).then_some(
            crate::gui::panels::status_bar::ShowCell {
                error: self.error.as_deref(),
                lost: self.lost,
            },
        )
    }
}

impl ScPanel {
    /// Takes in a change of the show's state, with one notice for it: the show can't be
    /// kept (and why), or it is kept again (and what was lost meanwhile).
    pub(super) fn watch_show(&mut self) {
        let Some(flight) = &self.flight else { return };
        let changes = self.show_watch.changes.load(Ordering::Relaxed);
        if changes == self.show_watch.seen {
            return;
        }
        self.show_watch.seen = changes;
        let error = flight.error();
        let lost = flight.lost();
        let before = std::mem::replace(&mut self.show_watch.error, error.clone());
        self.show_watch.lost = lost;
        if before == error {
            return;
        }
        // A sentence that said why is out of date: it goes, wherever it was said.
        if before.is_some() {
            for s in &self.sessions {
                if let Ok(mut i) = s.inbox.lock() {
                    i.notices
                        .retain(|n| n.title != crate::gui::panels::status_bar::SHOW_NOT_SAVED);
                }
            }
        }
        match error {
            Some(why) => {
                self.session()
                    .notice(crate::gui::panels::status_bar::SHOW_NOT_SAVED, why, true)
            }
            None => {
                let text = match lost {
                    0 => "the show is being saved again".to_string(),
                    1 => "the show is being saved again; 1 record was lost".to_string(),
                    n => format!("the show is being saved again; {n} records were lost"),
                };
                self.session().notice("Show saved again", text, false);
            }
        }
    }

    /// The wall's CPU alert into the show as it goes on (offline and late lines are kept as
    /// events of their own): "CPU at 85 % (the alert is at 80 %)".
    pub(super) fn keep_alerts(&mut self) {
        let Some(flight) = &self.flight else { return };
        let threshold = self.wall.cpu_threshold;
        for s in &mut self.sessions {
            let Ok(Some(id)) = s.flight_id.lock().map(|g| *g) else {
                continue;
            };
            // The wall's test, on the figure alone (its other alerts read the log: not needed
            // here, every frame).
            let cpu = s
                .server
                .latest_status()
                .filter(|_| s.server.state().is_online())
                .map(|x| x.average_cpu);
            let on = cpu.is_some_and(|c| c >= threshold);
            if on && !s.cpu_alert_kept {
                let cpu = cpu.unwrap_or_default();
                flight.event(
                    id,
                    Event::Alert {
                        text: format!("CPU at {cpu:.0} % (the alert is at {threshold:.0} %)"),
                    },
                );
            }
            s.cpu_alert_kept = on;
        }
    }

    /// New xruns of every followed server into the show, at the time of the latest.
    pub(super) fn keep_xruns(&mut self) {
        let Some(flight) = &self.flight else { return };
        for s in &mut self.sessions {
            let Ok(Some(id)) = s.flight_id.lock().map(|g| *g) else {
                continue;
            };
            let XrunsShown::Counting(x) = s.xruns() else {
                continue;
            };
            let count = x.count();
            if count > s.xruns_kept {
                let new = u32::try_from(count - s.xruns_kept).unwrap_or(u32::MAX);
                let at = x.last().unwrap_or_else(std::time::SystemTime::now);
                flight.event_at(id, at, Event::Xrun { count: new });
            }
            s.xruns_kept = count;
        }
    }
}
