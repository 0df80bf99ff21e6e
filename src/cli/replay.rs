//! `scpanel replay SHOW --addr HOST:PORT`: what scpanel sent one server during a show
//! (recorded with `--record-traffic` or the console's "Record traffic"), sent again to
//! another server with its timing: the recorded gaps divided by `--speed`, each bundle's
//! time tag moved by as much as its packet was, at most `--max-rate` packets a second.
//! `/quit` and `/notify` are not sent again: a replay must not end the server it plays on,
//! nor take one of its logins.

use std::time::{Duration, SystemTime};

use clap::{Arg, ArgMatches, Command};
use rosc::OscPacket;

use scpanel_core::Server;
use scpanel_core::journal::{Direction, ServerId, ServerRow, TrafficRow};
use scpanel_core::osc::printable;

use super::args::connection_args;
use super::connect::connect;
use super::shows::{folder_arg, open, show_arg};
use crate::traffic::{min_gap, send_at, shift_timetags};

/// `--max-rate`'s default: fast enough for a busy performance, slow enough that scsynth's
/// UDP buffer is not flooded by a burst recorded over a fast link.
const DEFAULT_MAX_RATE: u32 = 500;

/// Commands a replay leaves out, with why (for the help and the output).
const SKIPPED: &[&str] = &["/quit", "/notify"];

pub(super) fn command() -> Command {
    connection_args(
        Command::new("replay")
            .about(
                "Send again, with their timing, the OSC messages and bundles scpanel sent one \
                 server during a show (kept with --record-traffic or the console's \"Record \
                 traffic\"). Bundles' time tags move with the replay (0.2 s ahead stays 0.2 s \
                 ahead). /quit and /notify are skipped. Ctrl-C stops it",
            )
            .arg(show_arg())
            .arg(folder_arg())
            .arg(
                Arg::new("server")
                    .long("server")
                    .value_name("NAME|ID")
                    .help(
                        "Whose traffic, when the show has several servers with sent packets: \
                         its name, its address or its number in the show (0 for the first; \
                         the error without it lists them)",
                    ),
            )
            .arg(
                Arg::new("speed")
                    .long("speed")
                    .value_name("X")
                    .default_value("1")
                    .value_parser(speed_arg)
                    .help(
                        "Play faster (2) or slower (0.5): the gaps are divided by X (0.01 to 100)",
                    ),
            )
            .arg(
                Arg::new("max-rate")
                    .long("max-rate")
                    .value_name("PER_SECOND")
                    .default_value(DEFAULT_MAX_RATE.to_string())
                    .value_parser(clap::value_parser!(u32).range(1..=100_000))
                    .help(
                        "At most this many packets a second; a faster burst is spread out \
                         (1 to 100000)",
                    ),
            ),
    )
    // No default: a replay aimed at the server of the show itself (57110, most likely still
    // running) would play everything twice.
    .mut_arg("addr", |a| {
        a.required(true)
            .default_value(None)
            .help("The server to play to (UDP; TCP with --tcp)")
    })
}

fn speed_arg(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if (0.01..=100.0).contains(&x) => Ok(x),
        _ => Err(format!("{text:?}: a number from 0.01 to 100")),
    }
}

/// One packet to send again: when it went, and what.
struct Recorded {
    at: SystemTime,
    packet: OscPacket,
}

