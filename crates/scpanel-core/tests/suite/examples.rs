//! The runnable examples, run against real scsynth processes: `boot_and_quit` boots and quits
//! one, `print_tree` prints a booted server's tree, `watch_servers` shows it online and ends on
//! Ctrl-C (SIGINT).
//!
//! `cargo test` builds the examples before it runs the tests; run alone
//! (`scripts/test.sh --test suite examples::`), they must be built first:
//! `cargo build -p scpanel-core --examples`.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{boot, options, test_port};
use scpanel_core::AddAction;

/// The example's binary, beside this test's (`target/<profile>/examples/`).
fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    let path: PathBuf = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: build the examples first (cargo build -p scpanel-core --examples)",
        path.display()
    );
    Command::new(path)
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn boot_and_quit_boots_prints_status_and_quits() {
    let _jack = options(); // checks that a JACK server is there
    let port = test_port();
    let out = example("boot_and_quit")
        .arg(port.to_string())
        .output()
        .expect("run boot_and_quit");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains(&format!("online at udp://127.0.0.1:{port}")),
        "{all}"
    );
    assert!(all.contains("ugens "), "{all}");
    assert!(all.contains("quit: offline"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_tree_prints_the_tree_and_fails_clearly_without_a_server() {
    let server = boot(options()).await;
    let group = server
        .add_group(server.default_group(), AddAction::AddToTail, false)
        .await
        .unwrap();
    let addr = server.attachment().unwrap().addr.to_string();
    let out = tokio::task::spawn_blocking(move || {
        example("print_tree")
            .arg(addr)
            .output()
            .expect("run print_tree")
    })
    .await
    .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("NODE TREE 0 group"), "{all}");
    assert!(all.contains(&format!("{group} group")), "{all}");

    let nobody = format!("127.0.0.1:{}", test_port());
    let out = tokio::task::spawn_blocking(move || {
        example("print_tree")
            .arg(nobody)
            .output()
            .expect("run print_tree")
    })
    .await
    .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("cannot connect"), "{}", text(&out));
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_servers_shows_a_server_online_and_ends_on_ctrl_c() {
    let server = boot(options()).await;
    let addr = server.attachment().unwrap().addr.to_string();
    let mut child = example("watch_servers")
        .arg(&addr)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run watch_servers");
    let stdout = child.stdout.take().unwrap();
    let pid = child.id() as libc::pid_t;
    let seen = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap_or_default();
            let online = line.starts_with(&addr) && line.contains(" online ");
            lines.push(line);
            if online || Instant::now() > deadline {
                return (online, lines);
            }
        }
        (false, lines)
    })
    .await
    .unwrap();
    // Ctrl-C: the example disconnects and exits 0.
    // SAFETY: kill(2) on the pid of a child we spawned and have not waited for yet.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .expect("wait for watch_servers");
    assert!(seen.0, "never online:\n{}", seen.1.join("\n"));
    assert!(out.status.success(), "{}", text(&out));
    server.quit(false).await.unwrap();
}
