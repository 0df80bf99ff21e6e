//! The Servers wall with many servers (run: `scripts/bench.sh --bench wall`; figures below,
//! "Many servers").
//!
//! 1. Frame time of the wall with 32 and then 64 tiles (target: ≤ 4 ms a frame): the whole app
//!    in an egui_kittest harness at 1280×800 (no GPU: building the UI and tessellating it,
//!    which is what the UI thread spends), with 4 real scsynth booted by the app
//!    (`boot_another`, `SCPANEL_BENCH_WALL_REAL` to change) and the rest scripted `/status`
//!    responders (`support/responders.rs`) watched with `add_server`, every tile online.
//! 2. Death → offline: how long a watcher (`Server::connect`, no login, rejoin on) takes to
//!    see a real scsynth killed -9 as Offline; the same for a scripted responder that stops
//!    answering with its socket left open (no ICMP refusal: the poll interval plus the
//!    health monitor's 1 s `offline_after` bound it), and for a server the handle booted
//!    itself, killed -9.
//!
//! The idle CPU of the real window with 32 servers is `scripts/bench-wall-idle.sh` (with
//! `benches/status_responders.py`, the same responders as a separate process).
//!
//! # Many servers: figures (2 cores, dummy JACK at 48 kHz/256, release build, 2026-12-01)
//!
//! `scripts/bench.sh --bench wall`:
//!
//! | wall, every tile online (4 real scsynth) | median  | p90     | max     |
//! |------------------------------------------|---------|---------|---------|
//! | 32 tiles, 300 frames                     | 1.03 ms | 1.12–1.15 ms | 1.83–2.26 ms |
//! | 64 tiles, 300 frames                     | 1.57–1.58 ms | 1.64 ms | 1.85–1.86 ms |
//!
//! (Two runs.) Target ≤ 4 ms a frame: met with room (building and tessellating; no GPU in
//! the harness). The wall's ScrollArea lays out every tile, seen or not.
//!
//! | death → Offline, 10 each                    | median    | p90       | max       |
//! |---------------------------------------------|-----------|-----------|-----------|
//! | watched scsynth (no login) killed -9        | 290 ms    | 461 ms    | 461 ms    |
//! | owned scsynth (booted by the handle) -9     | 7.9 ms    | 8.2 ms    | 8.2 ms    |
//! | watched responder silent, socket still open | 791 ms    | 962 ms    | 962 ms    |
//!
//! Each death of a watched server falls at another point of the 500 ms poll interval (run
//! `i` dies 100 ms + i × 55 ms after the join). A killed scsynth's port answers the watcher's next
//! `/status` with an ICMP refusal, so it is seen at the next poll: between 0 and 500 ms. The
//! owner sees its child exit at once. A server that hangs is declared offline 1 s
//! (`offline_after`) after it was last heard, once half of that has gone in unanswered
//! probes: 0.5–1.0 s after it stopped. (Counted from the first unanswered poll, as the
//! health monitor did before, it was 1,293 ms median and 1,464 ms max. With no phase,
//! every death right after the join, the figures were 101 ms, 8 ms and 1,002 ms.)
//!
//! `scripts/with-jack.sh scripts/bench-wall-idle.sh` (Xvfb 1280×800, Mesa llvmpipe, 20 s):
//!
//! | release window on the wall, pointer parked   | CPU of one core | llvmpipe | UI    | io    |
//! |----------------------------------------------|-----------------|----------|-------|-------|
//! | 32 servers (4 booted, 28 scripted)           | 2.25 %          | 1.10 %   | 0.30 % | 0.80 % |
//!
//! Target ≤ 3 %: met. The wall redraws for status replies every 2 s (`WALL_REFRESH`), and
//! no server's replies ask for frames of their own while it is shown; a server going away
//! or coming back still redraws at once. Before, every reply asked for a frame and the
//! shared `FramePacer` ran a steady 2 frames a second: 6.4–6.6 % (llvmpipe 4.35 %, UI 1.35 %,
//! io 0.90 %), each frame ~20 ms of software rendering and ~7 ms on the UI thread.
//!
//! The flight recorder's share of that idle wall (issue 26), `scripts/with-jack.sh
//! scripts/bench-flight-cost.sh` (the same wall, 60 s each, the show off with
//! `SCPANEL_SHOWS_DIR=off` and on, in turns; 2026-12-06, 8 pairs, figures and the spread in
//! the script): +0.255 % of one core on the mean (target ≤ 0.3 %), about 0.18 % of it on the
//! recorder's own threads; the show grows 0.64 MB per server-hour (target ≤ 5 MB).

