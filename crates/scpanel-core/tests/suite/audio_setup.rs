//! Audio setup and stale servers, with real jackd and scsynth processes.

use crate::common;

use std::time::Duration;

use common::{boot, options};
use scpanel_core::audio::jack::{
    JackServer, JackSettings, JackStatus, JackTarget, client_name_for_port,
};
use scpanel_core::machine as ports;
use scpanel_core::{ConnectOptions, Server, ServerError, client_address};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jack_is_seen_and_scsynth_outputs_reach_the_speakers() {
    let jack = JackTarget::default();
    assert!(
        matches!(jack.status().await, JackStatus::Running { playback_ports } if playback_ports >= 2)
    );
    let server = boot(options()).await;
    let ports = jack.client_ports("SuperCollider").await.unwrap();
    assert!(
        ports.iter().any(|p| p == "SuperCollider:out_1"),
        "{ports:?}"
    );
    let pairs = jack
        .connect_outputs_to_system("SuperCollider")
        .await
        .unwrap();
    assert_eq!(
        pairs[0],
        ("SuperCollider:out_1".into(), "system:playback_1".into())
    );
    let connections = jack.connections("SuperCollider").await.unwrap();
    let out1 = connections
        .iter()
        .find(|(p, _)| p == "SuperCollider:out_1")
        .unwrap();
    assert_eq!(out1.1, vec!["system:playback_1".to_string()]);
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jack_server_of_our_own_starts_and_stops() {
    let target = JackTarget {
        server_name: Some(format!("scpanel-own-{}", std::process::id())),
    };
    assert_eq!(target.status().await, JackStatus::NotRunning);
    let jack = JackServer::start(target.clone(), &JackSettings::dummy())
        .await
        .unwrap();
    assert!(matches!(target.status().await, JackStatus::Running { .. }));
    // scsynth boots on it.
    let mut o = options();
    o.env = vec![(
        "JACK_DEFAULT_SERVER".into(),
        target.server_name.clone().unwrap(),
    )];
    let server = boot(o).await;
    assert!(server.status().await.is_ok());
    server.quit(false).await.unwrap();
    let pid = jack.pid();
    jack.stop().await;
    assert_eq!(target.status().await, JackStatus::NotRunning);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_server_on_the_port_is_named_and_can_be_stopped_or_joined() {
    // JACK client names of their own: the first test here connects `SuperCollider`'s ports,
    // and a server of this one registering under that name beside it made it flaky.
    let mut o = options();
    o.device = client_name_for_port(o.port);
    let stale = boot(o.clone()).await;
    let port = stale.options().port;
    let b = Server::new();
    let holder = match b.boot(o.clone()).await {
        Err(ServerError::PortInUse {
            holder: Some(h), ..
        }) => h,
        other => panic!("expected PortInUse with its holder, got {other:?}"),
    };
    assert_eq!(Some(holder.pid), stale.pid());
    assert!(
        holder.command.contains(&port.to_string()),
        "{}",
        holder.command
    );
    // Offer 1: connect to it.
    b.connect(ConnectOptions::new(client_address("127.0.0.1", port)))
        .await
        .unwrap();
    b.disconnect().await.unwrap();
    // Offer 2: stop that one process (by pid), then boot.
    assert!(ports::stop_process(&holder, Duration::from_secs(2)).await);
    b.boot(o).await.unwrap();
    assert_ne!(b.pid(), Some(holder.pid));
    b.quit(false).await.unwrap();
}

/// A JACK server of our own on the dummy driver runs at the rate and period chosen, as
/// JACK's own tools read them back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jack_starts_at_the_chosen_rate_and_period() {
    let target = JackTarget {
        server_name: Some(format!("scpanel-rate-{}", std::process::id())),
    };
    assert_eq!(target.status().await, JackStatus::NotRunning);
    for (rate, period) in [(44_100, 128), (96_000, 512)] {
        let settings = JackSettings {
            rate,
            period,
            ..JackSettings::dummy()
        };
        let jack = JackServer::start(target.clone(), &settings).await.unwrap();
        assert_eq!(target.sample_rate().await.unwrap(), rate);
        assert_eq!(target.period().await.unwrap(), period);
        let pid = jack.pid();
        jack.stop().await;
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }
    assert_eq!(target.status().await, JackStatus::NotRunning);
}

/// The server's log explains a `-S` JACK does not run at, in plain words, and says nothing
/// when the rates agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_rate_jack_does_not_run_is_explained_in_the_log() {
    let jack_rate = JackTarget::default().sample_rate().await.unwrap();
    let asked = if jack_rate == 44_100 { 48_000 } else { 44_100 };
    let explained = |server: &Server| {
        server.with_log(|l| {
            l.lines()
                .filter(|l| l.text.starts_with("sample rate: "))
                .map(|l| l.text.clone())
                .collect::<Vec<_>>()
        })
    };
    // A JACK client name of its own: another test here connects `SuperCollider`'s ports.
    let mut o = options();
    o.sample_rate = asked;
    o.device = client_name_for_port(o.port);
    let server = boot(o).await;
    assert_eq!(
        explained(&server),
        vec![format!(
            "sample rate: You asked for {asked} Hz; JACK runs at {jack_rate} Hz and scsynth \
             follows it. Set the sample rate to {jack_rate} (or 0 to follow JACK), or start \
             JACK at {asked}."
        )]
    );
    // The server does run at JACK's rate.
    let status = server.status().await.unwrap();
    assert_eq!(status.nominal_sample_rate.round() as u32, jack_rate);
    server.quit(false).await.unwrap();

    let mut o = options();
    o.sample_rate = jack_rate;
    o.device = client_name_for_port(o.port);
    let server = boot(o).await;
    assert_eq!(explained(&server), Vec::<String>::new());
    server.quit(false).await.unwrap();
}

