//! Helpers for tests against a real scsynth. `scripts/test.sh` provides the JACK server.
#![allow(dead_code)]

use std::time::Duration;

use scpanel_core::{ConnectOptions, Options, Server, ServerEvent, client_address};

use scpanel_core::wire::transport;
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
pub mod sclang;
pub mod shapes;
