//! Helpers for tests against a real scsynth. `scripts/test.sh` provides the JACK server.
#![allow(dead_code)]

use std::time::Duration;

use scpanel_core::{ConnectOptions, Options, Server, ServerEvent, client_address};

use scpanel_core::machine as transport;
use tokio::sync::broadcast;

/// Options for a small test server on a free port.
pub fn options() -> Options {
    assert!(
        std::env::var_os("JACK_DEFAULT_SERVER").is_some(),
        "these tests need a JACK server: run them with scripts/test.sh"
    );
    Options {
        port: test_port(),
        input_channels: 2,
        output_channels: 2,
        max_logins: 4,
        load_synthdefs: false,
        ..Options::default()
    }
}

/// A free port below the kernel's ephemeral range (32768 and up), so that no client socket
/// of a test running alongside can be handed the port between this check and scsynth's bind.
/// Each test binary starts at its own place and never reuses a port within the run.
pub fn test_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    const LOW: u16 = 20_000;
    const SPAN: u16 = 12_000;
    let _ = NEXT.compare_exchange(
        0,
        LOW + (std::process::id() % u32::from(SPAN)) as u16,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let candidate = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = LOW + (candidate - LOW) % SPAN;
        if transport::port_is_free(port) {
            return port;
        }
    }
}

pub async fn boot(options: Options) -> Server {
    let server = Server::new();
    server.boot(options).await.expect("boot");
    server
}

pub fn connect_options(server: &Server) -> ConnectOptions {
    let o = server.options();
    ConnectOptions::new(client_address(&o.bind_address, o.port))
}

/// Waits for an event that `pick` accepts, failing after `limit`.
pub async fn wait_for<T>(
    rx: &mut broadcast::Receiver<ServerEvent>,
    limit: Duration,
    mut pick: impl FnMut(&ServerEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(e)) => {
                if let Some(v) = pick(&e) {
                    return v;
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event channel closed: {e}"),
            Err(_) => panic!("no matching event within {limit:?}"),
        }
    }
}
/// Runs the `#[ignore]`d test `inner` of this test binary in a network namespace of its own
/// (`unshare --net`, loopback up with multicast on), so what it announces reaches no real
/// network; fails with its output when it fails, did not run, or `unshare` is not allowed.
pub fn run_in_net_namespace(inner: &str) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let script = format!(
        r#"ip link set lo up && ip link set lo multicast on && exec "$0" --ignored --exact {inner} --nocapture --test-threads 1"#
    );
    let out = std::process::Command::new("unshare")
        .args(["--net", "sh", "-c", &script])
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run unshare (util-linux) for the namespace: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("unshare failed") || stderr.contains("Operation not permitted") {
        panic!(
            "this test needs its own network namespace, and `unshare --net` is not permitted \
             here: run the tests as root (it needs CAP_SYS_ADMIN):\n{stderr}"
        );
    }
    assert!(
        out.status.success(),
        "the test in the namespace failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // A filter that matched nothing would pass with "0 passed".
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "the test in the namespace did not run:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
}

/// Inside [`run_in_net_namespace`]: refuses to go on unless the only interface is `lo`
/// (`/proc/net` is the namespace's own; `/sys/class/net` is the host's until remounted).
pub fn assert_loopback_only() {
    let interfaces: Vec<String> = std::fs::read_to_string("/proc/net/dev")
        .expect("/proc/net/dev")
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(name, _)| name.trim().to_string())
        .collect();
    assert_eq!(
        interfaces,
        ["lo"],
        "not in a network namespace of loopback only: refusing to announce"
    );
}

pub mod defs;
pub mod jack_client;
pub mod sclang;
pub mod shapes;
pub mod supriya;
