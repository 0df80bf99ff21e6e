//! The OSC traffic a show keeps (issue 26): which packets go in ([`TrafficFilter`], the one
//! place that decides), and the arithmetic `scpanel replay` sends them again with (time tags
//! moved with the replay, a bounded rate).
//!
//! Left out unless everything is asked for: the `/status` poll and its replies (the show's
//! samples already keep them), scpanel's level meters and scope (`scpanel-meter-*` and
//! `scpanel-scope-*` synths, their SynthDefs, what is done to their nodes, and the
//! `/scpanel/…` replies of scpanel's own instruments). Meter replies and the scope's
//! `/b_getn` reads never reach the console's tap at all, so they are never kept.

use std::collections::HashSet;
use std::time::Duration;

use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};
use scpanel_core::Direction;

/// What of a server's traffic goes into the show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrafficMode {
    /// Nothing (the default: a show is small without it).
    #[default]
    Off,
    /// What scpanel and the user sent and what came back, without the status poll, the
    /// meters and the scope.
    Filtered,
    /// Every packet the console sees.
    All,
}

impl TrafficMode {
    /// Whether anything is kept.
    pub fn is_on(self) -> bool {
        self != TrafficMode::Off
    }
}

/// The SynthDefs of scpanel's meters and scope (the spectrum reads the scope).
fn is_meter_or_scope(def: &str) -> bool {
    def.starts_with("scpanel-meter-") || def.starts_with("scpanel-scope-")
}

/// Decides packet by packet what the show keeps in [`TrafficMode::Filtered`]. It remembers
/// the node ids of the meter and scope synths it saw made, so what is done to them later
/// (`/n_set`, `/n_free`, their `/n_go` and `/n_end`) stays out as well, until their `/n_end`
/// (those ids are in scpanel's own block, so no other node has them meanwhile).
#[derive(Debug, Default)]
pub struct TrafficFilter {
    instruments: HashSet<i32>,
}

impl TrafficFilter {
    /// The part of `packet` the show keeps: the packet itself, a bundle without its left-out
    /// messages, or `None` when nothing of it is kept.
    pub fn keep(&mut self, direction: Direction, packet: &OscPacket) -> Option<OscPacket> {
        match packet {
            OscPacket::Message(m) => self.keep_message(direction, m).then(|| packet.clone()),
            OscPacket::Bundle(b) => {
                let content: Vec<OscPacket> = b
                    .content
                    .iter()
                    .filter_map(|p| self.keep(direction, p))
                    .collect();
                if content == b.content {
                    return Some(packet.clone());
                }
                // `/error -1` alone is scpanel's wrapper around a left-out command.
                let something = content.iter().any(|p| match p {
                    OscPacket::Message(m) => m.addr != "/error",
                    OscPacket::Bundle(_) => true,
                });
                something.then_some(OscPacket::Bundle(OscBundle {
                    timetag: b.timetag,
                    content,
                }))
            }
        }
    }

    /// Takes in what `packet` tells of scpanel's own meters and scopes, without copying it:
    /// while recording is off (or keeps everything), so that the filter still knows them when
    /// it is switched to filtered.
    pub fn observe(&mut self, direction: Direction, packet: &OscPacket) {
        match packet {
            OscPacket::Message(m) => {
                self.keep_message(direction, m);
            }
            OscPacket::Bundle(b) => {
                for p in &b.content {
                    self.observe(direction, p);
                }
            }
        }
    }

    fn keep_message(&mut self, direction: Direction, m: &OscMessage) -> bool {
        let first_int = match m.args.first() {
            Some(OscType::Int(i)) => Some(*i),
            _ => None,
        };
        match (direction, m.addr.as_str()) {
            (Direction::Sent, "/status") | (Direction::Received, "/status.reply") => false,
            (Direction::Received, a) if a.starts_with("/scpanel/") => false,
            (Direction::Sent, "/s_new") => match (m.args.first(), m.args.get(1)) {
                (Some(OscType::String(def)), Some(OscType::Int(id))) if is_meter_or_scope(def) => {
                    self.instruments.insert(*id);
                    false
                }
                _ => true,
            },
            (Direction::Sent, "/d_recv") => match m.args.first() {
                Some(OscType::Blob(bytes)) => {
                    match scpanel_core::synthdef::decode_file(bytes) {
                        Ok(defs) => !defs.iter().all(|d| is_meter_or_scope(&d.name)),
                        // Not ours to judge: kept as sent.
                        Err(_) => true,
                    }
                }
                _ => true,
            },
            (Direction::Sent, "/n_free") => {
                let ids: Vec<i32> = m
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        OscType::Int(i) => Some(*i),
                        _ => None,
                    })
                    .collect();
                // Forgotten at their `/n_end`, which comes after this.
                ids.is_empty() || !ids.iter().all(|i| self.instruments.contains(i))
            }
            (Direction::Received, "/n_end") => match first_int {
                Some(id) => !self.instruments.remove(&id),
                None => true,
            },
            (_, a) if a.starts_with("/n_") => {
                !first_int.is_some_and(|id| self.instruments.contains(&id))
            }
            _ => true,
        }
    }
}

