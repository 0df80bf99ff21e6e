//! The flight recorder (issue 26) on a real scsynth: a server followed from its boot, a mark,
//! a `late` bundle and a `kill -9` of the server, read back from the show file with each at
//! its time.

use std::time::{Duration, SystemTime};

use crate::common;
use scpanel::flight::Flight;
use scpanel_core::journal::{Event, Show};
use scpanel_core::{Server, ServerEvent};

fn scpanel(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(args)
        .output()
        .expect("run scpanel")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_show_keeps_the_samples_the_marks_the_late_lines_and_the_crash() {
    let dir = std::env::temp_dir().join(format!("scpanel-flight-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let flight = Flight::start(Some(dir.clone())).expect("a show");
    assert_eq!(flight.error(), None);
    let server = Server::new();
    server.set_poll_interval(Duration::from_millis(50));
    let mut events = server.subscribe();
    let options = common::options();
    // Followed from before its boot, as the window follows each of its servers.
    flight.follow(
        &server,
        "stage",
        &format!("127.0.0.1:{}", options.port),
        true,
    );
    server.boot(options).await.expect("boot");
    // A few status replies.
    let mut changes = server.watch_changes();
    while server.with_status_history(|h| h.len()) < 5 {
        changes.changed().await.expect("server");
    }
    flight.mark("verse 2");
    let marked = SystemTime::now();
    // A performer's script marks the same show from another process.
    let out = scpanel(&[
        "mark",
        "--folder",
        &dir.display().to_string(),
        "chorus",
        "in",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A bundle half a second late.
    let past = SystemTime::now() - Duration::from_millis(500);
    let late = rosc::OscPacket::Bundle(rosc::OscBundle {
        timetag: rosc::OscTime::try_from(past).expect("time"),
        content: vec![rosc::OscPacket::Message(scpanel_core::osc::msg(
            "/n_set",
            [rosc::OscType::Int(0)],
        ))],
    });
    server.send(late).await.expect("send");
    server.sync().await.expect("sync");
    while !server.with_log(|l| l.lines().any(|x| x.text.starts_with("late "))) {
        changes.changed().await.expect("server");
    }

    // kill -9 of the server: its crash is kept with its reason.
    let pid = server.pid().expect("our server's pid");
    let killed = SystemTime::now();
    // SAFETY: a plain signal to the process this test booted.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    common::wait_for(&mut events, Duration::from_secs(20), |e| {
        matches!(e, ServerEvent::ProcessPanicked { .. }).then_some(())
    })
    .await;
    // The follower hears the same event on its own task: each round gives it the runtime,
    // then waits for the disk (flush), until the crash is in the show (bounded).
    let show_path = flight.path();
    let crashed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            tokio::task::yield_now().await;
            let f = flight.clone();
            tokio::task::spawn_blocking(move || f.flush())
                .await
                .expect("flush")
                .expect("saved");
            let show = Show::open(&show_path).expect("open the show");
            let events = show.events(..).expect("events");
            if events
                .iter()
                .any(|e| matches!(e.event, Event::Crashed { .. }))
            {
                return;
            }
        }
    })
    .await;
    assert!(crashed.is_ok(), "the crash never reached the show");

    let show = Show::open(&show_path).expect("open the show");
    let samples = show.samples(..).expect("samples");
    assert!(samples.len() >= 5, "{} samples", samples.len());
    let events = show.events(..).expect("events");
    let at = |pick: &dyn Fn(&Event) -> bool| events.iter().find(|e| pick(&e.event)).map(|e| e.time);
    assert!(at(&|e| matches!(e, Event::Online)).is_some(), "{events:#?}");
    let mark = at(&|e| matches!(e, Event::Mark { text } if text == "verse 2")).expect("the mark");
    assert!(mark.duration_since(marked).unwrap_or_default() < Duration::from_secs(1));
    assert!(
        at(&|e| matches!(e, Event::Late { seconds } if *seconds > 0.4)).is_some(),
        "{events:#?}"
    );
    let crash = at(&|e| matches!(e, Event::Crashed { reason } if reason.contains("ended")))
        .expect("the crash");
    // Within a poll of the kill (the poll is 50 ms; the margin is for a busy machine).
    assert!(
        crash.duration_since(killed).unwrap_or_default() < Duration::from_secs(2),
        "{crash:?} vs {killed:?}"
    );
    assert!(
        at(&|e| matches!(e, Event::Mark { text } if text == "chorus in")).is_some(),
        "scpanel mark's mark: {events:#?}"
    );
    let summary = show.summary().expect("summary").to_string();
    assert!(summary.contains("1 crash"), "{summary}");
    let id = show.info().id.clone();
    drop(show);

    // The same from the command line: the list, a summary by id, the CSV.
    let folder = dir.display().to_string();
    let list = scpanel(&["shows", "--folder", &folder]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.starts_with(&id[..8]) && list.contains("stage"),
        "{list}"
    );
    let out = scpanel(&["shows", "summary", &id[..8], "--folder", &folder]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("1 crash"), "{text}");
    let csv = dir.join("csv");
    let out = scpanel(&[
        "shows",
        "export",
        &show_path.display().to_string(),
        "--csv",
        &csv.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(&csv)
        .expect("csv folder")
        .flatten()
        .collect();
    assert_eq!(files.len(), 2, "samples and events");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kill -9` of the recording process (here `scpanel watch`, the app without a window) in
/// the middle of a show: the show opens afterwards with its samples up to about half a second
/// (one batch) before the kill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_recorder_keeps_its_show_up_to_its_last_batch() {
    use std::io::BufRead;
    let server = common::boot(common::options()).await;
    let addr = format!("127.0.0.1:{}", server.options().port);
    let dir = std::env::temp_dir().join(format!("scpanel-flight-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .env("SCPANEL_SHOWS_DIR", &dir)
        .args(["watch", "--interval", "100ms", "--addr", &addr])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("scpanel watch");
    let stdout = child.stdout.take().expect("stdout");
    // Twenty tables with the server online: two seconds of samples, four batches.
    let seen = tokio::task::spawn_blocking(move || {
        let mut online_tables = 0;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains(" online ") {
                online_tables += 1;
                if online_tables == 20 {
                    return true;
                }
            }
        }
        false
    })
    .await
    .expect("reader");
    assert!(seen, "watch showed the server online");
    let killed = SystemTime::now();
    // SAFETY: a plain signal to the process this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();

    let shows = scpanel_core::journal::list_shows(&dir).expect("the shows");
    let show = Show::open(&shows.first().expect("the killed watch's show").path).expect("opens");
    let samples = show.samples(..).expect("samples");
    let last = samples.last().expect("samples were kept").time;
    let lost = killed.duration_since(last).unwrap_or_default();
    assert!(
        lost < Duration::from_secs(1),
        "{} samples, the last {lost:?} before the kill",
        samples.len()
    );
    drop(show);
    server.quit(false).await.expect("quit");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `shows export ID --png FILE` on a recorded show (written here, no server needed): a PNG of
/// the size asked, with each server's line drawn in its colour inside the plot; `--csv` and
/// `--png` together; neither, or a size out of bounds, refused with a reason.
#[test]
fn a_show_exports_as_a_png_of_its_timeline() {
    use scpanel::timeline::{Timeline, lane_rgb, png};
    use scpanel_core::journal::{Journal, JournalOptions, Record, Sample, ServerInfo};

    let dir = std::env::temp_dir().join(format!("scpanel-flight-png-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let journal = Journal::start(JournalOptions::new(&dir));
    let stage = journal.add_server(ServerInfo::new("127.0.0.1:57110", "stage", "udp", true));
    let laptop = journal.add_server(ServerInfo::new("127.0.0.1:57111", "laptop", "udp", false));
    let start = journal.started();
    // Two minutes at two samples a second: the stage near 30 %, the laptop near 70 %.
    for k in 0..240u32 {
        let at = start + Duration::from_millis(u64::from(k) * 500);
        let wobble = (k % 20) as f32;
        for (server, average) in [(stage, 30.0), (laptop, 70.0)] {
            let sample = Sample {
                average_cpu: average + wobble / 4.0,
                peak_cpu: average + 5.0 + wobble / 2.0,
                ..Sample::default()
            };
            journal.record(at, Record::Status(server, sample));
        }
    }
    journal.record(
        start + Duration::from_secs(30),
        Record::Event(
            None,
            Event::Mark {
                text: "verse 2".into(),
            },
        ),
    );
    journal.record(
        start + Duration::from_secs(60),
        Record::Event(Some(laptop), Event::Xrun { count: 4 }),
    );
    let id = journal.id().to_string();
    let show_path = journal.path().to_path_buf();
    journal.close().expect("the show saved");

    let folder = dir.display().to_string();
    let file = dir.join("timeline.png");
    let csv = dir.join("csv");
    let out = scpanel(&[
        "shows",
        "export",
        &id[..8],
        "--folder",
        &folder,
        "--png",
        &file.display().to_string(),
        "--width",
        "900",
        "--height",
        "320",
        "--csv",
        &csv.display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&file.display().to_string()), "{stdout}");
    assert_eq!(std::fs::read_dir(&csv).expect("csv").count(), 2);

    // The header says PNG and the size asked; the pixels are decoded to find the lines.
    let bytes = std::fs::read(&file).expect("the PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut reader = ::png::Decoder::new(std::io::Cursor::new(&bytes))
        .read_info()
        .expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut pixels).expect("its pixels");
    assert_eq!((frame.width, frame.height), (900, 320));
    let channels = frame.color_type.samples();
    let timeline = Timeline::open(&show_path).expect("the show");
    let [x0, y0, x1, y1] =
        png::plot_area(&timeline, (0.0, timeline.length), (900, 320)).expect("the plot");
    assert!(x1 > x0 + 500 && y1 > y0 + 50, "{:?}", [x0, y0, x1, y1]);
    for (i, name) in ["stage", "laptop"].iter().enumerate() {
        let rgb = lane_rgb(i);
        let drawn = (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (y * 900 + x) as usize * channels))
            .filter(|&p| {
                pixels
                    .get(p..p + 3)
                    .is_some_and(|px| px.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 24))
            })
            .count();
        assert!(drawn > 200, "{name}'s line: {drawn} pixels of {rgb:?}");
    }

    // Neither --csv nor --png, and a size out of bounds: refused, with a reason.
    let out = scpanel(&["shows", "export", &id[..8], "--folder", &folder]);
    assert!(!out.status.success());
    let out = scpanel(&[
        "shows",
        "export",
        &id[..8],
        "--folder",
        &folder,
        "--png",
        &file.display().to_string(),
        "--width",
        "99999",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("200 to 8000"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
