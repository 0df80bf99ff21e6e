//! What a screen reader is told without asking: the server coming online, going away or
//! crashing, alerts, clips. One polite live region, changed at most once a second (a later
//! news waits its turn and replaces any that waited before it).

use std::time::{Duration, Instant};

use crate::server::ServerState;

/// The shortest time between two announcements.
pub const GAP: Duration = Duration::from_secs(1);

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
}

/// What the window shows this frame that may be news.
pub struct Seen<'a> {
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
        let mut news = Vec::new();
        if seen.crashes > self.crashes {
            news.push(format!("{}: the server crashed", seen.name));
        } else if self.state.is_some_and(|s| s != seen.state) {
            match seen.state {
                ServerState::Online => news.push(format!("{}: server online", seen.name)),
                ServerState::Unresponsive => {
                    news.push(format!("{}: the server stopped answering", seen.name))
                }
                ServerState::Offline => news.push(match seen.away {
                    Some(why) => format!("{}: server lost ({why})", seen.name),
                    None => format!("{}: server offline", seen.name),
                }),
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
            self.waiting = Some(news.join(". "));
        }
        let due = self.said_at.map_or(now, |t| t + GAP);
        if let Some(text) = self.waiting.take() {
            if now >= due {
                self.text = text;
                self.said_at = Some(now);
            } else {
                self.waiting = Some(text);
                return Some(due - now);
            }
        }
        None
    }

    /// The live region: no size, only a node for assistive technology.
    pub fn ui(&self, ui: &mut egui::Ui) {
        let (_, resp) = ui.allocate_exact_size(egui::Vec2::ZERO, egui::Sense::hover());
        ui.ctx().accesskit_node_builder(resp.id, |n| {
            n.set_role(egui::accesskit::Role::Status);
            n.set_live(egui::accesskit::Live::Polite);
            n.set_label(self.text.clone());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(state: ServerState, crashes: u32, alerts: usize) -> Seen<'static> {
        Seen {
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
        assert_eq!(a.text, "1 server alert", "the latest news, a second later");
    }

    #[test]
    fn a_crash_is_said_as_a_crash() {
        let mut a = Announcer::default();
        let t = Instant::now();
        a.observe(t, &seen(ServerState::Online, 0, 0));
        a.observe(t + GAP, &seen(ServerState::Offline, 1, 0));
        assert_eq!(a.text, "Ada: the server crashed");
    }
}
