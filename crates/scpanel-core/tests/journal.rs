//! The flight recorder's storage (`scpanel_core::journal`): a show written and read back,
//! its summary and CSV, a `kill -9` mid-show, an unwritable folder, a full disk, and
//! retention.
//!
//! The kill, the read-only folder and the full disk run in a child process: this test
//! binary again, with `SCPANEL_JOURNAL_CHILD` naming the part to play (see [`child`]). The
//! read-only folder and the full disk are small tmpfs mounts made inside `unshare --mount`,
//! so the mount lives only as long as the child; they need root (or a user namespace), and
//! fail, saying so, where `unshare` is refused (scripts/test.sh runs them as root).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use scpanel_core::journal::{
    Direction, Event, Journal, JournalError, JournalOptions, Record, Retention, Sample, ServerId,
    ServerInfo, Show, list_shows, prune,
};

fn sample(i: i32) -> Sample {
    Sample {
        average_cpu: 10.0 + (i % 7) as f32 * 0.5,
        peak_cpu: 20.0 + (i % 11) as f32 * 1.25,
        ugens: 100 + i,
        synths: 10 + i % 5,
        groups: 3,
        synthdefs: 42,
        nominal_sample_rate: 48000.0,
        actual_sample_rate: 48000.0 + f64::from(i % 13) * 0.0625,
    }
}

fn at(start: SystemTime, ms: u64) -> SystemTime {
    start + Duration::from_millis(ms)
}

/// A show of two servers: 60 samples each a second apart, every kind of event, a few
/// packets. Returns the journal (flushed, still open), the start and the servers.
fn a_show(folder: &Path) -> (Journal, SystemTime, ServerId, ServerId) {
    let journal = Journal::start(JournalOptions::new(folder));
    assert_eq!(journal.error(), None);
    let start = journal.started();
    let a = journal.add_server(ServerInfo::new("127.0.0.1:57110", "main", "udp", true));
    let b = journal.add_server(ServerInfo::new("10.0.0.2:57110", "", "tcp", false));
    for i in 0..60 {
        journal.record(at(start, i * 1000), Record::Status(a, sample(i as i32)));
        journal.record(
            at(start, i * 1000 + 10),
            Record::Status(b, sample(i as i32 + 3)),
        );
    }
    // The worst moment: b at 41 s, after the mark at 40 s.
    let mut hot = sample(41);
    hot.peak_cpu = 97.5;
    journal.record(at(start, 41_500), Record::Status(b, hot));
    let events = [
        (0, Some(a), Event::Booting),
        (500, Some(a), Event::Online),
        (1000, Some(b), Event::Online),
        (
            5_000,
            None,
            Event::Mark {
                text: "intro, \"soft\"".into(),
            },
        ),
        (12_000, Some(a), Event::Xrun { count: 2 }),
        (13_000, Some(a), Event::Late { seconds: 0.125 }),
        (20_000, Some(b), Event::Unresponsive),
        (21_200, Some(b), Event::Rejoined),
        (
            25_000,
            Some(a),
            Event::Failure {
                line: "FAILURE IN SERVER /s_new SynthDef not found".into(),
            },
        ),
        (30_000, Some(a), Event::Unresponsive),
        (30_400, Some(a), Event::Online),
        (
            33_000,
            Some(a),
            Event::Alert {
                text: "CPU over 80 %".into(),
            },
        ),
        (
            35_000,
            Some(a),
            Event::Doctor {
                kind: "amp_zero".into(),
                message: "amp is 0".into(),
            },
        ),
        (
            40_000,
            None,
            Event::Mark {
                text: "verse 2".into(),
            },
        ),
        (45_000, Some(a), Event::Xrun { count: 1 }),
        (
            50_000,
            Some(b),
            Event::Crashed {
                reason: "killed by signal 9".into(),
            },
        ),
        (55_000, Some(a), Event::Offline),
    ];
    for (ms, server, event) in events {
        journal.record(at(start, ms), Record::Event(server, event));
    }
    journal.record(
        at(start, 2_000),
        Record::Traffic(a, Direction::Sent, b"/status\0,\0\0\0".to_vec()),
    );
    journal.record(
        at(start, 2_001),
        Record::Traffic(a, Direction::Received, vec![0, 1, 2, 255]),
    );
    journal.flush().expect("the batch is saved");
    (journal, start, a, b)
}