/// Where Debian's `pipewire-jack` puts PipeWire's libjack (not the loader's default there).
const PIPEWIRE_JACK_LIBS: &str = "/usr/lib/x86_64-linux-gnu/pipewire-0.3/jack";

/// A real PipeWire daemon in a runtime directory of its own is found as PipeWire's JACK, and
/// scsynth boots on it through PipeWire's libjack, at PipeWire's rate (`scripts/with-jack.sh`
/// installs `pipewire` and `pipewire-jack`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_pipewire_is_found_and_scsynth_boots_on_its_jack() {
    use scpanel_core::audio::pipewire;
    let runtime = std::env::temp_dir().join(format!("scpanel-pw-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&runtime);
    std::fs::create_dir_all(&runtime).unwrap();
    assert_eq!(pipewire::detect_in(Some(&runtime)).await.daemon, None);
    let mut daemon = tokio::process::Command::new("pipewire")
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("pipewire is installed (scripts/with-jack.sh installs it)");
    let env = vec![
        ("XDG_RUNTIME_DIR".to_string(), runtime.display().to_string()),
        (
            "LD_LIBRARY_PATH".to_string(),
            PIPEWIRE_JACK_LIBS.to_string(),
        ),
    ];
    // jack_wait, through PipeWire's libjack, returns once the daemon answers.
    let waited = tokio::process::Command::new("jack_wait")
        .args(["-w", "-t", "10"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("JACK_NO_START_SERVER", "1")
        .env_remove("JACK_DEFAULT_SERVER")
        .output()
        .await
        .unwrap();
    assert!(waited.status.success(), "{waited:?}");
    let found = pipewire::detect_in(Some(&runtime)).await;
    assert_eq!(found.daemon, Some(runtime.join("pipewire-0")));
    // PipeWire's libjack is told from JACK's by what it loads, wherever it lies (jackd2, which
    // these tests run, keeps JACK's own as the system's).
    let copy = runtime.join("libjack.so.0");
    std::fs::copy(format!("{PIPEWIRE_JACK_LIBS}/libjack.so.0"), &copy).unwrap();
    assert!(pipewire::loads_libpipewire(&copy));
    let system = std::fs::canonicalize("/usr/lib/x86_64-linux-gnu/libjack.so.0").unwrap();
    assert!(
        !pipewire::loads_libpipewire(&system),
        "{}",
        system.display()
    );
    assert!(found.runs_without_its_jack(), "{found:?}");

    let rate = tokio::process::Command::new("jack_samplerate")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("JACK_NO_START_SERVER", "1")
        .env_remove("JACK_DEFAULT_SERVER")
        .output()
        .await
        .unwrap();
    let rate: f64 = String::from_utf8_lossy(&rate.stdout)
        .trim()
        .parse()
        .unwrap();
    let jack_env = env.clone();
    let mut o = options();
    o.env = env;
    // PipeWire has no server names: the test JACK's name must not reach its libjack.
    o.env.push(("JACK_DEFAULT_SERVER".into(), "default".into()));
    let server = boot(o).await;
    let status = server.status().await.unwrap();
    assert_eq!(status.nominal_sample_rate, rate);
    // Its ports are in PipeWire's graph, as PipeWire's libjack lists them.
    let ports = tokio::process::Command::new("jack_lsp")
        .envs(jack_env.iter().map(|(k, v)| (k, v)))
        .env("JACK_NO_START_SERVER", "1")
        .env_remove("JACK_DEFAULT_SERVER")
        .output()
        .await
        .unwrap();
    let ports = String::from_utf8_lossy(&ports.stdout);
    assert!(ports.lines().any(|p| p == "SuperCollider:out_1"), "{ports}");
    server.quit(false).await.unwrap();

    // Killed by its pid (the child handle holds it).
    daemon.start_kill().unwrap();
    daemon.wait().await.unwrap();
    std::fs::remove_dir_all(&runtime).unwrap();
}

/// The ALSA path, here where the kernel has no sound card: jackd is started on the device
/// asked for, fails, and the error names the device and what to check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sound_card_that_will_not_open_is_a_clear_error() {
    use scpanel_core::audio::jack::JackDevice;
    let target = JackTarget {
        server_name: Some(format!("scpanel-alsa-{}", std::process::id())),
    };
    // A card number ALSA never gives (it counts to 31).
    let settings = JackSettings {
        device: JackDevice::Alsa {
            hw: Some("hw:99".into()),
            playback: true,
            capture: true,
        },
        rate: 44_100,
        period: 128,
        periods: 3,
    };
    let err = match JackServer::start(target.clone(), &settings).await {
        Ok(jack) => {
            jack.stop().await;
            panic!("jackd started on a card that is not there");
        }
        Err(e) => e.to_string(),
    };
    assert!(err.contains("hw:99 could not be opened"), "{err}");
    assert!(err.contains("Failed to open server"), "{err}");
    assert_eq!(target.status().await, JackStatus::NotRunning);
}
