//! `scpanel status` with several `--addr`s and `scpanel watch`, against real scsynth servers.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{boot, options};

fn scpanel() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scpanel"));
    // `watch` keeps its show: in a folder of this test's own, not the user's.
    c.env(
        "SCPANEL_SHOWS_DIR",
        std::env::temp_dir().join(format!("scpanel-cli-many-shows-{}", std::process::id())),
    );
    c
}

/// The table row of `addr` in `text`.
fn row<'a>(text: &'a str, addr: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{addr} ")))
        .unwrap_or_else(|| panic!("no row for {addr} in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_several_servers_is_a_row_each_and_a_dead_one_delays_nobody() {
    let a = boot(options()).await;
    let b = boot(options()).await;
    let addr_a = format!("127.0.0.1:{}", a.options().port);
    let addr_b = format!("127.0.0.1:{}", b.options().port);
    // Nothing listens there.
    let dead = format!("127.0.0.1:{}", common::test_port());

    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let out = scpanel()
        .args(["status", "--timeout", "1s"])
        .args(["--addr", &addr_a, "--addr", &dead, "--addr", &addr_b])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);

    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "a header and a row per server: {stdout}");
    assert!(lines[0].starts_with("ADDRESS"), "{stdout}");
    assert!(
        lines[1].starts_with(&addr_a) && lines[3].starts_with(&addr_b),
        "in order: {stdout}"
    );
    for addr in [&addr_a, &addr_b] {
        let r = row(&stdout, addr);
        assert!(r.contains(" online "), "{r}");
        // Root and the 4 default groups of a server booted by scpanel; nominal/actual rate.
        assert!(r.contains(" 5 "), "{r}");
        assert!(
            r.split_whitespace()
                .any(|w| w.split_once('/').is_some_and(|(n, x)| {
                    n.parse::<f64>().is_ok_and(|n| n > 0.0) && x.parse::<f64>().is_ok()
                })),
            "{r}"
        );
    }
    let r = row(&stdout, &dead);
    assert!(r.contains(" no answer ") && r.contains("no reply"), "{r}");
    assert!(
        stderr.contains(&format!("{dead}: no answer"))
            && stderr.contains("1 of 3 servers did not answer"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&addr_a) && !stderr.contains(&addr_b),
        "only the silent one is named: {stderr}"
    );
    // Asked all at once, each with its own time-out: about one time-out in all.
    assert!(took < timeout * 10, "took {took:?}");

    a.quit(false).await.unwrap();
    b.quit(false).await.unwrap();
}

/// Lines of a child's stdout, read on a thread of their own so that waits have deadlines.
struct Lines(mpsc::Receiver<String>);