#[test]
fn a_show_reads_back_as_it_was_recorded() {
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    let (journal, start, a, b) = a_show(dir.path());
    assert_eq!(journal.written(), 121 + 17 + 2);
    assert_eq!(journal.dropped(), 0);

    // Read while it is written (WAL): everything flushed is there.
    let show = Show::open(journal.path()).expect("the show opens");
    let info = show.info().clone();
    assert!(info.live, "a writer holds it");
    assert_eq!(info.ended, None);
    assert_eq!(info.id, journal.id());
    assert_eq!(info.servers.len(), 2);
    assert_eq!(info.servers[0].name, "main");
    assert!(info.servers[0].owned);
    assert_eq!(info.servers[1].protocol, "tcp");
    assert_eq!(info.server_name(b), "10.0.0.2:57110");
    assert_eq!(info.xruns, 3);
    assert_eq!(info.crashes, 1);
    assert_eq!(info.samples, 121);
    let (peak, peak_at, peak_server) = info.peak_cpu.expect("a peak");
    assert_eq!((peak, peak_at, peak_server), (97.5, at(start, 41_500), b));

    let samples = show.samples(..).expect("samples");
    assert_eq!(samples.len(), 121);
    let first_a: Vec<_> = samples.iter().filter(|s| s.server == a).collect();
    assert_eq!(first_a.len(), 60);
    for (i, s) in first_a.iter().enumerate() {
        assert_eq!(s.time, at(start, i as u64 * 1000));
        assert_eq!(s.sample, sample(i as i32));
    }
    // A time range: [10 s, 20 s) holds ten of each server's.
    let some = show
        .samples(at(start, 10_000)..at(start, 20_000))
        .expect("a range");
    assert_eq!(some.len(), 20);
    assert!(
        some.iter()
            .all(|s| s.time >= at(start, 10_000) && s.time < at(start, 20_000))
    );

    let events = show.events(..).expect("events");
    assert_eq!(events.len(), 17);
    assert_eq!(
        events[3].event,
        Event::Mark {
            text: "intro, \"soft\"".into()
        }
    );
    assert_eq!(events[3].server, None);
    assert_eq!(events[4].event, Event::Xrun { count: 2 });
    assert_eq!(
        events[12].event,
        Event::Doctor {
            kind: "amp_zero".into(),
            message: "amp is 0".into()
        }
    );
    let traffic = show.traffic(..).expect("traffic");
    assert_eq!(traffic.len(), 2);
    assert_eq!(traffic[0].direction, Direction::Sent);
    assert_eq!(traffic[0].packet, b"/status\0,\0\0\0");
    assert_eq!(traffic[1].packet, vec![0, 1, 2, 255]);
    drop(show);

    // Closed: an end, one self-contained file, no writer.
    let path = journal.path().to_path_buf();
    journal.close().expect("closed cleanly");
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    assert!(!wal.exists(), "the WAL is folded into the file");
    let shows = list_shows(dir.path()).expect("the list");
    assert_eq!(shows.len(), 1);
    let listed = &shows[0];
    assert!(listed.ended.is_some());
    assert!(!listed.live);
    assert_eq!(listed.path, path);
    assert!(listed.length() >= Duration::from_secs(59));
    assert_eq!((listed.xruns, listed.crashes), (3, 1));

    // A copy elsewhere (sent to someone) opens alike, by path; by id in its folder.
    let elsewhere = tempfile::tempdir_in("/tmp").expect("a folder");
    let copy = elsewhere.path().join(path.file_name().expect("a name"));
    std::fs::copy(&path, &copy).expect("copied");
    let show = Show::open(&copy).expect("the copy opens");
    assert_eq!(show.samples(..).expect("samples").len(), 121);
    let by_id = Show::open_id(elsewhere.path(), &listed.id[..8]).expect("by id");
    assert_eq!(by_id.info().id, listed.id);
}