/// The server whose sent traffic is replayed: `--server`, or the only one with any.
fn pick_server<'a>(
    servers: &'a [ServerRow],
    with_traffic: &[ServerId],
    asked: Option<&str>,
) -> Result<&'a ServerRow, String> {
    let label = |s: &ServerRow| {
        if s.name.is_empty() || s.name == s.address {
            format!("{} ({})", s.id.0, s.address)
        } else {
            format!("{} ({}, {})", s.id.0, s.name, s.address)
        }
    };
    let candidates: Vec<&ServerRow> = servers
        .iter()
        .filter(|s| with_traffic.contains(&s.id))
        .collect();
    if let Some(asked) = asked {
        let asked = asked.trim();
        let found: Vec<&ServerRow> = servers
            .iter()
            .filter(|s| {
                s.id.0.to_string() == asked
                    || (!s.name.is_empty() && s.name == asked)
                    || s.address == asked
            })
            .collect();
        return match found.as_slice() {
            [one] if with_traffic.contains(&one.id) => Ok(one),
            [one] => Err(format!(
                "server {} has no sent traffic in this show",
                label(one)
            )),
            [] => Err(format!(
                "no server {asked:?} in this show; it has {}",
                servers.iter().map(label).collect::<Vec<_>>().join(", ")
            )),
            many => Err(format!(
                "{asked:?} names {} servers: give its number ({})",
                many.len(),
                many.iter().map(|s| label(s)).collect::<Vec<_>>().join(", ")
            )),
        };
    }
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(
            "this show kept no traffic sent to a server: record with --record-traffic or the \
             console's \"Record traffic\""
                .into(),
        ),
        many => Err(format!(
            "several servers have sent traffic; choose one with --server: {}",
            many.iter().map(|s| label(s)).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// `packet` without the commands a replay leaves out; `None` when nothing else is in it.
/// Counts what it took out.
fn without_skipped(packet: OscPacket, skipped: &mut [usize]) -> Option<OscPacket> {
    match packet {
        OscPacket::Message(m) => match SKIPPED.iter().position(|s| *s == m.addr) {
            Some(i) => {
                skipped[i] += 1;
                None
            }
            None => Some(OscPacket::Message(m)),
        },
        OscPacket::Bundle(mut b) => {
            let before = b.content.len();
            b.content = std::mem::take(&mut b.content)
                .into_iter()
                .filter_map(|p| without_skipped(p, skipped))
                .collect();
            // A bundle that held only skipped commands is not sent empty.
            (before == 0 || !b.content.is_empty()).then_some(OscPacket::Bundle(b))
        }
    }
}

/// The largest stored packet replay takes (a big `/d_recv` sent over TCP fits).
const MAX_STORED_PACKET: usize = 16 * 1024 * 1024;

/// The sent packets of `server` among `rows`, decoded, in time order.
fn read(rows: Vec<TrafficRow>, server: ServerId) -> Result<Vec<Recorded>, String> {
    let mut out = Vec::new();
    for (n, row) in rows
        .into_iter()
        .filter(|r| r.server == server && r.direction == Direction::Sent)
        .enumerate()
    {
        // Checked before it is decoded: a show someone sent may hold bundles nested deep
        // enough to overflow the stack of a recursive decoder.
        let packet = match scpanel_core::osc::decode_within(&row.packet, MAX_STORED_PACKET) {
            Ok(p) => p,
            Err(e) => {
                return Err(format!(
                    "sent packet {} (at {}) in the show is not OSC: {e}",
                    n + 1,
                    scpanel_core::clock::utc_millis(row.time)
                ));
            }
        };
        out.push(Recorded {
            at: row.time,
            packet,
        });
    }
    Ok(out)
}

/// The latest time tag in `packet` (none for "now" or a message).
fn latest_tag(packet: &OscPacket) -> Option<SystemTime> {
    latest_fixed(packet).and_then(ntp_to_system)
}

/// The latest tag as NTP fixed point (seconds << 32 | fraction): compared as numbers, since
/// rosc's conversion to `SystemTime` panics on a tag before 1970.
fn latest_fixed(packet: &OscPacket) -> Option<u64> {
    match packet {
        OscPacket::Message(_) => None,
        OscPacket::Bundle(b) => {
            let own = (!(b.timetag.seconds == 0 && b.timetag.fractional == 1))
                .then(|| (u64::from(b.timetag.seconds) << 32) | u64::from(b.timetag.fractional));
            b.content.iter().filter_map(latest_fixed).chain(own).max()
        }
    }
}

/// An NTP fixed-point time as a `SystemTime`; `None` before 1970.
fn ntp_to_system(fixed: u64) -> Option<SystemTime> {
    const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
    let seconds = (fixed >> 32).checked_sub(NTP_UNIX_OFFSET)?;
    let nanos = ((fixed & 0xffff_ffff) * 1_000_000_000) >> 32;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos as u32))
}