/// OSC's "now": a bundle with this tag runs when it arrives, wherever it is replayed.
fn is_immediately(t: OscTime) -> bool {
    t.seconds == 0 && t.fractional == 1
}

/// `t` moved by `by_nanos` nanoseconds (either way), in OSC's 32.32 fixed point; "now" (1)
/// stays "now". Saturates at the ends of the NTP era instead of wrapping.
pub fn shift_timetag(t: OscTime, by_nanos: i128) -> OscTime {
    if is_immediately(t) {
        return t;
    }
    let fixed = (i128::from(t.seconds) << 32) | i128::from(t.fractional);
    let by = (by_nanos << 32) / 1_000_000_000;
    let moved = (fixed + by).clamp(2, (1i128 << 64) - 1);
    OscTime {
        seconds: (moved >> 32) as u32,
        fractional: (moved & 0xffff_ffff) as u32,
    }
}

/// `packet` with every bundle's time tag (nested ones too) moved by `by_nanos`.
pub fn shift_timetags(packet: &OscPacket, by_nanos: i128) -> OscPacket {
    match packet {
        OscPacket::Message(_) => packet.clone(),
        OscPacket::Bundle(b) => OscPacket::Bundle(OscBundle {
            timetag: shift_timetag(b.timetag, by_nanos),
            content: b
                .content
                .iter()
                .map(|p| shift_timetags(p, by_nanos))
                .collect(),
        }),
    }
}

/// The least time between two packets at `per_second` packets a second at most.
pub fn min_gap(per_second: u32) -> Duration {
    Duration::from_secs(1) / per_second.max(1)
}

