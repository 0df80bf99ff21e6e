//! A guest on the IDE's server: sclang boots a one-login server and holds 900 paused synths
//! in one group; scpanel's one-shot `status` and `tree --controls` (the library calls the CLI
//! makes, without the process start) are timed (run: `scripts/bench.sh --bench guest`).

#[path = "../crates/scpanel-core/tests/common/sclang.rs"]
#[allow(dead_code)]
mod sclang;

use std::time::Instant;

use scpanel_core::{ConnectOptions, Server};

use scpanel_core::machine as transport;

const RUNS: usize = 20;

fn median(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "median {:.1} ms (min {:.1}, max {:.1}, n={})",
        v[v.len() / 2],
        v[0],
        v[v.len() - 1],
        v.len()
    )
}

async fn one_shot(port: u16) -> Server {
    let server = Server::new();
    let mut o = ConnectOptions::new(([127, 0, 0, 1], port).into());
    o.login = false;
    o.monitor = false;
    server.connect(o).await.expect("connect");
    server
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
        let port = transport::find_free_port().expect("port");
        let mut ide = sclang::Sclang::boot(port, 1).await;
        ide.eval(
            "SynthDef(\\scpanelSilence1, { |out = 0, freq = 440, amp = 0, pan = 0, gate = 1| \
             Out.ar(out, Pan2.ar(SinOsc.ar(freq) * gate, pan, amp)) }).add; s.sync; \
             g = Group.new(s); g.run(false); \
             900.collect { s.nextNodeID }.clump(50).do { |ids| s.sendBundle(nil, *ids.collect \
             { |id| [\"/s_new\", \\scpanelSilence1, id, 1, g.nodeID] }); s.sync }; \\ok",
        )
        .await;
        let (mut status, mut tree) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let t = Instant::now();
            let s = one_shot(port).await;
            s.status().await.expect("status");
            s.disconnect().await.expect("disconnect");
            status.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            let s = one_shot(port).await;
            let read = s.read_tree(0, true).await.expect("tree");
            assert_eq!(
                read.tree.len(),
                1 + 1 + 1 + 900,
                "root, group 1, g, 900 synths"
            );
            s.disconnect().await.expect("disconnect");
            tree.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("IDE server (1 login, taken), 900 paused synths in one group:");
        println!("  status:          {}", median(status));
        println!("  tree --controls: {}", median(tree));
        assert!(ide.failure_lines().is_empty(), "{:?}", ide.failure_lines());
    });
}
