//! SIGTERM, SIGHUP and SIGINT end `scpanel boot` and the app cleanly: the owned scsynth gets
//! `/quit` and a recording is finished first. The parent-death signal stays the last resort
//! and fires only when the process dies, not when the thread that booted ends.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::options;
use scpanel_core::recording::{HeaderFormat, RecordOptions, SampleFormat};
use scpanel_core::{Server, ServerState};

/// DiskOut writes half its 65,536-frame buffer at a time: past this, real audio is on disk.
const SOME_AUDIO: u64 = 2 * 3 * 32_768;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scpanel-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// Waits (on the kernel's word, through a pidfd) for a process that is not our child to end.
fn wait_gone(pid: u32, limit: Duration) -> bool {
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return !process_alive(pid);
    }
    let mut p = libc::pollfd {
        fd: fd as i32,
        events: libc::POLLIN,
        revents: 0,
    };
    let n = unsafe { libc::poll(&mut p, 1, limit.as_millis() as i32) };
    unsafe { libc::close(fd as i32) };
    n > 0 || !process_alive(pid)
}

/// A finished WAV: its header tells the frames that were written.
fn assert_finished_wav(path: &Path) {
    let reader = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("{} is not a readable WAV: {e}", path.display()));
    assert_eq!(reader.spec().channels, 2);
    let frames = u64::from(reader.duration());
    assert!(
        frames * 6 >= SOME_AUDIO,
        "the header counts {frames} frames: the file was not finished"
    );
}

