//! Connect to a running server without logging in, print its node tree, and leave.
//!
//! ```text
//! cargo run -p scpanel-core --example print_tree -- 127.0.0.1:57110
//! cargo run -p scpanel-core --example print_tree -- 127.0.0.1:57110 --controls
//! ```
//!
//! A watch-only connection takes none of the server's login slots (its max logins), so this
//! works on a server that is full, and leaves nothing behind.

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use scpanel_core::{ConnectOptions, Server};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("print_tree: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut addr_text = None;
    let mut controls = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--controls" => controls = true,
            _ if addr_text.is_none() => addr_text = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let addr_text = addr_text.ok_or("usage: print_tree HOST:PORT [--controls]")?;
    let addrs: Vec<SocketAddr> = addr_text
        .to_socket_addrs()
        .map_err(|e| format!("{addr_text}: {e} (use HOST:PORT, e.g. 127.0.0.1:57110)"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{addr_text}: no address found"));
    }

    let mut options = ConnectOptions::new(addrs[0]);
    options.login = false; // watch only: `/g_queryTree` answers without a login
    options.monitor = false; // one read, no status polling or live mirror
    let server = Server::new();
    // A name such as `localhost` can stand for several addresses: try each in turn.
    server
        .connect_any(&mut options, &addrs)
        .await
        .map_err(|e| format!("cannot connect to {addr_text}: {e}"))?;

    let read = server.read_tree(0, controls).await;
    let unlisted = match &read {
        Ok(r) if !r.is_complete() => Some(server.unlisted_error(r).await),
        _ => None,
    };
    // Close the link whatever happened.
    let _ = server.disconnect().await;

    let read = read.map_err(|e| format!("cannot read the node tree: {e}"))?;
    print!("{}", read.tree.to_text(controls));
    if let Some(e) = unlisted {
        eprintln!("print_tree: {e}");
    }
    Ok(())
}
