//! `scpanel find --scan` against a real scsynth. Only 127.0.0.1 is scanned, and Zeroconf is
//! left off (`--no-zeroconf`): nothing leaves the machine. The Zeroconf browser itself is
//! tested inside a network namespace in crates/scpanel-core/tests/suite/discover.rs.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{boot, options};
use scpanel_core::machine::port_is_free;

fn scpanel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scpanel"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_scan_lists_a_booted_server_with_its_status() {
    let server = boot(options()).await;
    let port = server.options().port;
    let addr = format!("127.0.0.1:{port}");
    let targets = format!("127.0.0.1/32:{}-{}", port - 2, port + 2);

    let out = scpanel()
        .args(["find", "--no-zeroconf", "--timeout", "1s", "--rate", "50"])
        .args(["--scan", &targets])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}\n{stdout}\n{stderr}", out.status);

    let line = stdout
        .lines()
        .find(|l| l.contains(&format!("  {addr}  ")))
        .unwrap_or_else(|| panic!("no line for {addr}:\n{stdout}\n{stderr}"));
    assert!(
        line.starts_with(&format!("127.0.0.1  {addr}  udp  scan  ugens ")),
        "{line}"
    );
    // Root and the default groups of a server booted by scpanel, at the dummy JACK's rate.
    assert!(
        line.contains(" groups 5 ") && line.contains("sample rate 48000.0"),
        "{line}"
    );

    server.quit(false).await.unwrap();
}

#[test]
fn find_scan_with_nothing_answering_fails_saying_so() {
    let lo = loop {
        let p = common::test_port();
        if p < u16::MAX - 3 && (p..p + 3).all(port_is_free) {
            break p;
        }
    };
    let targets = format!("127.0.0.1:{lo}-{}", lo + 2);
    let started = Instant::now();
    let out = scpanel()
        .args(["find", "--no-zeroconf", "--timeout", "300ms"])
        .args(["--scan", &targets])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(&format!(
            "no server found answering in 127.0.0.1/32:{lo}-{} within 0.3 s",
            lo + 2
        )),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn find_refuses_a_scan_too_big_and_bad_targets() {
    let out = scpanel()
        .args(["find", "--no-zeroconf", "--scan", "127.0.0.0/8:1-100"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("one scan sends at most 65536"), "{stderr}");

    for bad in ["localhost", "127.0.0.1/40", "127.0.0.1:9-1"] {
        let out = scpanel()
            .args(["find", "--no-zeroconf", "--scan", bad])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("is not a scan target"), "{bad}: {stderr}");
    }
}