/// Signed nanoseconds from `from` to `to`.
fn nanos_between(from: SystemTime, to: SystemTime) -> i128 {
    match to.duration_since(from) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// `replay`.
pub(super) async fn run(m: &ArgMatches) -> Result<(), String> {
    let show = open(m)?;
    let rows = show.traffic(..).map_err(|e| e.to_string())?;
    let mut with_traffic: Vec<ServerId> = rows
        .iter()
        .filter(|r| r.direction == Direction::Sent)
        .map(|r| r.server)
        .collect();
    with_traffic.sort();
    with_traffic.dedup();
    let row = pick_server(
        &show.info().servers,
        &with_traffic,
        m.get_one::<String>("server").map(String::as_str),
    )?
    .clone();
    drop(show);
    let recorded = read(rows, row.id)?;
    let mut skipped = vec![0; SKIPPED.len()];
    let packets: Vec<Recorded> = recorded
        .into_iter()
        .filter_map(|r| {
            without_skipped(r.packet, &mut skipped).map(|packet| Recorded { at: r.at, packet })
        })
        .collect();
    let skipped_text = SKIPPED
        .iter()
        .zip(&skipped)
        .filter(|(_, n)| **n > 0)
        .map(|(a, n)| format!("{n} {a}"))
        .collect::<Vec<_>>()
        .join(", ");
    let Some(first) = packets.first().map(|p| p.at) else {
        println!("nothing to replay (skipped: {skipped_text})");
        return Ok(());
    };
    let speed = m.get_one::<f64>("speed").copied().unwrap_or(1.0);
    let gap = min_gap(
        m.get_one::<u32>("max-rate")
            .copied()
            .unwrap_or(DEFAULT_MAX_RATE),
    );
    let length = packets.last().map_or(Duration::ZERO, |p| {
        p.at.duration_since(first).unwrap_or_default()
    });
    let addr = m.get_one::<String>("addr").map_or("", String::as_str);
    // Ctrl-C (or SIGTERM, SIGHUP) stops the replay between packets, from before the first
    // line is printed: a script that reads it and interrupts is never too early.
    let mut signals = crate::signals::Signals::install()
        .map_err(|e| format!("cannot listen for signals: {e}"))?;
    println!(
        "replaying {} packet{} sent to {} over {:.1} s to {}{}",
        packets.len(),
        if packets.len() == 1 { "" } else { "s" },
        printable(if row.name.is_empty() {
            &row.address
        } else {
            &row.name
        }),
        length.as_secs_f64() / speed,
        printable(addr),
        if skipped_text.is_empty() {
            String::new()
        } else {
            format!(" (not sent: {skipped_text})")
        }
    );

    let server = Server::new();
    tokio::select! {
        r = connect(&server, m, m.get_flag("login")) => r?,
        t = signals.recv() => {
            println!("{t}: stopped before connecting; sent 0 packets");
            return Ok(());
        }
    }
    let start = tokio::time::Instant::now();
    let mut previous: Option<Duration> = None;
    let mut sent = 0usize;
    let mut last_due: Option<SystemTime> = None;
    let mut failure = None;
    for p in &packets {
        let at = send_at(
            p.at.duration_since(first).unwrap_or_default(),
            speed,
            previous,
            gap,
        );
        previous = Some(at);
        tokio::select! {
            () = tokio::time::sleep_until(start + at) => {}
            t = signals.recv() => {
                println!("{t}: stopped; sent {sent} of {} packets", packets.len());
                let _ = server.disconnect().await;
                return Ok(());
            }
        }
        let shifted = shift_timetags(&p.packet, nanos_between(p.at, SystemTime::now()));
        last_due = last_due.max(latest_tag(&shifted));
        if let Err(e) = server.send(shifted).await {
            failure = Some(e.to_string());
            break;
        }
        sent += 1;
    }
    if let Some(e) = failure {
        let _ = server.disconnect().await;
        return Err(format!(
            "sent {sent} of {} packets, then: {e}",
            packets.len()
        ));
    }
    // Done once the last scheduled bundle has run and the server has taken in everything
    // (/sync): a script may look at the server as soon as this returns.
    let until_due = last_due
        .and_then(|t| t.duration_since(SystemTime::now()).ok())
        .unwrap_or_default();
    if until_due > Duration::from_secs(1) {
        println!(
            "sent {sent} packets; waiting {:.0} s for the last bundle's time",
            until_due.as_secs_f64()
        );
    }
    let synced = tokio::select! {
        r = async {
            tokio::time::sleep(until_due).await;
            server.sync().await
        } => Some(r),
        t = signals.recv() => {
            println!("{t}: stopped; sent all {sent} packets (their bundles run at their times)");
            None
        }
    };
    let _ = server.disconnect().await;
    match synced {
        None => Ok(()),
        Some(Ok(())) => {
            println!("sent {sent} packets; the server has them all");
            Ok(())
        }
        Some(Err(e)) => {
            println!("sent {sent} packets");
            Err(format!("the server did not confirm them (/sync): {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rosc::{OscBundle, OscTime, OscType};
    use scpanel_core::osc::msg;

    #[test]
    fn a_tag_before_1970_is_no_time_and_deep_bundles_are_refused_unread() {
        let early = OscPacket::Bundle(OscBundle {
            timetag: OscTime {
                seconds: 0,
                fractional: 0,
            },
            content: vec![OscPacket::Message(msg("/n_set", [OscType::Int(1)]))],
        });
        assert_eq!(latest_tag(&early), None);
        // 10,000 bundles, each holding the next.
        let mut bytes: Vec<u8> = Vec::new();
        for _ in 0..10_000 {
            bytes.extend_from_slice(b"#bundle\0\0\0\0\0\0\0\0\x01");
            bytes.extend_from_slice(&[0, 0, 0, 0]);
        }
        let stored = TrafficRow {
            time: SystemTime::UNIX_EPOCH,
            server: ServerId(0),
            direction: Direction::Sent,
            packet: bytes,
        };
        let e = read(vec![stored], ServerId(0)).err().unwrap_or_default();
        assert!(e.contains("is not OSC"), "{e}");
    }

    fn row(id: u32, name: &str, address: &str) -> ServerRow {
        ServerRow {
            id: ServerId(id),
            address: address.into(),
            name: name.into(),
            protocol: "udp".into(),
            owned: true,
            added: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_server_is_the_only_one_with_traffic_or_the_one_named() {
        let servers = [
            row(0, "stage", "127.0.0.1:57110"),
            row(1, "", "10.0.0.2:57110"),
        ];
        let one = pick_server(&servers, &[ServerId(1)], None).expect("the only one");
        assert_eq!(one.id, ServerId(1));
        let e = pick_server(&servers, &[ServerId(0), ServerId(1)], None).unwrap_err();
        assert!(e.contains("--server") && e.contains("0 (stage"), "{e}");
        assert!(
            pick_server(&servers, &[], None)
                .unwrap_err()
                .contains("--record-traffic")
        );
        let both = [ServerId(0), ServerId(1)];
        assert_eq!(
            pick_server(&servers, &both, Some("stage")).map(|s| s.id),
            Ok(ServerId(0))
        );
        assert_eq!(
            pick_server(&servers, &both, Some("1")).map(|s| s.id),
            Ok(ServerId(1))
        );
        assert!(pick_server(&servers, &[ServerId(1)], Some("stage")).is_err());
        assert!(
            pick_server(&servers, &both, Some("nobody"))
                .unwrap_err()
                .contains("stage")
        );
    }

    #[test]
    fn quit_and_notify_are_not_sent_again() {
        let mut skipped = vec![0; SKIPPED.len()];
        assert!(without_skipped(OscPacket::Message(msg("/quit", [])), &mut skipped).is_none());
        let b = OscPacket::Bundle(OscBundle {
            timetag: OscTime {
                seconds: 0,
                fractional: 1,
            },
            content: vec![
                OscPacket::Message(msg("/notify", [OscType::Int(1)])),
                OscPacket::Message(msg("/g_new", [OscType::Int(5)])),
            ],
        });
        let Some(OscPacket::Bundle(kept)) = without_skipped(b, &mut skipped) else {
            panic!("the bundle stays");
        };
        assert_eq!(kept.content.len(), 1);
        assert_eq!(skipped, vec![1, 1]);
    }
}