/// Runs `scpanel boot --record DIR`, waits until audio is on disk, sends `sig`, and checks
/// that scpanel exits cleanly, scsynth is gone and the WAV is finished.
fn boot_record_then(sig: i32) {
    let dir = scratch(&format!("sig{sig}"));
    let port = options().port.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args([
            "boot",
            "--port",
            &port,
            "--input-channels",
            "2",
            "--output-channels",
            "2",
            "--max-logins",
            "2",
            "--load-synthdefs",
            "off",
            "--interval",
            "0.2",
            "--record",
            dir.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut pid = None;
    let path: PathBuf = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "scpanel boot ended early"
        );
        if let Some(rest) = line.split("(pid ").nth(1) {
            pid = Some(rest.split(',').next().unwrap().parse::<u32>().unwrap());
        }
        if let Some(p) = line.strip_prefix("recording to ") {
            break PathBuf::from(p.trim());
        }
    };
    let pid = pid.expect("the pid line comes before the recording line");
    assert_eq!(
        path.parent(),
        Some(dir.as_path()),
        "a timestamped file in the folder"
    );
    // Status lines come every 0.2 s: read them until the file holds audio.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut status = String::new();
    while std::fs::metadata(&path).map_or(0, |m| m.len()) < SOME_AUDIO {
        status.clear();
        assert!(stdout.read_line(&mut status).unwrap() > 0, "no more status");
    }
    unsafe { libc::kill(child.id() as i32, sig) };
    let code = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(code.success(), "{code:?}: {rest}");
    assert!(rest.contains("recording saved"), "{rest}");
    assert!(!process_alive(pid), "scsynth {pid} outlived scpanel boot");
    let log = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(log, 1, "one recording");
    assert_finished_wav(&path);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sigterm_quits_the_server_of_scpanel_boot_and_finishes_its_recording() {
    boot_record_then(libc::SIGTERM);
}

#[test]
fn sighup_quits_the_server_of_scpanel_boot_and_finishes_its_recording() {
    boot_record_then(libc::SIGHUP);
}

#[test]
fn sigint_quits_the_server_of_scpanel_boot_and_finishes_its_recording() {
    boot_record_then(libc::SIGINT);
}

/// SIGKILL can't be caught: the parent-death signal is what stops scsynth then.
#[test]
fn a_killed_scpanel_boot_takes_its_server_with_it() {
    let port = options().port.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(["boot", "--port", &port, "--load-synthdefs", "off"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let pid: u32 = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "ended early");
        if let Some(rest) = line.split("(pid ").nth(1) {
            break rest.split(',').next().unwrap().parse().unwrap();
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        wait_gone(pid, Duration::from_secs(5)),
        "scsynth {pid} outlived a killed scpanel"
    );
}

/// A library user may boot from a thread that ends right after: the server must stay.
#[test]
fn a_server_booted_from_a_short_lived_thread_outlives_the_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = Server::new();
    let (s, handle) = (server.clone(), rt.handle().clone());
    // The boot future runs (and forks) on this thread, which then ends.
    std::thread::spawn(move || handle.block_on(s.boot(options())))
        .join()
        .unwrap()
        .unwrap();
    let pid = server.pid().unwrap();
    rt.block_on(async {
        // A round trip after the thread is gone: a parent-death signal would have come by now.
        server.status().await.expect("the server still answers");
        server.sync().await.unwrap();
    });
    assert!(
        process_alive(pid),
        "scsynth {pid} died with the booting thread"
    );
    assert_eq!(server.state(), ServerState::Online);
    rt.block_on(server.quit(false)).unwrap();
    assert!(!process_alive(pid));
}

/// The window: a SIGTERM to the app quits its server, finishes the recording and closes.
#[test]
fn sigterm_to_the_app_quits_its_server_and_finishes_the_recording() {
    use egui_kittest::Harness;
    use scpanel::gui::ScPanel;
    scpanel::gui::profiles::set_folder(scratch("app-profiles"));
    let o = options();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1000.0, 700.0))
        .build_eframe(move |_cc| ScPanel::new(o).expect("app"));
    h.state().handle_signals().unwrap();
    let server = h.state().session().server.clone();
    let dir = scratch("app-rec");
    let path = dir.join("take.wav");
    h.state().bridge.block_on(async {
        server.boot(options()).await.unwrap();
        server
            .recorder()
            .start(RecordOptions {
                path: path.clone(),
                header: HeaderFormat::Wav,
                sample: SampleFormat::Int16,
                channels: 2,
            })
            .await
            .unwrap();
        let mut changes = server.watch_changes();
        while std::fs::metadata(&path).map_or(0, |m| m.len()) < SOME_AUDIO / 3 * 2 {
            // Status replies tick this twice a second.
            tokio::time::timeout(Duration::from_secs(5), changes.changed())
                .await
                .expect("status keeps coming")
                .unwrap();
        }
    });
    let pid = server.pid().unwrap();
    h.run_steps(2);
    unsafe { libc::kill(std::process::id() as i32, libc::SIGTERM) };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut changes = server.watch_changes();
    while h.state().terminated.lock().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "no shutdown");
        h.step();
        h.state().bridge.block_on(async {
            let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
        });
    }
    assert_eq!(server.state(), ServerState::Offline);
    assert!(
        !process_alive(pid),
        "scsynth {pid} outlived the app's SIGTERM"
    );
    let reader = hound::WavReader::open(&path).expect("a finished WAV");
    assert!(reader.duration() > 0, "the header counts the frames");
    std::fs::remove_dir_all(&dir).ok();
}

/// A signal while the server is still starting stops it: nothing is left half-booted.
#[test]
fn a_signal_during_boot_stops_the_starting_server() {
    let dir = scratch("boot-signal");
    let fifo = dir.join("pid");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // A "server" that never gets ready: it tells its pid through the fifo, then waits.
    let script = dir.join("scsynth");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho $$ > {}\nexec sleep 30\n", fifo.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let port = options().port.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args([
            "boot",
            "--port",
            &port,
            "--boot-timeout",
            "30",
            "--executable",
        ])
        .arg(&script)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Blocks until the script has started and written.
    let pid: u32 = std::fs::read_to_string(&fifo)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let code = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!code.success(), "{code:?}");
    assert!(err.contains("SIGTERM while booting"), "{err}");
    assert!(
        wait_gone(pid, Duration::from_secs(5)),
        "the starting server {pid} outlived scpanel"
    );
    std::fs::remove_dir_all(&dir).ok();
}
