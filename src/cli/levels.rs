//! `scpanel levels`: the Levels tab's meters, headless. Logs in (the meters are synths of
//! this client's), starts input and output meters, prints every channel's peak and RMS once
//! an interval (or once, with `--once`), and frees its meters and logs out on Ctrl-C.

use std::time::{Duration, Instant};

use clap::ArgMatches;

use scpanel_core::Server;
use scpanel_core::levels::Meters;

/// How long the first meter reply may take: the meters report 20 times a second.
const FIRST_REPLY: Duration = Duration::from_secs(3);

/// One line: every channel's level, inputs then outputs.
pub(super) fn line(meters: &Meters, now: Instant) -> String {
    let mut parts = Vec::new();
    for (name, levels) in [("in", &meters.inputs), ("out", &meters.outputs)] {
        for (i, l) in levels.iter().enumerate() {
            parts.push(format!("{name} {}: {}", i + 1, l.describe(now)));
        }
    }
    parts.join("  |  ")
}

pub(super) async fn run(m: &ArgMatches) -> Result<(), String> {
    let once = m.get_flag("once");
    let interval = m
        .get_one::<Duration>("interval")
        .copied()
        .unwrap_or(Duration::from_secs(1));
    let mut signals = crate::signals::Signals::install()
        .map_err(|e| format!("cannot listen for signals: {e}"))?;
    let server = Server::new();
    super::connect::connect_to_play(&server, m).await?;
    let result = print_levels(&server, once, interval, &mut signals).await;
    // Our meter synths and their group go with us, whatever ended the loop.
    let _ = server.mixer().stop_meters().await;
    let _ = server.nodes().free_own_group().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), server.disconnect()).await;
    result
}

async fn print_levels(
    server: &Server,
    once: bool,
    interval: Duration,
    signals: &mut crate::signals::Signals,
) -> Result<(), String> {
    server
        .mixer()
        .start_meters()
        .await
        .map_err(|e| format!("cannot start the meters: {e}"))?;
    let mut ticks = server.mixer().watch_meters();
    match tokio::time::timeout(FIRST_REPLY, ticks.changed()).await {
        Ok(Ok(())) => {}
        _ => {
            return Err(format!(
                "the meters did not report within {} s",
                FIRST_REPLY.as_secs()
            ));
        }
    }
    let mut every = tokio::time::interval(interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first reply can come before a whole meter period has passed: the first line
    // waits one interval, so it holds an interval's levels.
    every.tick().await;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = signals.recv() => return Ok(()),
        }
        println!("{}", line(&server.mixer().meters(), Instant::now()));
        if once {
            return Ok(());
        }
    }
}
