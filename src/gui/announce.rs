//! What a screen reader is told without asking: the server coming online, going away or
//! crashing, alerts, clips. One polite live region, changed at most once a second (a later
//! news waits its turn and replaces any that waited before it).
//!
//! The same news also leads the window's accessible name, because Orca 43 (Debian 12)
//! presents no AccessKit live region: AccessKit sends it as an `object:announcement` event,
//! for which Orca 43 registers no listener (later Orcas do: the maintainer points apps to it,
//! mate-desktop/mate-calc#223), and Orca 43's own live-region support is for web documents
//! only (`liveregions.py`, used by `scripts/web`). What Orca 43 does say is a new name of
//! the active window (`onNameChanged` in `orca/scripts/default.py`: a frame that is the
//! `activeWindow` gets `presentMessage(name)`). `scripts/orca-check.sh` hears it end to end.

use std::time::{Duration, Instant};

use scpanel_core::ServerState;

/// The shortest time between two announcements.
pub(crate) const GAP: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Announcer {
    /// What the live region says now.
    pub text: String,
    said_at: Option<Instant>,
    waiting: Option<String>,
    state: Option<ServerState>,
    crashes: u32,
    alerts: usize,
    clips: usize,
    /// The session watched: another one's state is no change of this one's.
    session: Option<u64>,
    /// The server's name the frame before: a server that went away is said by the name it
    /// had (after a crash there is no address left, the tile says "no server yet").
    name: String,
}

/// What the window shows this frame that may be news.
pub struct Seen<'a> {
    /// Which session the window shows.
    pub session: u64,
    pub name: &'a str,
    pub state: ServerState,
    pub crashes: u32,
    /// Why the server went away, when it did by itself.
    pub away: Option<&'a str>,
    pub alerts: usize,
    /// Meters showing a clip now.
    pub clips: usize,
}

impl Announcer {
    /// Takes this frame's view; returns how long until a waiting announcement is due.
    pub fn observe(&mut self, now: Instant, seen: &Seen) -> Option<Duration> {
        if self.session != Some(seen.session) {
            // Switching servers is not news of the server switched to.
            self.session = Some(seen.session);
            self.state = None;
            self.crashes = seen.crashes;
            self.name = seen.name.to_string();
        }
        let gone = std::mem::replace(&mut self.name, seen.name.to_string());
        let gone = if gone.is_empty() { seen.name } else { &gone };
        let mut news = Vec::new();
        if seen.crashes > self.crashes {
            news.push(format!("{gone}: the server crashed"));
        } else if self.state.is_some_and(|s| s != seen.state) {
            match seen.state {
                ServerState::Online => news.push(format!("{}: server online", seen.name)),
                ServerState::Unresponsive => {
                    news.push(format!("{gone}: the server stopped answering"))
                }
                // From a server that was up: a failed rejoin going from connecting back to
                // offline every few seconds is no news.
                ServerState::Offline
                    if matches!(
                        self.state,
                        Some(
                            ServerState::Online | ServerState::Unresponsive | ServerState::Quitting
                        )
                    ) =>
                {
                    news.push(match seen.away {
                        Some(why) => format!("{gone}: server lost ({why})"),
                        None => format!("{gone}: server offline"),
                    })
                }
                _ => {}
            }
        }
        if seen.alerts > self.alerts {
            news.push(match seen.alerts {
                1 => "1 server alert".to_string(),
                n => format!("{n} server alerts"),
            });
        }
        if seen.clips > self.clips {
            news.push("clip".to_string());
        }
        self.state = Some(seen.state);
        self.crashes = seen.crashes;
        self.alerts = seen.alerts;
        self.clips = seen.clips;
        if !news.is_empty() {
            // News that waited is kept: a crash and the alert it raises are both said.
            let text = news.join(". ");
            self.waiting = Some(match self.waiting.take() {
                Some(before) => format!("{before}. {text}"),
                None => text,
            });
        }
        let due = self.said_at.map_or(now, |t| t + GAP);
        if let Some(text) = self.waiting.take() {
            if now >= due {
                // The same words again would not change the region, and go unsaid: mark them.
                self.text = if text == self.text {
                    format!("{text} (again)")
                } else {
                    text
                };
                self.said_at = Some(now);
            } else {
                self.waiting = Some(text);
                return Some(due - now);
            }
        }
        None
    }

