//! The sound doctor (issue 25) on a real scsynth: each classic mistake set up the way a
//! beginner makes it, by a second client, with SynthDef files the test writes. The doctor
//! runs on the server's owner (scpanel booted it); where a fix exists it is applied, and then
//! the output meters must show signal.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::defs::{reverb, source};
use scpanel_core::doctor::{Examination, Fix, Kind, Report, Severity};
use scpanel_core::synthdef::encode_file;
use scpanel_core::{AddAction, Options, Server};

struct Scene {
    owner: Server,
    other: Server,
    dir: PathBuf,
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server scpanel booted, meters on, and a second client that loaded the test's SynthDef
/// files (so the doctor learns their graphs only from the folder it is given).
async fn scene(options: Options) -> Scene {
    let owner = common::boot(options).await;
    owner.mixer().start_meters().await.expect("meters");
    let dir = std::env::temp_dir().join(format!(
        "scpanel-doctor-{}-{}",
        std::process::id(),
        owner.options().port
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for def in [source("doctor-src"), reverb("doctor-verb")] {
        std::fs::write(
            dir.join(format!("{}.scsyndef", def.name)),
            encode_file(&[def]),
        )
        .expect("write def");
    }
    let other = Server::new();
    other
        .connect(common::connect_options(&owner))
        .await
        .expect("second client");
    other.synthdefs().load_dir(&dir).await.expect("load defs");
    Scene { owner, other, dir }
}

impl Scene {
    fn exam(&self) -> Examination {
        Examination {
            synthdef_dirs: vec![self.dir.clone()],
            listen: true,
            ..Examination::default()
        }
    }

    async fn examine(&self) -> Report {
        // Notifications of what the other client did reach the owner's mirror by its sync.
        self.other.sync().await.expect("sync");
        self.owner.sync().await.expect("sync");
        self.owner
            .doctor()
            .examine(&self.exam())
            .await
            .expect("examine")
    }

    async fn play(&self, def: &str, controls: &[(&str, f32)]) -> i32 {
        let group = self.other.default_group();
        self.other
            .add_synth(def, group, AddAction::AddToHead, controls)
            .await
            .expect("synth")
    }

    /// Applies the fix of the one finding of `kind`, then examines again.
    async fn fix(&self, report: &Report, kind: Kind) -> Report {
        let fix = finding(report, kind).fix.clone().expect("a fix");
        self.owner.doctor().apply(&fix).await.expect("fix");
        self.examine().await
    }
}

/// Waits until the server's output (its log) has a line `pick` accepts.
async fn logged(server: &Server, pick: impl Fn(&str) -> bool) {
    let mut changes = server.watch_changes();
    let saw = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let found = server.with_log(|l| l.lines().any(|x| pick(&x.text)));
            if found || changes.changed().await.is_err() {
                return found;
            }
        }
    })
    .await;
    assert_eq!(
        saw,
        Ok(true),
        "no such line in the server's output: {:#?}",
        server.with_log(|l| l.tail(30))
    );
}

fn finding(r: &Report, kind: Kind) -> &scpanel_core::doctor::Finding {
    r.findings
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("no {} finding in {:#?}", kind.as_str(), r.findings))
}

fn kinds(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.kind.as_str()).collect()
}

