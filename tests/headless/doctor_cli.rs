//! `scpanel doctor` (issue 25, point 5) on a server someone else started: a bare scsynth the
//! test runs as a musician would, with the mistakes made by another client: the core library
//! with SynthDef files the test writes (graphs known), or sclang with `.add` (no files: the
//! buses are guessed from control names, and the findings say so).

use crate::common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::defs::{reverb, source};
use scpanel_core::{AddAction, ConnectOptions, Server, client_address};
use tokio::io::AsyncBufReadExt;

/// A scsynth started by hand, its outputs connected as sclang's environment does.
struct Bare {
    child: tokio::process::Child,
    port: u16,
}

impl Bare {
    async fn start() -> Bare {
        let port = common::test_port();
        let exe = scpanel_core::machine::find_executable(None).expect("scsynth");
        let mut child = tokio::process::Command::new(exe)
            .args(["-u", &port.to_string(), "-i", "2", "-o", "2", "-l", "4"])
            .args(["-H", &format!("doctor-cli-{port}")])
            .env("SC_JACK_DEFAULT_OUTPUTS", "system")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("scsynth");
        let out = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(out).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(l)) = lines.next_line().await {
                if l.contains("server ready") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "scsynth did not come up");
        // Its later output goes nowhere: keep reading so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Bare { child, port }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn doctor(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .arg("doctor")
        .args(args)
        .output()
        .expect("run scpanel doctor");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code(),
        json,
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

fn with_kind<'a>(json: &'a serde_json::Value, kind: &str) -> Option<&'a serde_json::Value> {
    json["findings"]
        .as_array()?
        .iter()
        .find(|f| f["kind"] == kind)
}

async fn second_client(port: u16, dir: &Path) -> Server {
    let other = Server::new();
    other
        .connect(ConnectOptions::new(client_address("127.0.0.1", port)))
        .await
        .expect("second client");
    other.synthdefs().load_dir(dir).await.expect("load");
    other
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_server_exits_0_and_a_reverb_before_its_source_exits_1() {
    let bare = Bare::start().await;
    let dir = common::defs::folder("doctor-cli", &[source("cli-src"), reverb("cli-verb")]);
    let other = second_client(bare.port, &dir).await;
    let group = other.default_group();
    let src = other
        .add_synth("cli-src", group, AddAction::AddToHead, &[("out", 0.0)])
        .await
        .expect("src");
    other.sync().await.expect("sync");
    let dir_text = dir.display().to_string();
    let (code, json, text) = doctor(&["--addr", &bare.addr(), "--synthdefs", &dir_text, "--json"]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(json["ok"], true, "{text}");

    // Now the classic: the source to bus 16 (`out` is fixed when a synth starts: a new
    // one), the reverb made after it at the head, so it runs first.
    other.nodes().free(src).await.expect("free");
    let src = other
        .add_synth("cli-src", group, AddAction::AddToHead, &[("out", 16.0)])
        .await
        .expect("src");
    let verb = other
        .add_synth("cli-verb", group, AddAction::AddToHead, &[("in", 16.0)])
        .await
        .expect("verb");
    other.sync().await.expect("sync");
    let (code, json, text) = doctor(&["--addr", &bare.addr(), "--synthdefs", &dir_text, "--json"]);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(json["ok"], false);
    let f = with_kind(&json, "order").unwrap_or_else(|| panic!("no order finding: {text}"));
    assert_eq!(f["severity"], "blocks-sound");
    assert_eq!(f["nodes"], serde_json::json!([verb, src]));
    assert_eq!(f["buses"], serde_json::json!([16]));
    assert_eq!(f["guessed"], false, "the graphs came from --synthdefs");
    assert!(
        f["fix"].as_str().is_some_and(|s| s.contains("after")),
        "{f}"
    );

    // The same as text, for a person.
    let (code, _, text) = doctor(&["--addr", &bare.addr(), "--synthdefs", &dir_text]);
    assert_eq!(code, Some(1));
    assert!(text.contains("NO SOUND [order]"), "{text}");

    other.disconnect().await.expect("leave");
    bare.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sclangs_added_defs_are_judged_from_their_control_names() {
    let bare = Bare::start().await;
    let mut lang = common::sclang::Sclang::join(bare.port).await;
    // A beginner's session: the defs sent with .add (no files anywhere), the source to a
    // private bus, then the reverb made after it, which puts it at the head: it runs first.
    let r = lang
        .eval(
            "SynthDef(\\langsrc, { |out = 0| Out.ar(out, SinOsc.ar(440, 0, 0.1) ! 2) }).add; \
             SynthDef(\\langverb, { |in = 16, out = 0| Out.ar(out, In.ar(in, 2)) }).add; \
             s.sync; \
             ~src = Synth(\\langsrc, [\\out, 16], s); ~verb = Synth(\\langverb, [\\in, 16], s); \
             s.sync; [~verb.nodeID, ~src.nodeID]",
        )
        .await;
    let ids: Vec<i64> = r
        .trim_matches(|c| c == '[' || c == ']' || c == ' ')
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    assert_eq!(ids.len(), 2, "sclang said {r:?}");
    let (code, json, text) = doctor(&["--addr", &bare.addr(), "--json"]);
    let tree = Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(["tree", "--controls", "--addr", &bare.addr()])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert_eq!(code, Some(1), "{text}\n{tree}");
    let f = with_kind(&json, "order").unwrap_or_else(|| panic!("no order finding: {text}"));
    assert_eq!(f["nodes"], serde_json::json!(ids));
    assert_eq!(f["guessed"], true, "no graph of an .add-ed def: {f}");

    // Out.ar(2) on a 2-output server, from sclang.
    lang.eval(
        "~src.free; ~verb.free; ~wrong = Synth(\\langsrc, [\\out, 2], s); s.sync; ~wrong.nodeID",
    )
    .await;
    let (code, json, text) = doctor(&["--addr", &bare.addr(), "--json"]);
    assert_eq!(code, Some(1), "{text}");
    let f = with_kind(&json, "writes-input-bus")
        .unwrap_or_else(|| panic!("no writes-input-bus finding: {text}"));
    assert_eq!(f["guessed"], true);
    // Guessed from `out`: the width is not known, so the first bus is named.
    assert_eq!(f["buses"], serde_json::json!([2]));

    // A private bus nothing reads, and a group paused before the doctor came.
    lang.eval(
        "~wrong.free; ~lost = Synth(\\langsrc, [\\out, 40], s); \
         ~g = Group(s); ~held = Synth(\\langsrc, [\\out, 0], ~g); s.sync; ~g.run(false); \
         s.sync; \\ok",
    )
    .await;
    let (code, json, text) = doctor(&["--addr", &bare.addr(), "--json"]);
    assert_eq!(code, Some(1), "{text}");
    let f = with_kind(&json, "bus-unread").unwrap_or_else(|| panic!("no bus-unread: {text}"));
    assert_eq!(f["guessed"], true);
    assert_eq!(f["buses"], serde_json::json!([40]));
    let f = with_kind(&json, "paused").unwrap_or_else(|| panic!("no paused finding: {text}"));
    assert_eq!(
        f["fix"],
        "Resume group ".to_string() + &f["nodes"][0].to_string() + "."
    );
    drop(lang);
    bare.stop().await;
}

#[test]
fn a_server_that_does_not_answer_exits_2() {
    let port = common::test_port();
    let (code, _, text) = doctor(&["--addr", &format!("127.0.0.1:{port}"), "--json"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("could not ask"), "{text}");
}