    /// The window's accessible name: the last news, then the app's name. Without it the
    /// window had no name at all and Orca said only "frame". Not the window title: that
    /// counts a recording's seconds, and Orca 43 would say the whole name again each second.
    pub fn window_name(&self) -> String {
        if self.text.is_empty() {
            "scpanel".to_string()
        } else {
            format!("{} \u{B7} scpanel", self.text)
        }
    }

    /// The live region (no size, only a node for assistive technology), and the window's
    /// accessible name, which leads with the same news for Orca 43 (see the module's note).
    pub fn ui(&self, ui: &mut egui::Ui) {
        let (_, resp) = ui.allocate_exact_size(egui::Vec2::ZERO, egui::Sense::hover());
        ui.ctx().accesskit_node_builder(resp.id, |n| {
            n.set_role(egui::accesskit::Role::Status);
            n.set_live(egui::accesskit::Live::Polite);
            n.set_label(self.text.clone());
        });
        ui.ctx()
            .accesskit_node_builder(egui::accesskit_root_id(), |n| {
                n.set_label(self.window_name())
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(state: ServerState, crashes: u32, alerts: usize) -> Seen<'static> {
        Seen {
            session: 0,
            name: "Ada",
            state,
            crashes,
            away: None,
            alerts,
            clips: 0,
        }
    }

    #[test]
    fn news_is_said_at_most_once_a_second_and_the_latest_wins() {
        let mut a = Announcer::default();
        let t = Instant::now();
        assert_eq!(a.observe(t, &seen(ServerState::Offline, 0, 0)), None);
        assert_eq!(a.text, "", "the first view is no news");
        a.observe(t, &seen(ServerState::Online, 0, 0));
        assert_eq!(a.text, "Ada: server online");
        let wait = a.observe(
            t + Duration::from_millis(100),
            &seen(ServerState::Offline, 1, 0),
        );
        assert_eq!(a.text, "Ada: server online", "too soon: it waits");
        assert!(wait.is_some_and(|w| w <= GAP));
        a.observe(
            t + Duration::from_millis(200),
            &seen(ServerState::Offline, 1, 1),
        );
        a.observe(t + GAP, &seen(ServerState::Offline, 1, 1));
        assert_eq!(
            a.text, "Ada: the server crashed. 1 server alert",
            "both, a second later"
        );
    }

    #[test]
    fn switching_servers_and_failed_rejoins_are_no_news() {
        let mut a = Announcer::default();
        let t = Instant::now();
        a.observe(t, &seen(ServerState::Online, 0, 0));
        let mut other = seen(ServerState::Offline, 3, 0);
        other.session = 1;
        a.observe(t + GAP, &other);
        assert_eq!(
            a.text, "",
            "another server's state and crashes are not this one's"
        );
        a.observe(t + GAP * 2, &seen(ServerState::Connecting, 0, 0));
        let text = a.text.clone();
        a.observe(t + GAP * 3, &seen(ServerState::Offline, 0, 0));
        assert_eq!(a.text, text, "a try that failed says nothing");
    }

    #[test]
    fn a_crash_is_said_as_a_crash() {
        let mut a = Announcer::default();
        let t = Instant::now();
        a.observe(t, &seen(ServerState::Online, 0, 0));
        a.observe(t + GAP, &seen(ServerState::Offline, 1, 0));
        assert_eq!(a.text, "Ada: the server crashed");
    }

    #[test]
    fn a_server_gone_is_said_by_the_name_it_had() {
        let mut a = Announcer::default();
        let t = Instant::now();
        a.observe(t, &seen(ServerState::Online, 0, 0));
        let mut after = seen(ServerState::Offline, 1, 0);
        after.name = "no server yet";
        a.observe(t + GAP, &after);
        assert_eq!(a.text, "Ada: the server crashed");
    }

    #[test]
    fn the_window_name_leads_with_the_news() {
        let mut a = Announcer::default();
        assert_eq!(a.window_name(), "scpanel");
        let t = Instant::now();
        a.observe(t, &seen(ServerState::Offline, 0, 0));
        a.observe(t, &seen(ServerState::Online, 0, 0));
        assert_eq!(a.window_name(), "Ada: server online \u{B7} scpanel");
    }
}
