//! Server-core benchmarks against a real scsynth (run: `scripts/bench.sh`).
//!
//! - boot to online, against scsynth's own ready line
//! - `/status` round trip, against one audio period
//! - query + parse of a 20,000-node tree
//! - 10,000 `/g_new` then `/sync`
//! - how fast a death or a silence is noticed

use std::time::Instant;

use rosc::{OscMessage, OscPacket, OscType};
use scpanel_core::machine as transport;
use scpanel_core::{
    AddAction, ConnectOptions, Options, Server, ServerEvent, client_address, osc::bundle_of,
};

fn options() -> Options {
    Options {
        port: transport::find_free_port().expect("free port"),
        input_channels: 2,
        output_channels: 2,
        max_logins: 4,
        load_synthdefs: false,
        max_nodes: 32768,
        memory_kib: 65536,
        ..Options::default()
    }
}

fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    format!(
        "median {:.3} ms, p90 {:.3} ms, min {:.3} ms, max {:.3} ms (n={n})",
        v[n / 2],
        v[n * 9 / 10],
        v[0],
        v[n - 1]
    )
}

fn g_new(id: i32, target: i32) -> OscMessage {
    OscMessage {
        addr: "/g_new".into(),
        args: vec![OscType::Int(id), OscType::Int(1), OscType::Int(target)],
    }
}

async fn boot_to_online() {
    let mut total = Vec::new();
    let mut ready = Vec::new();
    for _ in 0..5 {
        let server = Server::new();
        let t = Instant::now();
        server.boot(options()).await.expect("boot");
        total.push(t.elapsed().as_secs_f64() * 1000.0);
        // Spawn time is the "$ scsynth …" note; the ready line carries its own time stamp.
        let (spawned, ready_at) = server.with_log(|l| {
            let spawned = l.lines().find(|l| l.text.starts_with("$ ")).map(|l| l.at);
            let ready = l
                .lines()
                .find(|l| l.text.contains("server ready"))
                .map(|l| l.at);
            (spawned, ready)
        });
        if let (Some(s), Some(r)) = (spawned, ready_at) {
            ready.push(r.duration_since(s).unwrap_or_default().as_secs_f64() * 1000.0);
        }
        server.quit(false).await.expect("quit");
    }
    println!(
        "boot → online (logged in, default groups, tree read): {}",
        stats(total)
    );
    println!(
        "boot → scsynth's ready line:                          {}",
        stats(ready)
    );
}

async fn status_round_trip(server: &Server) {
    let mut v = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        server.status().await.expect("status");
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let s = server.status().await.expect("status");
    println!("/status round trip: {}", stats(v));
    println!(
        "  one audio period here: JACK dummy 256 frames at {:.0} Hz = {:.3} ms (block 64 = {:.3} ms)",
        s.nominal_sample_rate,
        256.0 / s.nominal_sample_rate * 1000.0,
        64.0 / s.nominal_sample_rate * 1000.0
    );
}

