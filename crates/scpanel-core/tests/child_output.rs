//! A server program that prints without end: what scpanel keeps of its output is bounded,
//! and what it drops is counted in the log. Its own test binary, so that the memory figure
//! read from /proc/self is this test's alone. No JACK needed: the "server" is a script.

mod common;

use std::time::Duration;

use scpanel_core::{Options, Server, ServerError};

/// The most this process has ever held resident, in KiB (`VmHWM`).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_endless_line_is_kept_to_its_bound_and_the_rest_counted() {
    const LINE: u64 = 50_000_000;
    let dir = std::env::temp_dir().join(format!("scpanel-endless-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("scsynth");
    // 50 MB with no newline on stdout, then an exit: before the bound this was held whole
    // (several times over), and a program that never stopped made scpanel ask for 4 GB.
    std::fs::write(
        &script,
        format!("#!/bin/sh\nhead -c {LINE} /dev/zero | tr '\\0' x\nexit 3\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let options = Options {
        executable: Some(script),
        port: common::test_port(),
        load_synthdefs: false,
        boot_timeout: Duration::from_secs(60),
        ..Options::default()
    };
    let before = peak_kib();
    let server = Server::new();
    let err = server.boot(options).await.unwrap_err();
    let grew_mib = (peak_kib() - before) / 1024;
    assert!(
        matches!(err, ServerError::ProcessExited { .. }),
        "a clean boot failure: {err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("exit code 3"),
        "{}",
        &text[..text.len().min(300)]
    );
    let kept = scpanel_core::machine::MAX_OUTPUT_LINE as u64;
    let (longest, note) = server.with_log(|l| {
        let longest = l
            .lines()
            .filter(|l| l.text.starts_with("xxxx"))
            .map(|l| l.text.len())
            .max()
            .unwrap_or(0);
        let note = l
            .lines()
            .find(|l| l.text.contains("over-long line dropped"))
            .map(|l| l.text.clone());
        (longest, note)
    });
    assert_eq!(longest as u64, kept, "the line is kept to its bound");
    let note = note.expect("a log note counts what was dropped");
    assert!(
        note.starts_with(&format!(
            "{} bytes of an over-long line dropped",
            LINE - kept
        )),
        "{note}"
    );
    assert!(
        grew_mib < 25,
        "reading one 50 MB line took {grew_mib} MiB more at the peak"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