#[path = "support/stats.rs"]
mod stats;
use stats::stats;

#[path = "support/responders.rs"]
mod responders;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use responders::Responders;
use scpanel::gui::ScPanel;
use scpanel::gui::app::Tab;
use scpanel_core::machine as transport;
use scpanel_core::{
    ConnectOptions, Options, RejoinPolicy, Server, ServerEvent, ServerState, client_address,
};

const FRAMES: usize = 300;
const DEATHS: usize = 10;

fn options() -> Options {
    Options {
        port: transport::find_free_port().expect("port"),
        input_channels: 2,
        output_channels: 2,
        load_synthdefs: false,
        ..Options::default()
    }
}

type App = Harness<'static, ScPanel>;

/// Steps the harness until every session is online, waiting on the servers' changes (not
/// sleeping) between frames.
fn wait_online(h: &mut App, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        h.step();
        let offline: Vec<_> = h
            .state()
            .sessions
            .iter()
            .filter(|s| s.server.state() != ServerState::Online)
            .map(|s| s.server.clone())
            .collect();
        if offline.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            for s in &h.state().sessions {
                if s.server.state() != ServerState::Online {
                    eprintln!(
                        "{} {}: {:?}",
                        s.addr,
                        s.server.state().label(),
                        s.server.absence()
                    );
                    if let Ok(inbox) = s.inbox.lock() {
                        for n in &inbox.notices {
                            eprintln!("  notice: {n:?}");
                        }
                        for e in &inbox.events {
                            eprintln!("  event: {e}");
                        }
                    }
                }
            }
            panic!("{what}: {} servers still not online", offline.len());
        }
        h.state().bridge.block_on(async move {
            let mut c = offline[0].watch_changes();
            let _ = tokio::time::timeout(Duration::from_millis(50), c.changed()).await;
        });
    }
}

