//! The flight recorder's costs (issue 26: at most 5 MB an hour per server at the default
//! poll; at most 0.3 % of a core for the idle wall of 32 servers).
//!
//! - **Size**: an hour of one status sample a second (plus an xrun a minute and a mark every
//!   ten) for 1 and for 8 servers, written as fast as it goes, closed, measured on disk.
//! - **A record call**: the time `record_status` takes the caller (the queue, not the disk),
//!   in bursts and one at a time (when each call may wake the writer).
//! - **The writer**: an hour of 32 servers at 1 Hz written as the app would, one
//!   transaction a second, and the process's CPU time for it (user + system).
//!
//! Run: `cargo bench -p scpanel-core --bench journal`

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use scpanel_core::journal::{
    Event, Journal, JournalOptions, Record, Sample, ServerId, ServerInfo, Show,
};

/// A plausible sample: CPU wandering with decimals, counts changing now and then.
fn sample(second: u64, server: u32) -> Sample {
    let x = (second.wrapping_mul(2_654_435_761) ^ u64::from(server).wrapping_mul(40_503)) % 10_000;
    let avg = 5.0 + (x % 2_000) as f32 / 97.0;
    Sample {
        average_cpu: avg,
        peak_cpu: avg + (x % 700) as f32 / 53.0,
        ugens: 200 + (second / 30 % 40) as i32,
        synths: 20 + (second / 30 % 8) as i32,
        groups: 4,
        synthdefs: 57,
        nominal_sample_rate: 48000.0,
        actual_sample_rate: 48000.0 + (x % 100) as f64 / 1000.0,
    }
}

fn servers(journal: &Journal, n: u32) -> Vec<ServerId> {
    (0..n)
        .map(|i| {
            journal.add_server(ServerInfo::new(
                &format!("10.0.0.{}:57110", i + 1),
                &format!("desk {}", i + 1),
                "udp",
                false,
            ))
        })
        .collect()
}

fn one_hour(folder: &Path, n: u32) -> u64 {
    let journal = Journal::start(JournalOptions::new(folder));
    let ids = servers(&journal, n);
    let start = journal.started();
    for s in 0..3600u64 {
        let t = start + Duration::from_secs(s);
        for (i, id) in ids.iter().enumerate() {
            journal.record(t, Record::Status(*id, sample(s, i as u32)));
            if s % 60 == 30 {
                journal.record(t, Record::Event(Some(*id), Event::Xrun { count: 1 }));
            }
        }
        if s % 600 == 0 {
            journal.record(
                t,
                Record::Event(
                    None,
                    Event::Mark {
                        text: format!("part {}", s / 600),
                    },
                ),
            );
        }
        if s % 1000 == 999 {
            journal.flush().expect("saved");
        }
    }
    let path = journal.path().to_path_buf();
    assert_eq!(journal.dropped(), 0);
    journal.close().expect("closed");
    let show = Show::open(&path).expect("the show");
    assert_eq!(show.info().samples, 3600 * u64::from(n));
    std::fs::metadata(&path).expect("the file").len()
}

fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: a valid out pointer for getrusage.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

fn main() {
    let dir = tempfile::tempdir().expect("a folder");

    for n in [1u32, 8] {
        let bytes = one_hour(&dir.path().join(format!("size-{n}")), n);
        println!(
            "size: {n} server(s), 1 h at 1 sample/s: {:.2} MB, {:.3} MB per server-hour \
             (target <= 5)",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / f64::from(n)
        );
    }

    // The caller's cost: bursts of 10,000 calls, each followed by a flush outside the timing.
    let journal = Journal::start(JournalOptions::new(dir.path().join("calls")));
    let id = servers(&journal, 1)[0];
    let s = sample(1, 0);
    let mut spent = Duration::ZERO;
    let rounds = 20;
    for _ in 0..rounds {
        let t0 = Instant::now();
        for _ in 0..10_000 {
            journal.record_status(id, &s);
        }
        spent += t0.elapsed();
        journal.flush().expect("saved");
    }
    let calls = rounds * 10_000;
    println!(
        "record_status: {:.3} µs per call ({calls} calls, {} dropped)",
        spent.as_secs_f64() * 1e6 / f64::from(calls),
        journal.dropped()
    );
    // A lone call, as the app makes them (the writer asleep: the call wakes it).
    let mut lone = Vec::with_capacity(1000);
    for _ in 0..1000 {
        std::thread::sleep(Duration::from_millis(1));
        let t0 = Instant::now();
        journal.record_status(id, &s);
        lone.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    lone.sort_by(f64::total_cmp);
    println!(
        "record_status, one call every ms: median {:.2} µs, 99th percentile {:.2} µs",
        lone[lone.len() / 2],
        lone[lone.len() * 99 / 100]
    );
    drop(journal);

    // The writer as the app drives it: 32 servers, a transaction a second, an hour of it.
    let journal = Journal::start(JournalOptions::new(dir.path().join("wall")));
    let ids = servers(&journal, 32);
    let start = SystemTime::now();
    let cpu0 = cpu_seconds();
    let wall0 = Instant::now();
    for sec in 0..3600u64 {
        let t = start + Duration::from_secs(sec);
        for (i, id) in ids.iter().enumerate() {
            journal.record(t, Record::Status(*id, sample(sec, i as u32)));
        }
        journal.flush().expect("saved");
    }
    let cpu = cpu_seconds() - cpu0;
    println!(
        "writer: an hour of 32 servers at 1 Hz, 3600 transactions: {:.2} s CPU ({:.2} s wall) \
         = {:.4} % of a core (target <= 0.3 %)",
        cpu,
        wall0.elapsed().as_secs_f64(),
        cpu / 3600.0 * 100.0
    );
    drop(journal);
}