async fn big_tree(server: &Server) {
    let base = server.client_ranges().expect("ranges").nodes.start + 100_000;
    let holder = server
        .add_group(1, AddAction::AddToTail, false)
        .await
        .expect("group");
    server.nodes().pause(holder).await.expect("pause");
    let mut next = base;
    for _ in 0..40 {
        let outer = next;
        next += 1;
        let mut msgs = vec![g_new(outer, holder)];
        for _ in 0..499 {
            msgs.push(g_new(next, outer));
            next += 1;
        }
        server.send_checked(bundle_of(msgs)).await.expect("build");
    }
    let mut v = Vec::new();
    let mut count = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let tree = server.query_tree(false).await.expect("tree");
        v.push(t.elapsed().as_secs_f64() * 1000.0);
        count = tree.len();
    }
    println!(
        "query + parse of a {count}-node tree (nested, overflowing 64 KiB): {}",
        stats(v)
    );
    let tree = server.query_tree(false).await.expect("tree");
    let text = Instant::now();
    let rendered = tree.to_text(false);
    println!(
        "  render as text: {} lines, {:.3} ms",
        rendered.lines().count(),
        text.elapsed().as_secs_f64() * 1000.0
    );
    server.nodes().free(holder).await.expect("free");

    // Flat: 20,000 empty groups in one group, walked child by child.
    let flat = server
        .add_group(1, AddAction::AddToTail, false)
        .await
        .expect("group");
    server.nodes().pause(flat).await.expect("pause");
    for chunk in 0..20 {
        let msgs = (0..1000)
            .map(|i| g_new(base + 200_000 + chunk * 1000 + i, flat))
            .collect();
        server.send_checked(bundle_of(msgs)).await.expect("build");
    }
    let t = Instant::now();
    let tree = server.query_tree(false).await.expect("tree");
    println!(
        "query of a flat group of {} groups (walked in batches): {:.1} ms",
        tree.children(flat).count(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    server.nodes().free(flat).await.expect("free");
}

async fn g_new_throughput(server: &Server) {
    let base = server.client_ranges().expect("ranges").nodes.start + 400_000;
    let holder = server
        .add_group(1, AddAction::AddToTail, false)
        .await
        .expect("group");
    server.nodes().pause(holder).await.expect("pause");
    let t = Instant::now();
    for i in 0..10_000 {
        server
            .send(OscPacket::Message(g_new(base + i, holder)))
            .await
            .expect("send");
    }
    server.sync().await.expect("sync");
    let dt = t.elapsed().as_secs_f64();
    let n = server
        .query_tree(false)
        .await
        .expect("tree")
        .children(holder)
        .count();
    println!(
        "10,000 /g_new (one datagram each) + /sync: {:.1} ms ({:.0} msgs/s); {n} arrived",
        dt * 1000.0,
        10_000.0 / dt
    );
    server.nodes().free(holder).await.expect("free");
}

async fn deaths() {
    // An owned server killed with SIGKILL.
    let mut v = Vec::new();
    for _ in 0..5 {
        let server = Server::new();
        server.boot(options()).await.expect("boot");
        let mut events = server.subscribe();
        let pid = server.pid().expect("pid") as i32;
        let t = Instant::now();
        unsafe { libc::kill(pid, libc::SIGKILL) };
        loop {
            if let Ok(ServerEvent::ProcessPanicked { .. }) = events.recv().await {
                break;
            }
        }
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("kill -9 of our scsynth → ProcessPanicked: {}", stats(v));

    // A connected client: the owner quits (port closes), and the server goes silent (SIGSTOP).
    for (label, stop) in [("owner quit", false), ("silent (SIGSTOP)", true)] {
        let mut v = Vec::new();
        for _ in 0..3 {
            let a = Server::new();
            a.boot(options()).await.expect("boot");
            let b = Server::new();
            let o = a.options();
            b.connect(ConnectOptions::new(client_address(&o.bind_address, o.port)))
                .await
                .expect("connect");
            let mut events = b.subscribe();
            let pid = a.pid().expect("pid") as i32;
            let t = Instant::now();
            if stop {
                unsafe { libc::kill(pid, libc::SIGSTOP) };
            } else {
                a.quit(false).await.expect("quit");
            }
            loop {
                if let Ok(ServerEvent::Offline) = events.recv().await {
                    break;
                }
            }
            v.push(t.elapsed().as_secs_f64() * 1000.0);
            if stop {
                unsafe { libc::kill(pid, libc::SIGCONT) };
                a.quit(false).await.expect("quit");
            }
        }
        println!("connected client offline after {label}: {}", stats(v));
    }
}

fn main() {
    if std::env::var_os("JACK_DEFAULT_SERVER").is_none() {
        eprintln!("run the benchmarks with scripts/bench.sh (it starts a JACK server)");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        boot_to_online().await;
        let server = Server::new();
        server.boot(options()).await.expect("boot");
        status_round_trip(&server).await;
        big_tree(&server).await;
        g_new_throughput(&server).await;
        server.quit(false).await.expect("quit");
        deaths().await;
    });
}
