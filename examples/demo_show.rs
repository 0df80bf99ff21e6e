//! Writes a made-up show (for the screenshots and for trying the Shows tab):
//! `cargo run --example demo_show -- DIR [SERVERS] [MINUTES]` (default 3 servers, 60 minutes).

#[path = "../benches/support/demo_show.rs"]
mod demo_show;

use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: demo_show DIR [SERVERS] [MINUTES]");
        std::process::exit(2);
    };
    let servers = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let minutes: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    match demo_show::write(&dir, servers, Duration::from_secs(minutes * 60)) {
        Ok(path) => println!("{}", path.display()),
        Err(e) => {
            eprintln!("demo_show: {e}");
            std::process::exit(1);
        }
    }
}
