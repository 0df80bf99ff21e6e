//! The `scpanel` binary's subcommands against a real scsynth.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{boot, options};

fn scpanel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scpanel"))
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = scpanel().args(args).output().expect("run scpanel");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_tree_and_send() {
    let server = boot(options()).await;
    let addr = format!("127.0.0.1:{}", server.options().port);

    let (ok, out, err) = run(&["status", "--addr", &addr]);
    assert!(ok, "{err}");
    assert!(out.contains("groups 5"), "root + 4 default groups: {out}");

    let (ok, out, err) = run(&["send", "--addr", &addr, "/g_new", "5000", "0", "1"]);
    assert!(ok, "{err}");
    assert!(out.is_empty(), "no login, so no notifications: {out}");
    let (ok, out, err) = run(&[
        "send", "--login", "--addr", &addr, "/g_new", "5001", "1", "1",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("/n_go 5001 1 5000"),
        "--login logs in and shows the notifications: {out}"
    );

    let (ok, out, _) = run(&["tree", "--addr", &addr]);
    assert!(ok);
    assert!(
        out.starts_with("NODE TREE 0 group\n    1 group\n        5000 group\n        5001 group\n"),
        "{out}"
    );

    // A /fail is printed, not hidden, and scripts see it in the exit code.
    let (ok, out, err) = run(&["send", "--addr", &addr, "/n_free", "777"]);
    assert!(!ok);
    assert!(out.contains("/fail /n_free"), "{out}");
    assert!(err.contains("the server answered /fail"), "{err}");

    // A bad line is refused before anything is sent.
    let (ok, _, err) = run(&["send", "--addr", &addr, "n_free", "1"]);
    assert!(!ok);
    assert!(err.starts_with("scpanel: column 1"), "{err}");
    server.quit(false).await.unwrap();
}

#[test]
fn failures_are_one_clear_line_and_non_zero() {
    let port = common::test_port();
    let (ok, _, err) = run(&["status", "--addr", &format!("127.0.0.1:{port}")]);
    assert!(!ok);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach a server"), "{err}");

    let (ok, _, err) = run(&["boot", "--port", "70000"]);
    assert!(!ok);
    assert!(err.contains("--port") && err.contains("65535"), "{err}");

    let (ok, _, err) = run(&["boot", "--audio-buses", "4"]);
    assert!(!ok);
    assert!(err.contains("inputs + outputs"), "{err}");
}

#[test]
fn boot_stays_in_the_foreground_and_ctrl_c_quits_its_server() {
    let o = options();
    let port = o.port.to_string();
    let mut child = scpanel()
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
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let pid: u32 = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "scpanel boot ended early"
        );
        if let Some(rest) = line.split("(pid ").nth(1) {
            break rest.split(',').next().unwrap().parse().unwrap();
        }
    };
    assert!(line.contains("client 0 of 2"), "{line}");
    // Status lines arrive on stdout.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut status = String::new();
    stdout.read_line(&mut status).unwrap();
    assert!(status.contains("groups"), "{status}");
    // Another client sees it.
    let (ok, out, _) = run(&["status", "--addr", &format!("127.0.0.1:{port}")]);
    assert!(ok && out.contains("groups 3"), "{out}");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let code = child.wait().unwrap();
    assert!(code.success(), "{code:?}");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "scsynth {pid} outlived scpanel boot"
    );
}

#[test]
fn synthdef_write_then_show() {
    let dir = std::env::temp_dir().join(format!("scpanel-cli-defs-{}", std::process::id()));
    let (ok, out, err) = run(&["synthdef", "write", "scpanel-sine", dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    let path = out.trim().to_string();
    assert!(path.ends_with("scpanel-sine.scsyndef"), "{path}");
    let (ok, out, err) = run(&["synthdef", "show", &path]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("SynthDef scpanel-sine\nControls:\n    freq = 440 (kr, index 0)\n"),
        "{out}"
    );
    assert!(out.contains("SinOsc.ar (0_Control[0], 0)"), "{out}");
    let (ok, _, err) = run(&["synthdef", "write", "no-such-def", dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("built-ins: default, scpanel-sine"), "{err}");
    std::fs::write(dir.join("broken.scsyndef"), b"SCgf\0\0\0\x02\0\x01\x09abc").unwrap();
    let (ok, _, err) = run(&[
        "synthdef",
        "show",
        dir.join("broken.scsyndef").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("byte 11") && err.contains("too soon"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
