//! What the server benchmarks share: a test server's options and the figures' summary.
#![allow(dead_code)]

use scpanel_core::Options;
use scpanel_core::machine as transport;

/// A small server on a free port with room for `max_nodes` nodes.
pub fn options(max_nodes: u32) -> Options {
    Options {
        port: transport::find_free_port().expect("free port"),
        input_channels: 2,
        output_channels: 2,
        max_logins: 4,
        load_synthdefs: false,
        max_nodes,
        memory_kib: 65536,
        ..Options::default()
    }
}

/// `median 12.3 ms, min …, max … (n=7)` of timings in milliseconds.
pub fn median(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "median {:.1} ms, min {:.1} ms, max {:.1} ms (n={})",
        v[v.len() / 2],
        v[0],
        v[v.len() - 1],
        v.len()
    )
}

/// A server benchmark's `main`: beside JACK, `SCPANEL_BENCH_SYNTHS` synths (else `default`),
/// `run` on a two-thread runtime.
pub fn main_with<F: std::future::Future<Output = ()>>(
    default: usize,
    run: impl FnOnce(usize) -> F,
) {
    need_jack();
    let n = std::env::var("SCPANEL_BENCH_SYNTHS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(n));
}

/// Benchmarks that boot a server need JACK: say how to run them, and stop.
pub fn need_jack() {
    if std::env::var_os("JACK_DEFAULT_SERVER").is_none() {
        eprintln!("run the benchmarks beside JACK: scripts/with-jack.sh cargo bench …");
        std::process::exit(2);
    }
}