#[test]
fn the_summary_names_the_peak_the_mark_before_it_and_the_longest_silence() {
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    let (journal, start, _, _) = a_show(dir.path());
    let show = Show::open(journal.path()).expect("the show");
    let summary = show.summary().expect("a summary");
    let peak = summary.peak.clone().expect("a peak");
    assert_eq!(peak.cpu, 97.5);
    assert_eq!(peak.at, at(start, 41_500));
    assert_eq!(peak.server, "10.0.0.2:57110");
    assert_eq!(
        peak.after_mark,
        Some((at(start, 40_000), "verse 2".to_string()))
    );
    assert_eq!(summary.xruns, 3);
    assert_eq!(summary.lates, 1);
    assert_eq!(summary.failures, 1);
    assert_eq!(summary.marks, 2);
    assert_eq!(summary.crashes.len(), 1);
    assert_eq!(summary.crashes[0].reason, "killed by signal 9");
    let silence = summary.longest_unresponsive.clone().expect("a silence");
    assert_eq!(silence.length, Duration::from_millis(1200));
    assert_eq!(silence.from, at(start, 20_000));
    let text = summary.to_string();
    assert!(text.starts_with("peak 97.5 % at "), "{text}");
    assert!(
        text.ends_with(
            "(10.0.0.2:57110), after mark 'verse 2'; 3 xruns; 1 crash; 1 late; 1 failure; \
             longest unresponsive 1.2 s (10.0.0.2:57110)"
        ),
        "{text}"
    );
}

/// Splits a CSV line (quoted fields with doubled quotes).
fn csv_line(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().expect("a field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().expect("a field").push(c),
        }
    }
    out
}

#[test]
fn the_csv_matches_the_samples_and_events() {
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    let (journal, _, _, _) = a_show(dir.path());
    let show = Show::open(journal.path()).expect("the show");
    let out = tempfile::tempdir_in("/tmp").expect("a folder");
    let (samples_csv, events_csv) = show.export_csv(out.path()).expect("exported");

    let text = std::fs::read_to_string(&samples_csv).expect("the samples' CSV");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "time,server,average_cpu,peak_cpu,ugens,synths,groups,synthdefs,\
             nominal_sample_rate,actual_sample_rate"
        )
    );
    let samples = show.samples(..).expect("samples");
    let rows: Vec<Vec<String>> = lines.map(csv_line).collect();
    assert_eq!(rows.len(), samples.len());
    for (row, s) in rows.iter().zip(&samples) {
        let t: jiff::Timestamp = row[0].parse().expect("an ISO time");
        let us = s
            .time
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970");
        assert_eq!(t.as_microsecond(), us.as_micros() as i64);
        assert_eq!(row[1], show.info().server_name(s.server));
        assert_eq!(row[2].parse::<f32>().expect("avg"), s.sample.average_cpu);
        assert_eq!(row[3].parse::<f32>().expect("peak"), s.sample.peak_cpu);
        assert_eq!(row[4].parse::<i32>().expect("ugens"), s.sample.ugens);
        assert_eq!(row[5].parse::<i32>().expect("synths"), s.sample.synths);
        assert_eq!(row[6].parse::<i32>().expect("groups"), s.sample.groups);
        assert_eq!(row[7].parse::<i32>().expect("defs"), s.sample.synthdefs);
        assert_eq!(
            row[8].parse::<f64>().expect("nominal"),
            s.sample.nominal_sample_rate
        );
        assert_eq!(
            row[9].parse::<f64>().expect("actual"),
            s.sample.actual_sample_rate
        );
    }

    let text = std::fs::read_to_string(&events_csv).expect("the events' CSV");
    let rows: Vec<Vec<String>> = text.lines().skip(1).map(csv_line).collect();
    let events = show.events(..).expect("events");
    assert_eq!(rows.len(), events.len());
    assert_eq!(rows[3][1..], ["", "mark", "", "", "intro, \"soft\"", ""]);
    assert_eq!(rows[4][1..], ["main", "xrun", "2", "", "", ""]);
    assert_eq!(rows[5][1..], ["main", "late", "", "0.125", "", ""]);
    assert_eq!(
        rows[12][1..],
        ["main", "doctor", "", "", "amp is 0", "amp_zero"]
    );
}