/// Signal on the outputs, after a fix: the meters must say so.
fn assert_heard(r: &Report) {
    assert!(r.ok(), "still blocked: {:#?}", r.findings);
    assert!(
        !kinds(r).contains(&"silent-outputs"),
        "outputs silent: {:#?}",
        r.findings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_server_is_ok() {
    let s = scene(common::options()).await;
    s.play("doctor-src", &[("out", 0.0)]).await;
    let r = s.examine().await;
    assert!(r.ok(), "{:#?}", r.findings);
    assert_heard(&r);
    assert!(
        r.findings
            .iter()
            .all(|f| f.severity != Severity::BlocksSound),
        "{:#?}",
        r.findings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverb_before_its_source_is_found_and_moved_after_it() {
    let s = scene(common::options()).await;
    // The source first, then the reverb at the head of the group: it runs first.
    let src = s.play("doctor-src", &[("out", 16.0)]).await;
    let verb = s.play("doctor-verb", &[("in", 16.0), ("out", 0.0)]).await;
    let r = s.examine().await;
    assert!(!r.ok());
    let f = finding(&r, Kind::Order);
    assert_eq!(f.severity, Severity::BlocksSound);
    assert_eq!(f.nodes, [verb, src]);
    assert_eq!(f.buses, [16]);
    assert!(!f.guessed, "the graphs came from the folder");
    assert!(
        r.flow
            .feeds
            .iter()
            .any(|x| x.writer == src && x.reader == verb && x.wrong_order),
        "the flow's link is the wrong way round"
    );
    assert!(kinds(&r).contains(&"silent-outputs"), "{:?}", kinds(&r));
    let after = s.fix(&r, Kind::Order).await;
    assert!(!kinds(&after).contains(&"order"), "{:?}", kinds(&after));
    assert_heard(&after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_2_on_a_two_output_server_writes_an_input_bus() {
    let s = scene(common::options()).await;
    let id = s.play("doctor-src", &[("out", 2.0)]).await;
    let r = s.examine().await;
    let f = finding(&r, Kind::WritesInputBus);
    assert_eq!(f.severity, Severity::BlocksSound);
    assert_eq!(
        (f.nodes.as_slice(), f.buses.as_slice()),
        ([id].as_slice(), [2, 3].as_slice())
    );
    assert!(!r.ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_bus_nothing_reads_is_named() {
    let s = scene(common::options()).await;
    let id = s.play("doctor-src", &[("out", 20.0)]).await;
    let r = s.examine().await;
    let f = finding(&r, Kind::BusUnread);
    assert_eq!(f.nodes, [id]);
    assert_eq!(f.buses, [20, 21]);
    assert!(!r.ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_at_amp_0_is_fixed_by_its_amp() {
    let s = scene(common::options()).await;
    let id = s.play("default", &[("amp", 0.0)]).await;
    let r = s.examine().await;
    let f = finding(&r, Kind::ZeroAmp);
    assert_eq!(f.nodes, [id]);
    assert_eq!(f.severity, Severity::BlocksSound);
    let after = s.fix(&r, Kind::ZeroAmp).await;
    assert_heard(&after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_group_is_found_by_the_owner_and_by_a_newcomer() {
    let s = scene(common::options()).await;
    let group = s
        .other
        .add_group(s.other.default_group(), AddAction::AddToHead, false)
        .await
        .expect("group");
    s.other
        .add_synth("doctor-src", group, AddAction::AddToHead, &[("out", 0.0)])
        .await
        .expect("synth");
    s.other.nodes().pause(group).await.expect("pause");
    let r = s.examine().await;
    let f = finding(&r, Kind::Paused);
    assert_eq!(f.nodes[0], group);
    assert_eq!(f.fix, Some(Fix::Resume { node: group }));

    // A client that comes after the pause has no notification of it: the doctor probes.
    let newcomer = Server::new();
    newcomer
        .connect(common::connect_options(&s.owner))
        .await
        .expect("newcomer");
    let seen = newcomer
        .doctor()
        .examine(&Examination {
            synthdef_dirs: vec![s.dir.clone()],
            listen: false,
            ..Examination::default()
        })
        .await
        .expect("examine");
    assert_eq!(finding(&seen, Kind::Paused).nodes[0], group, "{seen:#?}");
    assert!(
        !seen.unchecked.iter().any(|u| u.contains("paused")),
        "{:?}",
        seen.unchecked
    );
    newcomer.disconnect().await.expect("leave");

    let after = s.fix(&r, Kind::Paused).await;
    assert_heard(&after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synthdef_the_server_lost_is_named_and_loaded() {
    let s = scene(common::options()).await;
    // A def whose file is in the folder but which the server doesn't have (as after a
    // reboot); another client asks for a synth of it anyway.
    let pad = source("doctor-pad");
    let file = s.dir.join("doctor-pad.scsyndef");
    std::fs::write(&file, encode_file(&[pad])).expect("write def");
    let group = s.other.default_group();
    let failed = s
        .other
        .send_checked(rosc::OscPacket::Message(scpanel_core::osc::msg(
            "/s_new",
            [
                rosc::OscType::String("doctor-pad".into()),
                rosc::OscType::Int(-1),
                rosc::OscType::Int(0),
                rosc::OscType::Int(group),
            ],
        )))
        .await;
    assert!(failed.is_err(), "the server had doctor-pad: {failed:?}");
    // scsynth prints the failure; its line reaches the owner's log through the pipe.
    logged(&s.owner, |t| t.contains("SynthDef doctor-pad not found")).await;
    let r = s.examine().await;
    let f = finding(&r, Kind::DefMissing);
    assert!(f.message.contains("\"doctor-pad\""), "{}", f.message);
    assert_eq!(
        f.fix,
        Some(Fix::LoadDef {
            name: "doctor-pad".into(),
            file: Some(file)
        })
    );
    assert!(!r.ok());
    let after = s.fix(&r, Kind::DefMissing).await;
    assert!(
        !kinds(&after).contains(&"def-missing"),
        "{:?}",
        kinds(&after)
    );
    // Now the other client's note plays.
    s.play("doctor-pad", &[("out", 0.0)]).await;
    assert_heard(&s.examine().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_not_connected_are_found_and_connected() {
    let s = scene(common::options()).await;
    s.play("doctor-src", &[("out", 0.0)]).await;
    // The name JACK gave this server (other tests' servers run beside it).
    let client = s
        .owner
        .with_log(|l| {
            scpanel_core::audio::jack::client_name_in_output(l.lines().map(|x| x.text.as_str()))
        })
        .expect("JACK's client name in the output");
    // As JACK started without SC_JACK_DEFAULT_OUTPUTS: nothing connected.
    let target = scpanel_core::audio::jack::JackTarget::default();
    for (port, to) in target.connections(&client).await.expect("jack_lsp") {
        for peer in to {
            let status = std::process::Command::new("jack_disconnect")
                .args([&port, &peer])
                .status()
                .expect("jack_disconnect");
            assert!(status.success());
        }
    }
    let r = s.examine().await;
    let f = finding(&r, Kind::NotConnected);
    assert_eq!(f.severity, Severity::BlocksSound);
    let after = s.fix(&r, Kind::NotConnected).await;
    assert!(
        !kinds(&after).contains(&"not-connected"),
        "{:?}",
        kinds(&after)
    );
    assert_heard(&after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_that_jack_ignores_is_a_warning() {
    let s = scene(Options {
        sample_rate: 44_100,
        ..common::options()
    })
    .await;
    s.play("doctor-src", &[("out", 0.0)]).await;
    let r = s.examine().await;
    let f = finding(&r, Kind::RateMismatch);
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("44100"), "{}", f.message);
    assert!(r.ok(), "a warning doesn't block: {:#?}", r.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_muted_master_is_unmuted() {
    let s = scene(common::options()).await;
    s.play("doctor-src", &[("out", 0.0)]).await;
    s.owner.mixer().set_mute(true).await.expect("mute");
    let r = s.examine().await;
    assert_eq!(finding(&r, Kind::Muted).severity, Severity::BlocksSound);
    let after = s.fix(&r, Kind::Muted).await;
    assert_heard(&after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_held_by_an_old_server_is_freed() {
    let options = common::options();
    // An old server, started and forgotten (here: by this test, which stops it by pid if
    // the fix does not).
    let exe = scpanel_core::machine::find_executable(None).expect("scsynth");
    let mut old = tokio::process::Command::new(&exe)
        .args(["-u", &options.port.to_string(), "-i", "0", "-o", "2"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("old scsynth");
    let old_pid = old.id().expect("pid");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
        old.stdout.take().expect("out"),
    ));
    let up = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("server ready") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(up, Ok(true), "the old server did not come up");

    let server = Server::new();
    let err = server
        .boot(options.clone())
        .await
        .expect_err("the port is taken");
    let r = server
        .doctor()
        .examine(&Examination {
            boot_failure: Some(err),
            ..Examination::default()
        })
        .await
        .expect("examine");
    let f = finding(&r, Kind::PortInUse);
    assert_eq!(f.severity, Severity::BlocksSound);
    let Some(Fix::FreeOldServer { holder }) = &f.fix else {
        panic!("no fix: {f:#?}");
    };
    assert_eq!(holder.pid, old_pid);
    let fix = f.fix.clone().expect("fix");
    server.doctor().apply(&fix).await.expect("fix");
    tokio::time::timeout(Duration::from_secs(10), old.wait())
        .await
        .expect("the old server ended")
        .expect("its status");
    server.boot(options).await.expect("boot once freed");
    server.quit(false).await.expect("quit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_jack_is_named_with_starting_jack_as_its_fix() {
    // A JACK server name nothing runs: scsynth finds no audio device.
    let mut options = common::options();
    options.env.push((
        "JACK_DEFAULT_SERVER".into(),
        format!("scpanel-doctor-nojack-{}", std::process::id()),
    ));
    options.connect_jack_ports = false;
    let server = Server::new();
    let err = server.boot(options).await.expect_err("no JACK, no boot");
    let r = server
        .doctor()
        .examine(&Examination {
            boot_failure: Some(err),
            ..Examination::default()
        })
        .await
        .expect("examine");
    let f = finding(&r, Kind::NoJack);
    assert_eq!(f.severity, Severity::BlocksSound);
    assert_eq!(f.fix, Some(Fix::StartJack));
    // The app starts the JACK it owns; the library says so rather than start one.
    assert!(server.doctor().apply(&Fix::StartJack).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_that_come_late_are_named_with_how_late() {
    let s = scene(common::options()).await;
    s.play("doctor-src", &[("out", 0.0)]).await;
    // A bundle stamped half a second ago, as a client whose latency is too low sends them.
    let past = std::time::SystemTime::now() - Duration::from_millis(500);
    let time = rosc::OscTime::try_from(past).expect("time");
    let bundle = rosc::OscPacket::Bundle(rosc::OscBundle {
        timetag: time,
        content: vec![rosc::OscPacket::Message(scpanel_core::osc::msg(
            "/n_set",
            [rosc::OscType::Int(0)],
        ))],
    });
    s.other.send(bundle).await.expect("send");
    s.other.sync().await.expect("sync");
    logged(&s.owner, |t| t.trim_start().starts_with("late ")).await;
    let r = s.examine().await;
    let f = finding(&r, Kind::Late);
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("ms after its time"), "{}", f.message);
    assert!(r.ok(), "late bundles are a warning: {:#?}", r.findings);
    // The show's own findings, without asking the server anything: the window's badge.
    let show = s.owner.doctor().during_show(None);
    assert!(show.iter().any(|f| f.kind == Kind::Late), "{show:#?}");
}
