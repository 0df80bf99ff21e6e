//! Watch several servers at once without logging in to any of them: one status line per
//! server each second, until Ctrl-C.
//!
//! ```text
//! cargo run -p scpanel-core --example watch_servers -- 127.0.0.1:57110 127.0.0.1:57111
//! ```
//!
//! Each server gets its own [`Server`] handle connected watch-only: status and the node tree
//! answer without a login, so a teacher's wall takes no login slot on a student's server. A
//! server that is not there yet, or goes away, is shown as such and is retried every
//! few seconds.

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scpanel_core::{ConnectOptions, Server};

/// How long to wait before trying again to connect to a server that is not online.
const RETRY: Duration = Duration::from_secs(3);

struct Watched {
    name: String,
    server: Server,
    /// Why the last connection attempt failed, if it did.
    last_error: Arc<Mutex<Option<String>>>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("watch_servers: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut watched = Vec::new();
    for text in std::env::args().skip(1) {
        let addr = text
            .to_socket_addrs()
            .map_err(|e| format!("{text}: {e} (use HOST:PORT, e.g. 127.0.0.1:57110)"))?
            .next()
            .ok_or_else(|| format!("{text}: no address found"))?;
        let w = Watched {
            name: text,
            server: Server::new(),
            last_error: Arc::default(),
        };
        // Each server is (re)connected on its own task, so one that doesn't answer never
        // holds up the others.
        tokio::spawn(keep_connected(w.server.clone(), addr, w.last_error.clone()));
        watched.push(w);
    }
    if watched.is_empty() {
        return Err("usage: watch_servers HOST:PORT [HOST:PORT …]".into());
    }

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        println!("---");
        for w in &watched {
            println!("{}", status_line(w));
        }
    }

    for w in &watched {
        if w.server.attachment().is_some() {
            let _ = w.server.disconnect().await;
        }
    }
    Ok(())
}

/// Connects watch-only (no login, `/status` polling on) whenever the server is not online,
/// at most every [`RETRY`].
async fn keep_connected(server: Server, addr: SocketAddr, last_error: Arc<Mutex<Option<String>>>) {
    loop {
        if !server.state().is_online() {
            if server.attachment().is_some() {
                let _ = server.disconnect().await;
            }
            let mut options = ConnectOptions::new(addr);
            options.login = false;
            options.monitor = true;
            let result = server.connect(options).await.err().map(|e| e.to_string());
            if let Ok(mut slot) = last_error.lock() {
                *slot = result;
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}

fn status_line(w: &Watched) -> String {
    let state = w.server.state();
    match (state.is_online(), w.server.latest_status()) {
        (true, Some(s)) => format!(
            "{:<22} {:<12} cpu {:5.2}% peak {:5.2}%  ugens {:5}  synths {:4}  groups {:4}  sr {:.3}",
            w.name,
            state.label(),
            s.average_cpu,
            s.peak_cpu,
            s.ugens,
            s.synths,
            s.groups,
            s.actual_sample_rate
        ),
        _ => {
            let error = w.last_error.lock().ok().and_then(|e| e.clone());
            format!(
                "{:<22} {:<12} {}",
                w.name,
                state.label(),
                error.unwrap_or_default()
            )
        }
    }
}