fn time_frames(h: &mut App) -> Vec<f64> {
    (0..FRAMES)
        .map(|_| {
            let t = Instant::now();
            h.step();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn frames(real: usize, scripted: &Responders) {
    let options = options();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |_cc| ScPanel::new(options).expect("app"));
    let first = h.state().sessions[0].id;
    for _ in 0..real {
        let id = h.state_mut().boot_another();
        // boot_another picks the port after the busiest online or booting server: step until
        // this one is booting, or the next picks the same port.
        let server = h
            .state()
            .sessions
            .iter()
            .find(|s| s.id == id)
            .expect("session")
            .server
            .clone();
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.state() == ServerState::Offline {
            h.step();
            assert!(Instant::now() < deadline, "the boot did not start");
            let s = server.clone();
            h.state().bridge.block_on(async move {
                let mut c = s.watch_changes();
                let _ = tokio::time::timeout(Duration::from_millis(20), c.changed()).await;
            });
        }
    }
    let half = scripted.ports.len() / 2;
    for i in 0..half - real {
        h.state_mut()
            .add_server(scripted.addr(i), format!("scripted {i}"), false);
    }
    h.state_mut().remove_session(first);
    h.state_mut().tab = Tab::Servers;
    wait_online(&mut h, "32 tiles");
    let tiles = h.state().sessions.len();
    let with32 = time_frames(&mut h);
    println!("wall, {tiles} tiles ({real} real scsynth), every one online:");
    println!("  frames: {}", stats(with32));
    for i in half - real..scripted.ports.len() - real {
        h.state_mut()
            .add_server(scripted.addr(i), format!("scripted {i}"), false);
    }
    wait_online(&mut h, "64 tiles");
    let tiles = h.state().sessions.len();
    let with64 = time_frames(&mut h);
    println!("wall, {tiles} tiles ({real} real scsynth), every one online:");
    println!("  frames: {}", stats(with64));
    println!(
        "  the responders received: {:?}",
        scripted.seen.lock().expect("seen")
    );
    h.state().shutdown(Duration::from_secs(5));
}

async fn wait_offline(events: &mut tokio::sync::broadcast::Receiver<ServerEvent>) -> bool {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(ServerEvent::Offline) => return true,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return false,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or(false)
}

fn kill9(pid: u32) {
    // SAFETY: a plain kill(2) of the scsynth this bench booted.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

/// The death of run `i` comes this long after the watcher joined: spread over the 500 ms
/// poll interval (plus one), as a death falls anywhere between two polls.
fn phase(i: usize) -> Duration {
    Duration::from_millis(100 + 55 * i as u64)
}

async fn watcher(addr: std::net::SocketAddr) -> Server {
    let w = Server::new();
    w.set_rejoin_policy(RejoinPolicy {
        rejoin: true,
        reboot: false,
    });
    let mut o = ConnectOptions::new(addr);
    o.login = false;
    w.connect(o).await.expect("connect");
    w
}

async fn deaths(scripted: &Responders) {
    let (mut watched, mut owned, mut hung) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..DEATHS {
        // A real scsynth, watched by another handle, killed -9.
        let owner = Server::new();
        owner.boot(options()).await.expect("boot");
        let o = owner.options();
        let w = watcher(client_address(&o.bind_address, o.port)).await;
        let mut events = w.subscribe();
        tokio::time::sleep(phase(run)).await;
        let t = Instant::now();
        kill9(owner.pid().expect("pid"));
        assert!(
            wait_offline(&mut events).await,
            "the watcher never went offline"
        );
        watched.push(t.elapsed().as_secs_f64() * 1000.0);
        w.stop_rejoining();
        w.shutdown().await;
        owner.shutdown().await;

        // A scsynth the handle booted itself, killed -9.
        let owner = Server::new();
        owner.set_rejoin_policy(RejoinPolicy {
            rejoin: true,
            reboot: false,
        });
        owner.boot(options()).await.expect("boot");
        let mut events = owner.subscribe();
        let t = Instant::now();
        kill9(owner.pid().expect("pid"));
        assert!(
            wait_offline(&mut events).await,
            "the owner never went offline"
        );
        owned.push(t.elapsed().as_secs_f64() * 1000.0);
        owner.stop_rejoining();
        owner.shutdown().await;
    }
    for i in 0..DEATHS {
        // A responder that stops answering, its socket still open.
        let addr = scripted.addr(i).parse().expect("addr");
        let w = watcher(addr).await;
        let mut events = w.subscribe();
        tokio::time::sleep(phase(i)).await;
        let t = Instant::now();
        scripted.set_silent(i, true);
        assert!(
            wait_offline(&mut events).await,
            "the watcher never went offline"
        );
        hung.push(t.elapsed().as_secs_f64() * 1000.0);
        w.stop_rejoining();
        w.shutdown().await;
        scripted.set_silent(i, false);
    }
    println!("death → offline ({DEATHS} each):");
    println!("  watched scsynth killed -9:       {}", stats(watched));
    println!("  owned scsynth killed -9:         {}", stats(owned));
    println!("  watched responder gone silent:   {}", stats(hung));
}

fn main() {
    if std::env::var_os("JACK_DEFAULT_SERVER").is_none() {
        eprintln!("run with scripts/bench.sh (it starts a JACK server)");
        std::process::exit(2);
    }
    let real: usize = std::env::var("SCPANEL_BENCH_WALL_REAL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
        .min(32);
    let scripted = Responders::start(64);
    if std::env::var_os("SCPANEL_BENCH_WALL_NO_FRAMES").is_none() {
        frames(real, &scripted);
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(deaths(&scripted));
    drop(scripted);
}
