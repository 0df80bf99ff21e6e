//! Boot a scsynth of our own on a free port, print its status, and quit it.
//!
//! scsynth needs a running JACK server (or another audio backend it was built for):
//!
//! ```text
//! scripts/with-jack.sh cargo run -p scpanel-core --example boot_and_quit
//! ```
//!
//! It boots on the first free port from 57110 up, or on the port given as its argument
//! (`… --example boot_and_quit -- 57200`). `SCPANEL_SCSYNTH=/path/to/scsynth` picks the
//! program when it is not on the `PATH`.

use std::process::ExitCode;

use scpanel_core::machine::find_free_port;
use scpanel_core::{Options, Server};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("boot_and_quit: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let port = match std::env::args().nth(1) {
        Some(text) => text
            .parse()
            .map_err(|_| format!("{text:?} is not a port number (1 to 65535)"))?,
        None => find_free_port().ok_or("no free UDP/TCP port found from 57110 up")?,
    };
    let options = Options {
        port,
        load_synthdefs: false,
        ..Options::default()
    };
    println!("booting: {}", options.command_line("scsynth"));

    let server = Server::new();
    server
        .boot(options)
        .await
        .map_err(|e| format!("cannot boot: {e}"))?;
    let session = server
        .attachment()
        .ok_or("the server went offline after booting")?;
    println!(
        "online at {}://{} (pid {}, client id {} of {} max logins, default group {})",
        session.protocol.as_str(),
        session.addr,
        server.pid().unwrap_or(0),
        server.client_id().unwrap_or(0),
        server.max_logins().unwrap_or(0),
        server.default_group(),
    );

    let result = match server.status().await {
        Ok(s) => {
            println!("{s}");
            Ok(())
        }
        Err(e) => Err(format!("no status: {e}")),
    };

    // Quit whether or not the status came: `/quit`, then wait for the process to exit.
    server
        .quit(false)
        .await
        .map_err(|e| format!("cannot quit: {e}"))?;
    println!("quit: {}", server.state().label());
    result
}
