//! `send`: the packet from the command line, sent, its replies printed.

use clap::ArgMatches;

use scpanel_core::Server;
use scpanel_core::osc;
use scpanel_core::osc::printable;

pub(super) fn send_packet(m: &ArgMatches) -> Result<rosc::OscPacket, String> {
    let words: Vec<String> = m
        .get_many::<String>("message")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let line = words
        .iter()
        .map(|w| {
            if w.contains(char::is_whitespace) {
                format!("{w:?}")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    osc::parse(&line).map_err(|e| format!("{e} in {line:?}"))
}

/// Sends the packet, prints every reply until the server has processed it (a `/sync` of our
/// own after it), and fails when the server answered `/fail` or replies were lost.
pub(super) async fn send(server: &Server, packet: rosc::OscPacket) -> Result<(), String> {
    use tokio::sync::broadcast::error::RecvError;
    let mut osc = server.subscribe_osc();
    server.send(packet).await.map_err(|e| e.to_string())?;
    let sync = server.sync();
    tokio::pin!(sync);
    let mut synced = None;
    let (mut fails, mut lost) = (0usize, 0u64);
    let print = |t: scpanel_core::OscTraffic, fails: &mut usize| {
        if t.direction != scpanel_core::Direction::Received {
            return;
        }
        if let rosc::OscPacket::Message(m) = &t.packet {
            if m.addr == "/synced"
                && scpanel_core::osc::int_arg(m, 0).is_some_and(|id| server.is_own_sync(id))
            {
                return;
            }
            if m.addr == "/fail" {
                *fails += 1;
            }
        }
        println!("{}", printable(&osc::format_packet(&t.packet)));
    };
    loop {
        tokio::select! {
            biased;
            t = osc.recv() => match t {
                Ok(t) => print(t, &mut fails),
                Err(RecvError::Lagged(n)) => lost += n,
                Err(RecvError::Closed) => break,
            },
            r = &mut sync, if synced.is_none() => synced = Some(r),
        }
        if synced.is_some() {
            // Everything the server sent before our /synced is queued by now.
            loop {
                match osc.try_recv() {
                    Ok(t) => print(t, &mut fails),
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(n)) => lost += n,
                    Err(_) => break,
                }
            }
            break;
        }
    }
    if let Some(Err(e)) = synced {
        return Err(e.to_string());
    }
    lost_replies_error(lost, server.losses())?;
    if fails > 0 {
        return Err(format!("the server answered /fail ({fails})"));
    }
    Ok(())
}

/// `send` fails when any reply was lost: it can't tell whether the one asked for was.
pub(super) fn lost_replies_error(lost: u64, losses: scpanel_core::Losses) -> Result<(), String> {
    if let Some(text) = losses.summary() {
        eprintln!("scpanel: {text}");
    }
    if lost > 0 || losses.dropped > 0 {
        return Err(format!(
            "{} repl{} came faster than they could be kept and {} lost; the reply to this \
             message may be among them (ask for less at once)",
            lost + losses.dropped,
            if lost + losses.dropped == 1 {
                "y"
            } else {
                "ies"
            },
            if lost + losses.dropped == 1 {
                "was"
            } else {
                "were"
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_replies_fail_the_command() {
        let none = scpanel_core::Losses::default();
        assert!(lost_replies_error(0, none).is_ok());
        let err = lost_replies_error(3, none).unwrap_err();
        assert!(err.starts_with("3 replies came faster"), "{err}");
        let dropped = scpanel_core::Losses { dropped: 1, ..none };
        let err = lost_replies_error(0, dropped).unwrap_err();
        assert!(err.starts_with("1 reply came faster"), "{err}");
    }
}
