//! The `scpanel` binary's subcommands against a real scsynth.

use crate::common;

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
    // Sound on the first try: `default` was loaded at boot, so the README's example plays.
    let (ok, out, err) = run(&[
        "send",
        "--login",
        "--addr",
        &format!("127.0.0.1:{port}"),
        "/s_new",
        "default",
        "1000",
        "0",
        "1",
        "amp",
        "0",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("/n_go 1000 1 "), "{out}");
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
    // One def claimed, with room for none: refused at the count, before reading it.
    assert!(
        err.contains("byte 8") && err.contains("do not fit"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Exit code and stderr of a run that must fail cleanly: not a panic (101), one line.
fn refused(args: &[&str]) -> (i32, String) {
    let out = scpanel().args(args).output().expect("run scpanel");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().expect("an exit code, not a signal");
    assert_ne!(code, 0, "{args:?} succeeded");
    assert_ne!(code, 101, "{args:?} panicked: {err}");
    assert!(!err.contains("panicked"), "{err}");
    (code, err)
}

#[test]
fn numbers_out_of_range_are_refused_naming_the_field_and_range() {
    for time in ["@1e300", "@1e19", "@-1", "@nan"] {
        let (code, err) = refused(&["send", time, "/status"]);
        assert_eq!(code, 1);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(
                "scpanel: column 1: the time after @ must be from 0 to 31536000 seconds"
            ),
            "{err}"
        );
    }
    let (_, err) = refused(&["send", "/n_set", "1000", "freq", "1e300"]);
    assert!(
        err.contains("column 18") && err.contains("32-bit float"),
        "{err}"
    );
    let (_, err) = refused(&["send", "/n_free", "3000000000"]);
    assert!(err.contains("32-bit integer"), "{err}");

    let (code, err) = refused(&["boot", "--boot-timeout", "1e300"]);
    assert_eq!(code, 2, "a usage error, as clap reports them");
    assert!(
        err.contains("--boot-timeout must be from 0.5 to 600 seconds, not 1e300"),
        "{err}"
    );
    let (_, err) = refused(&["boot", "--interval", "1e-12"]);
    assert!(
        err.contains("--interval must be from 0.05 to 3600 seconds, not 1e-12"),
        "{err}"
    );
}

/// A password file of this test's own, readable by the user only.
fn password_file(name: &str, password: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::temp_dir().join(format!("scpanel-cli-{name}-{}", std::process::id()));
    std::fs::write(&path, format!("{password}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// A running `scpanel boot`: its stderr stays open, since writing to a closed pipe would end it.
struct BootChild {
    child: std::process::Child,
    _stderr: BufReader<std::process::ChildStderr>,
    _stdout: BufReader<std::process::ChildStdout>,
}

/// `scpanel boot` with `args` on a free port, up to its "online" line: the child, the port,
/// scsynth's pid and everything it wrote to stderr until then.
fn boot_child(args: &[&str]) -> (BootChild, String, u32, String) {
    let port = common::test_port().to_string();
    let mut child = scpanel()
        .args(["boot", "--port", &port, "--input-channels", "2"])
        .args(["--output-channels", "2", "--max-logins", "2"])
        .args(["--load-synthdefs", "off"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut before_online = String::new();
    let pid: u32 = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "scpanel boot ended early: {before_online}"
        );
        before_online.push_str(&line);
        if let Some(rest) = line.split("(pid ").nth(1) {
            break rest.split(',').next().unwrap().parse().unwrap();
        }
    };
    // Its first status line: the loop that handles Ctrl-C is running.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut status = String::new();
    stdout.read_line(&mut status).unwrap();
    assert!(status.contains("groups"), "{status}");
    let child = BootChild {
        child,
        _stderr: stderr,
        _stdout: stdout,
    };
    (child, port, pid, before_online)
}

/// Ctrl-C to a `boot_child`, which quits its server.
fn stop_boot_child(mut boot: BootChild, pid: u32) {
    unsafe { libc::kill(boot.child.id() as i32, libc::SIGINT) };
    let code = boot.child.wait().unwrap();
    assert!(code.success(), "{code:?}");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "scsynth {pid} outlived scpanel boot"
    );
}

#[test]
fn boot_takes_the_password_from_a_file_and_never_prints_it() {
    let secret = "cli-file-pw-42";
    let file = password_file("boot-pw", secret);
    let (child, port, pid, said) = boot_child(&[
        "--protocol",
        "tcp",
        "--bind-address",
        "0.0.0.0",
        "--password-file",
        file.to_str().unwrap(),
    ]);
    assert!(!said.contains(secret), "{said}");
    assert!(said.contains(" -p ****** "), "{said}");
    assert!(
        said.contains("warning: over TCP a wrong password makes scsynth abort"),
        "{said}"
    );
    assert!(
        !said.contains("anyone on a network"),
        "a password keeps strangers out: {said}"
    );
    // scsynth got the real password: clients holding it log in, from a file or the environment.
    let addr = format!("127.0.0.1:{port}");
    let (ok, out, err) = run(&[
        "status",
        "--tcp",
        "--addr",
        &addr,
        "--password-file",
        file.to_str().unwrap(),
    ]);
    assert!(ok && out.contains("groups"), "{out}{err}");
    let out = scpanel()
        .args(["status", "--tcp", "--addr", &addr])
        .env("SCPANEL_PASSWORD", secret)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop_boot_child(child, pid);
    std::fs::remove_file(&file).ok();
}

#[test]
fn boot_on_every_network_without_a_password_warns_naming_the_risk() {
    let (child, _, pid, said) = boot_child(&["--bind-address", "0.0.0.0"]);
    assert!(
        said.contains(
            "scpanel: warning: listening on every network (0.0.0.0): anyone on a network \
             this computer is on can play and free nodes on this server"
        ),
        "{said}"
    );
    stop_boot_child(child, pid);
}

#[test]
fn an_empty_or_missing_password_file_is_refused() {
    let empty = password_file("empty-pw", "");
    let (_, err) = refused(&[
        "status",
        "--tcp",
        "--password-file",
        empty.to_str().unwrap(),
    ]);
    assert!(err.contains("the first line is empty"), "{err}");
    let (_, err) = refused(&["status", "--tcp", "--password-file", "/nonexistent/pw"]);
    assert!(
        err.contains("--password-file: /nonexistent/pw does not exist"),
        "{err}"
    );
    let (code, _) = refused(&["status", "--password", "a", "--password-file", "b"]);
    assert_eq!(code, 2, "one or the other");
    std::fs::remove_file(&empty).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn levels_prints_every_channel_and_leaves_nothing_behind() {
    let server = boot(options()).await;
    let addr = format!("127.0.0.1:{}", server.options().port);
    // A sine on the first output, so one channel is not silent.
    server
        .synthdefs()
        .send_builtin("scpanel-sine")
        .await
        .expect("def");
    let synth = server
        .add_synth(
            "scpanel-sine",
            1,
            scpanel_core::AddAction::AddToHead,
            &[("amp", 0.25), ("pan", -1.0)],
        )
        .await
        .expect("synth");
    let before = server.status().await.expect("status");
    let (ok, out, err) = run(&["levels", "--addr", &addr, "--once"]);
    assert!(ok, "{err}");
    let line = out.lines().next().expect("a line");
    assert!(line.contains("in 1: ") && line.contains("in 2: "), "{line}");
    let out1 = line
        .split("  |  ")
        .find(|p| p.starts_with("out 1: "))
        .expect("out 1");
    assert!(!out1.contains("peak silent"), "the sine shows: {out1}");
    assert!(
        line.contains("out 2: peak silent"),
        "panned hard left: {line}"
    );
    // Its meter synths went with it.
    let after = server.status().await.expect("status");
    assert_eq!(
        after.synths, before.synths,
        "the command's meters were freed"
    );
    assert_eq!(after.groups, before.groups, "and their group");
    server.nodes().free(synth).await.expect("free");
    server.quit(false).await.expect("quit");
}

/// `scpanel args` that must end on its own within 10 s: a run still going then is killed
/// (it is this test's own child) and the test fails, rather than hanging the suite.
fn run_bounded(args: &[&str]) -> (bool, String, String) {
    let child = scpanel()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scpanel");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(10)) {
        Ok(out) => {
            let out = out.expect("scpanel's output");
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
        Err(_) => {
            // SAFETY: kill(2) on our own child, not yet reaped (its waiter still waits).
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("scpanel {args:?} was still running after 10 s: it hangs");
        }
    }
}

fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[test]
fn a_pipe_or_a_folder_where_a_file_is_expected_is_refused_at_once() {
    let dir = std::env::temp_dir().join(format!("scpanel-cli-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    let fifo_s = fifo.to_str().unwrap();
    let dir_s = dir.to_str().unwrap();
    let pipe = format!("{fifo_s} is a named pipe (FIFO)");
    let folder = format!("{dir_s} is a folder");
    for (args, said) in [
        (
            vec!["synthdef", "show", fifo_s],
            format!("{pipe}, not a SynthDef file"),
        ),
        (
            vec!["synthdef", "show", dir_s],
            format!("{folder}, not a SynthDef file"),
        ),
        (
            vec!["status", "--session", fifo_s],
            format!("{pipe}, not a session file"),
        ),
        (
            vec!["status", "--session", dir_s],
            format!("{folder}, not a session file"),
        ),
        (
            vec!["status", "--tcp", "--password-file", fifo_s],
            format!("{pipe}, not a password file"),
        ),
        (
            vec!["status", "--tcp", "--password-file", dir_s],
            format!("{folder}, not a password file"),
        ),
    ] {
        let (ok, _, err) = run_bounded(&args);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.starts_with("scpanel: "), "{args:?}: {err}");
        assert!(err.contains(&said), "{args:?}: {err}");
        assert!(err.contains("give the path of"), "says what to do: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `scpanel boot` of a "server" that prints 50 MB with no newline, then exits 3: before
/// output lines were bounded this was held whole, several times over (a program that never
/// stopped made scpanel ask for 4 GB and abort). The boot fails cleanly, and the process's
/// peak memory, as the kernel counts it for the child, stays small.
#[test]
#[expect(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also gives its peak memory"
)]
fn boot_of_a_program_printing_one_endless_line_stays_small_and_fails_cleanly() {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("scpanel-cli-endless-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("scsynth");
    std::fs::write(
        &script,
        "#!/bin/sh\nhead -c 50000000 /dev/zero | tr '\\0' x\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let port = common::test_port().to_string();
    let mut child = scpanel()
        .args([
            "boot",
            "--executable",
            script.to_str().unwrap(),
            "--port",
            &port,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scpanel");
    let pid = child.id() as i32;
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut status = 0;
        // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, with valid pointers.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let _ = tx.send((r, status, usage.ru_maxrss));
    });
    let Ok((r, status, peak_kib)) = rx.recv_timeout(std::time::Duration::from_secs(60)) else {
        // SAFETY: kill(2) on our own child, not yet reaped (wait4 still waits).
        unsafe { libc::kill(pid, libc::SIGKILL) };
        panic!("scpanel boot was still running after 60 s");
    };
    assert_eq!(r, pid, "wait4");
    let err = reader.join().unwrap();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 1,
        "a clean failure, not an abort: status {status:#x}, {}",
        &err[..err.len().min(300)]
    );
    assert!(
        err.contains("the server exited during boot (exit code 3)"),
        "{}",
        &err[..err.len().min(300)]
    );
    // Its last lines, each kept to 8 KiB, not 50 MB.
    assert!(err.len() < 64 * 1024, "{} bytes of stderr", err.len());
    assert!(
        peak_kib < 48 * 1024,
        "scpanel boot peaked at {} MiB reading one 50 MB line",
        peak_kib / 1024
    );
    std::fs::remove_dir_all(&dir).ok();
}