// The child processes.

const ROLE: &str = "SCPANEL_JOURNAL_CHILD";
const DIR: &str = "SCPANEL_JOURNAL_DIR";

/// Not a test of its own: the part a child process plays (nothing without `ROLE`).
#[test]
fn child() {
    let (Ok(role), Ok(dir)) = (std::env::var(ROLE), std::env::var(DIR)) else {
        return;
    };
    let dir = PathBuf::from(dir);
    println!("CHILD {role}");
    match role.as_str() {
        "kill" => records_until_killed(&dir),
        "read-only" => records_into_a_folder_it_cannot_write(&dir),
        "full" => records_until_the_disk_is_full(&dir),
        "open" => opens_what_it_cannot_write(&dir),
        _ => panic!("no part {role}"),
    }
}

fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn records_until_killed(dir: &Path) {
    let journal = Journal::start(JournalOptions::new(dir));
    let server = journal.add_server(ServerInfo::new("127.0.0.1:57110", "main", "udp", true));
    journal.flush().expect("the show is saved");
    say(&format!("READY {}", journal.path().display()));
    // 500 records a second, each numbered, until the parent kills us.
    for i in 0..60_000 {
        journal.record_status(server, &sample(i));
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn records_into_a_folder_it_cannot_write(dir: &Path) {
    let journal = Journal::start(JournalOptions::new(dir));
    let server = journal.add_server(ServerInfo::new("127.0.0.1:57110", "main", "udp", true));
    for i in 0..100 {
        journal.record_status(server, &sample(i));
    }
    let flushed = journal.flush();
    say(&format!("FLUSH {}", flushed.is_err()));
    say(&format!(
        "ERROR {}",
        journal.error().map(|e| e.to_string()).unwrap_or_default()
    ));
    say(&format!(
        "READ-ONLY {}",
        matches!(journal.error(), Some(JournalError::ReadOnly { .. }))
    ));
    say(&format!("DROPPED {}", journal.dropped()));
    drop(journal);
    say("DONE yes");
}

fn records_until_the_disk_is_full(dir: &Path) {
    // Something else on the disk, to be deleted later.
    let filler = dir.join("filler");
    std::fs::write(&filler, vec![0u8; 96 * 1024]).expect("the filler");
    let journal = Journal::start(JournalOptions::new(dir));
    say(&format!("START-ERROR {:?}", journal.error()));
    let server = journal.add_server(ServerInfo::new("127.0.0.1:57110", "main", "udp", true));
    let packet = vec![0x55u8; 2048];
    let mut sent = 0u64;
    let mut burst = |n: usize| {
        for _ in 0..n {
            journal.record_traffic(server, Direction::Sent, &packet);
            sent += 1;
        }
        journal.flush()
    };
    let mut error = None;
    for _ in 0..1000 {
        if let Err(e) = burst(10) {
            error = Some(e);
            break;
        }
    }
    let error = error.expect("the 256 KiB disk fills up");
    say(&format!("ERROR {error}"));
    say(&format!("FULL {}", error.is_full()));
    // The caller keeps going: what can't be saved is counted, nothing panics.
    say(&format!("AGAIN {}", burst(10).is_err()));
    say(&format!("STILL {:?}", journal.error().map(|e| e.is_full())));
    // Room again: saving resumes.
    std::fs::remove_file(&filler).expect("the filler goes");
    say(&format!("RESUMED {}", burst(10).is_ok()));
    say(&format!("CLEARED {}", journal.error().is_none()));
    say(&format!("SENT {sent}"));
    say(&format!("WRITTEN {}", journal.written()));
    say(&format!("DROPPED {}", journal.dropped()));
    let path = journal.path().to_path_buf();
    drop(journal);
    // What was saved reads back.
    let show = Show::open(&path).expect("the show opens");
    say(&format!(
        "READ {}",
        show.traffic(..).expect("traffic").len()
    ));
    say("DONE yes");
}

fn opens_what_it_cannot_write(dir: &Path) {
    for path in std::fs::read_dir(dir)
        .expect("the folder")
        .filter_map(Result::ok)
    {
        let path = path.path();
        if path.extension().is_some_and(|e| e == "sqlite") {
            let show = Show::open(&path).expect("the show opens");
            say(&format!(
                "SAMPLES {}",
                show.samples(..).expect("samples").len()
            ));
            let listed = list_shows(dir).expect("the list");
            say(&format!("LISTED {}", listed.len()));
        }
    }
    say("DONE yes");
}

/// This test binary, playing `role` in `dir`; under `unshare --mount` after `mount` (a
/// shell command mounting something at `"$1"`, which is `dir`) when given.
fn child_command(role: &str, dir: &Path, mount: Option<&str>) -> Command {
    let exe = std::env::current_exe().expect("this test binary");
    let test_args = ["--exact", "child", "--nocapture", "--test-threads=1"];
    let mut command = match mount {
        None => {
            let mut c = Command::new(exe);
            c.args(test_args);
            c
        }
        Some(mount) => {
            let mut c = Command::new("unshare");
            c.args(["--mount", "--propagation", "private", "sh", "-c"])
                .arg(format!("{mount} && shift && exec \"$@\""))
                .arg("sh")
                .arg(dir)
                .arg(exe)
                .args(test_args);
            c
        }
    };
    command
        .env(ROLE, role)
        .env(DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs a child to its end; its `KEY value` lines.
fn run_child(role: &str, dir: &Path, mount: &str) -> Vec<(String, String)> {
    let out = child_command(role, dir, Some(mount))
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains(&format!("CHILD {role}")),
        "no private tmpfs here: `unshare --mount` was refused ({}); this test needs root or \
         user namespaces (run it as root, as scripts/test.sh does in CI)",
        stderr.trim()
    );
    assert!(
        out.status.success(),
        "the child failed:\n{stdout}\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stdout
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn value<'a>(lines: &'a [(String, String)], key: &str) -> &'a str {
    lines
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {lines:?}"))
}

#[test]
fn a_kill_9_loses_at_most_the_last_second() {
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    let mut child = child_command("kill", dir.path(), None)
        .spawn()
        .expect("the child runs");
    let stdout = child.stdout.take().expect("its output");
    let mut path = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if let Some(p) = line.strip_prefix("READY ") {
            path = Some(PathBuf::from(p));
            break;
        }
    }
    let path = path.expect("the child started a show");
    // Let it record for a while (the child's pace, not the writer's).
    std::thread::sleep(Duration::from_millis(2500));
    let killed = SystemTime::now();
    let pid = i32::try_from(child.id()).expect("a pid");
    // SAFETY: our own child, not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let status = child.wait().expect("the child ends");
    assert!(!status.success());

    let show = Show::open(&path).expect("the killed show opens");
    assert_eq!(show.info().ended, None, "no end stamp after a kill");
    assert!(!show.info().live, "the kill let go of the lock");
    let samples = show.samples(..).expect("samples");
    assert!(samples.len() > 500, "{} samples", samples.len());
    // Everything up to the last one saved, without a gap.
    for (i, s) in samples.iter().enumerate() {
        assert_eq!(s.sample.ugens, 100 + i as i32, "a gap before sample {i}");
    }
    let last = samples.last().expect("a sample").time;
    let lost = killed.duration_since(last).unwrap_or_default();
    eprintln!(
        "kill -9: the last saved sample was {} ms before the kill",
        lost.as_millis()
    );
    assert!(lost <= Duration::from_millis(1000), "lost {lost:?}");
    let listed = list_shows(dir.path()).expect("the list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last, last);
    drop(show);

    // The next start's prune folds the killed show's WAL into one file; nothing is lost.
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    assert!(wal.exists(), "a killed writer leaves its WAL");
    let pruned = prune(dir.path(), &Retention::default(), None).expect("pruned");
    assert!(pruned.removed.is_empty());
    assert!(!wal.exists(), "folded into the file");
    let settled = Show::open(&path).expect("the settled show opens");
    assert_eq!(settled.samples(..).expect("samples"), samples);
    assert_eq!(settled.info().ended, None, "still marked as cut short");
}

#[test]
fn a_folder_under_a_file_is_a_clear_error_and_no_panic() {
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").expect("a file");
    let folder = file.join("shows");
    let journal = Journal::start(JournalOptions::new(&folder));
    let error = journal.error().expect("an error");
    assert_eq!(
        error,
        JournalError::NotAFolder {
            folder: folder.clone()
        }
    );
    assert_eq!(
        error.to_string(),
        format!(
            "the show can't be saved: {} can't be a folder (a file is in the way): \
             choose another folder for shows",
            folder.display()
        )
    );
    let server = journal.add_server(ServerInfo::new("127.0.0.1:57110", "main", "udp", true));
    for i in 0..50 {
        journal.record_status(server, &sample(i));
    }
    journal.mark("still here");
    assert!(journal.flush().is_err());
    assert_eq!(journal.dropped(), 51);
    assert_eq!(journal.written(), 0);
    drop(journal);
}

#[test]
fn a_read_only_folder_is_a_clear_error_and_no_panic() {
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    // The shows' folder itself is a read-only tmpfs (EROFS: root can't write it either).
    let lines = run_child(
        "read-only",
        dir.path(),
        "mount -t tmpfs -o ro,size=64k scpanel-journal-test \"$1\"",
    );
    assert_eq!(value(&lines, "FLUSH"), "true");
    assert_eq!(value(&lines, "READ-ONLY"), "true");
    assert_eq!(
        value(&lines, "ERROR"),
        format!(
            "the show can't be saved: {} is read-only: choose another folder for shows",
            dir.path().display()
        )
    );
    assert_eq!(value(&lines, "DROPPED"), "100");
    value(&lines, "DONE");
}

#[test]
fn a_killed_show_sent_to_a_read_only_place_opens_whole() {
    // A show in WAL mode with its `-wal` beside it (as a killed writer leaves it), copied
    // to a folder then mounted read-only (no `-shm` can be made there).
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    let sent = tempfile::tempdir_in("/tmp").expect("a folder");
    let journal = Journal::start(JournalOptions::new(dir.path()));
    let server = journal.add_server(ServerInfo::new("127.0.0.1:57110", "main", "udp", true));
    for i in 0..300 {
        journal.record_status(server, &sample(i));
    }
    journal.flush().expect("saved");
    let name = journal.path().file_name().expect("a name").to_owned();
    std::fs::copy(journal.path(), sent.path().join(&name)).expect("copied");
    let wal = format!("{}-wal", journal.path().display());
    let mut sent_wal = sent.path().join(&name).into_os_string();
    sent_wal.push("-wal");
    std::fs::copy(&wal, &sent_wal).expect("its WAL copied");
    drop(journal);
    let target = tempfile::tempdir_in("/tmp").expect("a mount point");
    let mount = format!(
        "mount --bind '{}' \"$1\" && mount -o remount,bind,ro \"$1\"",
        sent.path().display()
    );
    let lines = run_child("open", target.path(), &mount);
    assert_eq!(value(&lines, "SAMPLES"), "300");
    assert_eq!(value(&lines, "LISTED"), "1");
    value(&lines, "DONE");
}

#[test]
fn a_full_disk_is_a_clear_error_and_no_panic() {
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    let lines = run_child(
        "full",
        dir.path(),
        "mount -t tmpfs -o size=256k scpanel-journal-test \"$1\"",
    );
    assert_eq!(value(&lines, "START-ERROR"), "None");
    assert_eq!(value(&lines, "FULL"), "true");
    assert_eq!(
        value(&lines, "ERROR"),
        format!(
            "the show can't be saved: the disk holding {} is full: free some space or \
             choose another folder for shows",
            dir.path().display()
        )
    );
    assert_eq!(value(&lines, "AGAIN"), "true");
    assert_eq!(value(&lines, "STILL"), "Some(true)");
    assert_eq!(value(&lines, "RESUMED"), "true");
    assert_eq!(value(&lines, "CLEARED"), "true");
    let n = |k: &str| value(&lines, k).parse::<u64>().expect("a number");
    assert!(n("WRITTEN") > 0);
    assert_eq!(
        n("DROPPED"),
        20,
        "the batch that filled the disk, and the next"
    );
    assert_eq!(
        n("WRITTEN") + n("DROPPED"),
        n("SENT"),
        "every record is saved or counted"
    );
    assert_eq!(n("READ"), n("WRITTEN"), "what was saved reads back");
    value(&lines, "DONE");
}

fn closed_show(folder: &Path, samples: i32) -> PathBuf {
    let journal = Journal::start(JournalOptions::new(folder));
    let server = journal.add_server(ServerInfo::new("127.0.0.1:57110", "main", "udp", true));
    for i in 0..samples {
        journal.record_status(server, &sample(i));
    }
    let path = journal.path().to_path_buf();
    journal.close().expect("closed");
    path
}

#[test]
fn retention_drops_the_oldest_show_first_and_never_the_current_one() {
    let dir = tempfile::tempdir_in("/tmp").expect("a folder");
    let folder = dir.path();
    let oldest = closed_show(folder, 2000);
    let older = closed_show(folder, 2000);
    let current = Journal::start(JournalOptions::new(folder));
    current.flush().expect("saved");
    let size = |p: &Path| std::fs::metadata(p).expect("a file").len();
    let total: u64 = [&oldest, &older].iter().map(|p| size(p)).sum::<u64>()
        + size(current.path())
        + std::fs::metadata(format!("{}-wal", current.path().display())).map_or(0, |m| m.len());

    // One byte too many: the oldest goes, alone.
    let retention = Retention {
        max_bytes: total - 1,
        ..Retention::default()
    };
    let pruned = current.prune(&retention).expect("pruned");
    assert_eq!(pruned.removed, vec![oldest.clone()]);
    assert!(!oldest.exists());
    assert!(older.exists());

    // Nothing allowed: all but the current show go, whether named (`current`) or only
    // held by its writer (its lock).
    let nothing = Retention {
        max_bytes: 0,
        ..Retention::default()
    };
    let pruned = prune(folder, &nothing, None).expect("pruned");
    assert_eq!(pruned.removed, vec![older]);
    assert_eq!(pruned.kept, 1);
    assert!(current.path().exists());
    let pruned = current.prune(&nothing).expect("pruned");
    assert!(pruned.removed.is_empty());

    // By age: a show that ended 40 days ago goes under the default (30 days, 1 GB).
    let old = closed_show(folder, 10);
    let day = 24 * 3600 * 1_000_000i64;
    let conn = rusqlite::Connection::open(&old).expect("the show, to backdate");
    conn.execute(
        "UPDATE show SET started = started - ?1, ended = ended - ?1, last = last - ?1",
        [40 * day],
    )
    .expect("backdated");
    drop(conn);
    let recent = closed_show(folder, 10);
    let pruned = current.prune(&Retention::default()).expect("pruned");
    assert_eq!(pruned.removed, vec![old]);
    assert!(recent.exists());

    // Once closed, the current show is an ordinary one.
    let path = current.path().to_path_buf();
    current.close().expect("closed");
    let pruned = prune(folder, &nothing, None).expect("pruned");
    assert_eq!(pruned.removed.len(), 2);
    assert!(!path.exists());
    assert_eq!(list_shows(folder).expect("the list").len(), 0);
}