impl Lines {
    fn of(stdout: std::process::ChildStdout) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines(rx)
    }

    /// The next whole table (header to blank line), or `None` after `deadline`.
    fn table(&self, deadline: Instant) -> Option<String> {
        let mut text = String::new();
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.0.recv_timeout(left).ok()?;
            if line.starts_with("ADDRESS") {
                text.clear();
            }
            if line.is_empty() {
                if !text.is_empty() {
                    return Some(text);
                }
                continue;
            }
            text.push_str(&line);
            text.push('\n');
        }
    }

    /// Reads tables until one satisfies `ok`; panics with the last one after `within`.
    fn until(&self, within: Duration, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        let mut last = String::new();
        while let Some(t) = self.table(deadline) {
            if ok(&t) {
                return t;
            }
            last = t;
        }
        panic!("no table with {what} within {within:?}; the last one:\n{last}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_shows_a_killed_server_offline_then_back_and_ctrl_c_ends_it_cleanly() {
    let a = boot(options()).await;
    let b = boot(options()).await;
    let port_b = b.options().port;
    let addr_a = format!("127.0.0.1:{}", a.options().port);
    let addr_b = format!("127.0.0.1:{port_b}");

    let mut child = scpanel()
        .args(["watch", "--interval", "100ms", "--timeout", "0.5"])
        .args(["--addr", &addr_a, "--addr", &addr_b])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Lines::of(child.stdout.take().unwrap());
    let online = |t: &str, addr: &str| row(t, addr).contains(" online ");

    let t = lines.until(Duration::from_secs(10), "both online", |t| {
        online(t, &addr_a) && online(t, &addr_b)
    });
    assert!(!t.contains('\x1b'), "no screen clearing into a pipe: {t:?}");
    // Several tables, one per interval.
    lines.until(Duration::from_secs(10), "both online again", |t| {
        online(t, &addr_a) && online(t, &addr_b)
    });

    // The server this test booted, by its pid.
    let pid = b.pid().expect("a booted server has a pid");
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let t = lines.until(Duration::from_secs(10), "the killed one offline", |t| {
        row(t, &addr_b).contains(" offline ")
    });
    assert!(online(&t, &addr_a), "the other stays online:\n{t}");
    drop(b);

    // A server on that port again: its row comes back without anything being done.
    let mut o = options();
    o.port = port_b;
    let b2 = boot(o).await;
    lines.until(Duration::from_secs(10), "the new one online", |t| {
        online(t, &addr_a) && online(t, &addr_b)
    });

    // Ctrl-C, by the watch's own pid: a clean exit, with success.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("watch ended after SIGINT")
        .unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    // The watch kept its show: both servers' samples, and the killed one's going away.
    let shows = std::env::temp_dir().join(format!("scpanel-cli-many-shows-{}", std::process::id()));
    let listed = scpanel_core::journal::list_shows(&shows).expect("the shows");
    let show = listed
        .iter()
        .find(|s| s.servers.iter().any(|r| r.address == addr_b))
        .expect("this watch's show");
    assert!(show.samples >= 4, "{} samples", show.samples);
    assert_eq!(show.crashes, 1, "the killed server");

    a.quit(false).await.unwrap();
    b2.quit(false).await.unwrap();
}

#[test]
fn watch_durations_are_range_checked() {
    for (args, says) in [
        (
            &["watch", "--interval", "1e300"][..],
            "--interval must be from 0.05 to 3600 seconds, not 1e300",
        ),
        (
            &["watch", "--interval", "10ms"][..],
            "--interval must be from 0.05 to 3600 seconds, not 0.01",
        ),
        (
            &["watch", "--timeout", "nan"][..],
            "--timeout must be from 0.1 to 60 seconds, not nan",
        ),
        (
            &["status", "--timeout", "0.01s"][..],
            "--timeout must be from 0.1 to 60 seconds, not 0.01",
        ),
    ] {
        let out = scpanel().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "a usage error: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// A session file in a folder of this test's own, removed on drop.
struct SessionFile {
    dir: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl SessionFile {
    fn new(test: &str, text: &str) -> SessionFile {
        let dir = std::env::temp_dir().join(format!("scpanel-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("classroom.toml");
        std::fs::write(&path, text).unwrap();
        SessionFile { dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for SessionFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_a_session_file_is_a_row_per_server_before_the_addrs() {
    let a = boot(options()).await;
    let addr_a = format!("127.0.0.1:{}", a.options().port);
    // Nothing listens there; the entry would be booted by the window, the CLI only looks.
    let dead = format!("127.0.0.1:{}", common::test_port());
    let session = SessionFile::new(
        "session-status",
        &format!(
            "[[server]]\nname = \"live\"\naddr = \"{addr_a}\"\n\n\
             [[server]]\naddr = \"{dead}\"\nauto_reboot = true\n[server.boot]\nmax_logins = 4\n"
        ),
    );

    let out = scpanel()
        .args(["status", "--timeout", "1s", "--session", session.arg()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "a header and a row per server, without the default address: {stdout}"
    );
    assert!(lines[0].starts_with("ADDRESS"), "{stdout}");
    let live = format!("live ({addr_a})");
    assert!(
        lines[1].starts_with(&live) && lines[2].starts_with(&dead),
        "in the file's order: {stdout}"
    );
    assert!(row(&stdout, &live).contains(" online "), "{stdout}");
    assert!(row(&stdout, &dead).contains(" no answer "), "{stdout}");
    assert!(
        stderr.contains(&format!("{dead}: no answer"))
            && stderr.contains("1 of 2 servers did not answer"),
        "{stderr}"
    );

    // With --addr as well: the session's rows first; all answer, so success.
    let session = SessionFile::new(
        "session-status-2",
        &format!("[[server]]\nname = \"live\"\naddr = \"{addr_a}\"\n"),
    );
    let out = scpanel()
        .args(["status", "--timeout", "1s", "--addr", &addr_a])
        .args(["--session", session.arg()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[1].starts_with(&live) && lines[2].starts_with(&format!("{addr_a} ")),
        "{stdout}"
    );
    assert!(
        lines[1..].iter().all(|l| l.contains(" online ")),
        "{stdout}"
    );

    a.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_of_a_session_file_shows_its_servers() {
    let a = boot(options()).await;
    let addr_a = format!("127.0.0.1:{}", a.options().port);
    let dead = format!("127.0.0.1:{}", common::test_port());
    let session = SessionFile::new(
        "session-watch",
        &format!(
            "[[server]]\nname = \"live\"\naddr = \"{addr_a}\"\n\n\
             [[server]]\nname = \"gone\"\naddr = \"{dead}\"\n"
        ),
    );
    let mut child = scpanel()
        .args(["watch", "--interval", "100ms", "--timeout", "0.5"])
        .args(["--session", session.arg()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Lines::of(child.stdout.take().unwrap());
    let live = format!("live ({addr_a})");
    let gone = format!("gone ({dead})");
    let t = lines.until(Duration::from_secs(10), "both rows", |t| {
        t.lines().count() == 3
            && row(t, &live).contains(" online ")
            && row(t, &gone).contains(" no answer ")
    });
    assert!(!t.contains("127.0.0.1:57110 "), "no default address:\n{t}");

    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("watch ended after SIGINT")
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);

    a.quit(false).await.unwrap();
}

#[test]
fn a_session_file_that_cannot_be_used_is_an_error_naming_it() {
    let bad = SessionFile::new(
        "session-bad",
        "[[server]]\naddr = \"127.0.0.1:57110\"\nnmae = \"typo\"\n",
    );
    let missing = bad.dir.join("missing.toml");
    let missing = missing.to_str().unwrap();
    for (command, file, says) in [
        ("status", bad.arg(), "line 3: unknown field `nmae`"),
        ("watch", bad.arg(), "line 3: unknown field `nmae`"),
        ("status", missing, "does not exist"),
        ("watch", missing, "does not exist"),
    ] {
        let out = scpanel()
            .args([command, "--timeout", "0.5", "--session", file])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command} {file}: {stderr}");
        assert!(
            stderr.contains(file) && stderr.contains(says),
            "{command} {file}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "no table: {command} {file}");
    }
}
