//! A made-up show with the shape of a real night (shared by `benches/gui_shows.rs`, the
//! Shows tab's window test and `examples/demo_show.rs`, which the screenshots use): each
//! server's CPU drifts and spikes, marks every quarter of an hour, xruns and `late` lines in
//! bursts, one crash and an unresponsive spell. The same arguments give the same show.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use scpanel_core::journal::{Event, Journal, JournalOptions, Record, Sample, ServerInfo};

/// The status poll the app uses when idle: two replies a second.
pub const POLL: Duration = Duration::from_millis(500);

/// A small deterministic generator (no dependency for made-up numbers).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes a show of `servers` servers lasting `length` into `folder`; returns its file.
pub fn write(folder: &Path, servers: u32, length: Duration) -> Result<PathBuf, String> {
    let journal = Journal::start(JournalOptions::new(folder));
    let start = journal.started();
    let ids: Vec<_> = (0..servers)
        .map(|i| {
            let name = [
                "main", "drums", "pads", "voice", "fx", "bass", "keys", "spare",
            ][i as usize % 8];
            journal.add_server(ServerInfo::new(
                &format!("127.0.0.1:{}", 57110 + i),
                name,
                "udp",
                i == 0,
            ))
        })
        .collect();
    let at = |s: f64| start + Duration::from_secs_f64(s);
    let mut rng = Lcg(7);
    let total = length.as_secs_f64();
    let steps = (total / POLL.as_secs_f64()) as u64;
    // The crash: server 1 (if any) from 60 % to 62 % of the show.
    let crash = (total * 0.60, total * 0.62);
    let mut written = 0u64;
    for (k, id) in ids.iter().enumerate() {
        let base = 8.0 + 6.0 * k as f64;
        journal.record(at(0.0), Record::Event(Some(*id), Event::Booting));
        journal.record(at(0.8), Record::Event(Some(*id), Event::Online));
        for step in 0..steps {
            let t = step as f64 * POLL.as_secs_f64() + 1.0 + 0.01 * k as f64;
            if k == 1 && (crash.0..crash.1).contains(&t) {
                continue;
            }
            let drift = (t / total * std::f64::consts::TAU * 3.0 + k as f64).sin() * 10.0;
            let avg = (base + drift + rng.next() * 3.0).max(0.5);
            let spike = if rng.next() < 0.0005 { 45.0 } else { 0.0 };
            let peak = avg + 4.0 + rng.next() * 8.0 + spike;
            journal.record(
                at(t),
                Record::Status(
                    *id,
                    Sample {
                        average_cpu: avg as f32,
                        peak_cpu: peak.min(140.0) as f32,
                        ugens: 120 + (rng.next() * 40.0) as i32,
                        synths: 10 + (rng.next() * 6.0) as i32,
                        groups: 3,
                        synthdefs: 40,
                        nominal_sample_rate: 48_000.0,
                        actual_sample_rate: 48_000.0 + (rng.next() - 0.5) * 0.2,
                    },
                ),
            );
            written += 1;
            // The journal's queue is bounded: let the writer catch up now and then.
            if written.is_multiple_of(8_000) {
                journal.flush().map_err(|e| e.to_string())?;
            }
        }
    }
    let mut events: Vec<(f64, Option<usize>, Event)> = Vec::new();
    let names = [
        "intro", "verse 1", "chorus", "verse 2", "bridge", "solo", "outro",
    ];
    let mut m = 0;
    let mut t = 60.0;
    while t < total {
        events.push((
            t,
            None,
            Event::Mark {
                text: names[m % names.len()].into(),
            },
        ));
        m += 1;
        t += 900.0_f64.min(total / 4.0);
    }
    for i in 0..((total / 600.0).ceil() as u32).max(2) {
        let t = total * (0.1 + 0.8 * rng.next());
        events.push((t, Some(0), Event::Xrun { count: 1 + i % 3 }));
        for j in 0..5 {
            events.push((
                t + 0.2 * f64::from(j),
                Some(0),
                Event::Late {
                    seconds: 0.01 * f64::from(j + 1),
                },
            ));
        }
    }
    if servers > 1 {
        events.push((
            crash.0,
            Some(1),
            Event::Crashed {
                reason: "the server process ended (signal 9)".into(),
            },
        ));
        events.push((crash.1, Some(1), Event::Rejoined));
        events.push((total * 0.3, Some(1), Event::Unresponsive));
        events.push((total * 0.3 + 1.2, Some(1), Event::Online));
        events.push((
            total * 0.6 + 0.2,
            Some(1),
            Event::Failure {
                line: "FAILURE IN SERVER /n_set Node 1002 not found".into(),
            },
        ));
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (t, who, e) in events {
        journal.record(at(t), Record::Event(who.map(|i| ids[i]), e));
    }
    journal.record(at(total), Record::Event(Some(ids[0]), Event::Offline));
    let path = journal.path().to_path_buf();
    if journal.losses().total() > 0 {
        return Err(format!(
            "{} records were not saved",
            journal.losses().total()
        ));
    }
    journal.close().map_err(|e| e.to_string())?;
    Ok(path)
}

/// When the show written by [`write`] began, read back from its file.
#[allow(dead_code)]
pub fn started(path: &Path) -> Option<SystemTime> {
    scpanel_core::journal::Show::open(path)
        .ok()
        .map(|s| s.info().started)
}
