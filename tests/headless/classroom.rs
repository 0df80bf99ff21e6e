//! A class on one server: the classroom settings (UDP on every interface, 32 logins, no
//! password), a second client through the CLI and a third through supriya, each playing in
//! its own default group, all shown in the owner's live tree.

use crate::common;

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

/// supriya in a virtual environment under target/ (made once; `pip install supriya`).
fn supriya_python() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("supriya-venv");
    let python = venv.join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import supriya"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let made = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv (apt install python3-venv)");
        assert!(made.success());
        let pip = std::process::Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "supriya"])
            .status()
            .expect("pip");
        assert!(pip.success(), "pip install supriya failed");
    }
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joins_the_classroom_server() {
    let python = supriya_python();
    let mut o = common::options();
    let preset = scpanel_core::options::PRESETS
        .iter()
        .find(|p| p.name == "Classroom server")
        .expect("the Classroom preset");
    (preset.apply)(&mut o);
    assert_eq!(o.bind_address, "0.0.0.0");
    assert!(o.password.is_empty(), "scsynth checks no password over UDP");
    o.input_channels = 2;
    o.output_channels = 2;
    let owner = common::boot(o).await;
    let port = owner.options().port;
    assert_eq!(owner.max_logins(), Some(32));

    // The second client: scpanel's CLI, logged in as client 1, plays in group 2.
    let cli_synth = (1 << 26) + 1000;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args([
            "send",
            "--login",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "/s_new",
            "scpanel-sine",
            &cli_synth.to_string(),
            "0",
            "2",
            "amp",
            "0",
        ])
        .output()
        .expect("scpanel send");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The third: supriya, which stays logged in while the owner looks.
    let mut child = tokio::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/supriya_client.py"
        ))
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("supriya joined in time")
        .expect("read")
        .expect("a line");
    let words: Vec<i32> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|w| w.parse().ok())
        .collect();
    let [client, synth] = words[..] else {
        panic!("supriya said {line:?}")
    };

    let mut changes = owner.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (a, b) = owner.with_tree(|t| {
            (
                t.get(cli_synth)
                    .map(|n| (n.parent, n.def_name().map(str::to_string))),
                t.get(synth)
                    .map(|n| (n.parent, n.def_name().map(str::to_string))),
            )
        });
        if a == Some((2, Some("scpanel-sine".into())))
            && b == Some((client + 1, Some("supriya:default".into())))
        {
            break;
        }
        assert!(
            tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_ok(),
            "the owner's tree: CLI synth {a:?}, supriya synth {b:?}"
        );
    }
    drop(child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    owner.quit(false).await.expect("quit");
}