/// When (from the replay's start) to send a packet recorded `recorded` after the first one:
/// its recorded time divided by `speed`, but never sooner than `gap` after the previous
/// send, so a burst is spread out and what follows it comes late rather than in a heap.
pub fn send_at(
    recorded: Duration,
    speed: f64,
    previous: Option<Duration>,
    gap: Duration,
) -> Duration {
    let planned =
        Duration::try_from_secs_f64(recorded.as_secs_f64() / speed.max(f64::MIN_POSITIVE))
            .unwrap_or(Duration::MAX);
    match previous {
        Some(p) => planned.max(p.saturating_add(gap)),
        None => planned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scpanel_core::osc::msg;

    fn m(addr: &str, args: Vec<OscType>) -> OscPacket {
        OscPacket::Message(msg(addr, args))
    }

    fn bundle(content: Vec<OscPacket>) -> OscPacket {
        OscPacket::Bundle(OscBundle {
            timetag: OscTime {
                seconds: 0,
                fractional: 1,
            },
            content,
        })
    }

    #[test]
    fn the_filter_leaves_out_the_status_poll_meters_and_scope() {
        use Direction::{Received, Sent};
        let mut f = TrafficFilter::default();
        assert_eq!(f.keep(Sent, &m("/status", vec![])), None);
        assert_eq!(
            f.keep(Received, &m("/status.reply", vec![OscType::Int(1)])),
            None
        );
        assert_eq!(
            f.keep(Received, &m("/scpanel/meter", vec![OscType::Int(1)])),
            None
        );
        let meter = m(
            "/s_new",
            vec![
                OscType::String("scpanel-meter-2".into()),
                OscType::Int(1_000_005),
                OscType::Int(1),
                OscType::Int(7),
            ],
        );
        // scpanel sends its own commands as `/error -1` bundles.
        let wrapped = bundle(vec![m("/error", vec![OscType::Int(-1)]), meter]);
        assert_eq!(f.keep(Sent, &wrapped), None);
        let set = m("/n_set", vec![OscType::Int(1_000_005), OscType::Int(0)]);
        assert_eq!(f.keep(Sent, &set), None);
        assert_eq!(
            f.keep(Received, &m("/n_go", vec![OscType::Int(1_000_005)])),
            None
        );
        assert_eq!(
            f.keep(Sent, &m("/n_free", vec![OscType::Int(1_000_005)])),
            None
        );
        assert_eq!(
            f.keep(Received, &m("/n_end", vec![OscType::Int(1_000_005)])),
            None
        );
        // Once ended, the id is anybody's again.
        assert!(f.keep(Sent, &set).is_some());
        let scope_def = scpanel_core::synthdef::builtins::builtin("scpanel-scope-2")
            .expect("built in")
            .encode();
        assert_eq!(
            f.keep(Sent, &m("/d_recv", vec![OscType::Blob(scope_def)])),
            None
        );

        // The user's own work is kept, also beside a left-out command in one bundle.
        let user = m(
            "/s_new",
            vec![
                OscType::String("default".into()),
                OscType::Int(2000),
                OscType::Int(0),
                OscType::Int(1),
            ],
        );
        assert_eq!(f.keep(Sent, &user), Some(user.clone()));
        let sine = scpanel_core::synthdef::builtins::builtin("scpanel-sine")
            .expect("built in")
            .encode();
        assert!(
            f.keep(Sent, &m("/d_recv", vec![OscType::Blob(sine)]))
                .is_some()
        );
        assert!(
            f.keep(Sent, &m("/d_recv", vec![OscType::Blob(vec![1, 2])]))
                .is_some(),
            "a blob that is no SynthDef is kept as sent"
        );
        let mixed = bundle(vec![
            m("/status", vec![]),
            user.clone(),
            m(
                "/g_new",
                vec![OscType::Int(3), OscType::Int(0), OscType::Int(1)],
            ),
        ]);
        let Some(OscPacket::Bundle(kept)) = f.keep(Sent, &mixed) else {
            panic!("the bundle is kept");
        };
        assert_eq!(kept.content.len(), 2);
        assert!(f.keep(Received, &m("/fail", vec![])).is_some());
        let only_error = bundle(vec![m("/error", vec![OscType::Int(-1)])]);
        assert_eq!(
            f.keep(Sent, &only_error),
            Some(only_error.clone()),
            "a bundle nothing was taken from is kept as it was"
        );
        assert!(
            f.keep(Received, &m("/n_go", vec![OscType::Int(2000)]))
                .is_some()
        );
    }

    #[test]
    fn time_tags_move_with_the_replay_and_now_stays_now() {
        let t = OscTime {
            seconds: 3_900_000_000,
            fractional: 1 << 31,
        };
        // 1.25 s later: half a second plus a quarter.
        let later = shift_timetag(t, 1_250_000_000);
        assert_eq!(later.seconds, 3_900_000_001);
        assert_eq!(later.fractional, 3 << 30);
        let earlier = shift_timetag(t, -2_500_000_000);
        assert_eq!(earlier.seconds, 3_899_999_998);
        assert_eq!(earlier.fractional, 0);
        let now = OscTime {
            seconds: 0,
            fractional: 1,
        };
        assert_eq!(shift_timetag(now, 5_000_000_000), now);
        let end = OscTime {
            seconds: u32::MAX,
            fractional: u32::MAX,
        };
        assert_eq!(shift_timetag(end, 1_000_000_000), end, "saturates");
        let nested = OscPacket::Bundle(OscBundle {
            timetag: t,
            content: vec![
                bundle(vec![m("/n_set", vec![])]),
                OscPacket::Bundle(OscBundle {
                    timetag: t,
                    content: vec![],
                }),
            ],
        });
        let OscPacket::Bundle(b) = shift_timetags(&nested, 1_250_000_000) else {
            panic!("a bundle");
        };
        assert_eq!(b.timetag, later);
        assert!(matches!(&b.content[0], OscPacket::Bundle(x) if x.timetag == now));
        assert!(matches!(&b.content[1], OscPacket::Bundle(x) if x.timetag == later));
    }

    #[test]
    fn the_rate_cap_spreads_a_burst_and_speed_divides_the_waits() {
        assert_eq!(min_gap(500), Duration::from_millis(2));
        assert_eq!(
            min_gap(0),
            Duration::from_secs(1),
            "never a division by zero"
        );
        let gap = min_gap(100);
        let s = |ms: u64| Duration::from_millis(ms);
        assert_eq!(send_at(s(1000), 2.0, None, gap), s(500));
        assert_eq!(send_at(s(1000), 0.5, Some(s(0)), gap), s(2000));
        // Three packets recorded at once leave 10 ms apart.
        let first = send_at(s(0), 1.0, None, gap);
        let second = send_at(s(0), 1.0, Some(first), gap);
        let third = send_at(s(0), 1.0, Some(second), gap);
        assert_eq!((first, second, third), (s(0), s(10), s(20)));
        // What comes after a burst keeps its own time when the burst is over by then.
        assert_eq!(send_at(s(500), 1.0, Some(third), gap), s(500));
    }
}
