//! The one-shot commands: `status`, `tree` and `send` against one server, and `synthdef`.

use super::connect::connect;
use super::send::{send, send_packet};
use std::path::PathBuf;
use std::time::Duration;

use clap::ArgMatches;

use scpanel_core::Server;
use scpanel_core::osc::printable_lines;

/// Messages whose answer is a notification: scsynth sends those only to logged-in clients.
pub(super) const ANSWERED_BY_NOTIFICATION: &[&str] = &["/n_query"];

/// `status`, `tree` and `send`: talk, print, and leave the server as it was. Nothing is
/// registered unless the command needs it; a login is undone on success, error and Ctrl-C.
pub(super) async fn one_shot(name: &str, m: &ArgMatches) -> Result<(), String> {
    let packet = match name {
        "send" => Some(send_packet(m)?),
        _ => None,
    };
    let needs_login = packet.as_ref().is_some_and(|p| {
        let mut all = Vec::new();
        scpanel_core::osc::flatten(p.clone(), &mut all);
        all.iter()
            .any(|m| ANSWERED_BY_NOTIFICATION.contains(&m.addr.as_str()))
    });
    if let Some(p) = &packet {
        let mut all = Vec::new();
        scpanel_core::osc::flatten(p.clone(), &mut all);
        if all.iter().any(|m| m.addr == "/notify") {
            return Err(
                "scpanel send logs in and out by itself: use --login to see notifications".into(),
            );
        }
    }
    let login = m.get_flag("login") || needs_login;
    let server = Server::new();
    let work = async {
        connect(&server, m, login).await?;
        match (name, packet) {
            ("status", _) => status(&server).await,
            ("tree", _) => tree(&server, m.get_flag("controls")).await,
            (_, Some(packet)) => send(&server, packet).await,
            _ => Err(format!("unknown command {name}")),
        }
    };
    let limit = m.try_get_one::<Duration>("timeout").ok().flatten().copied();
    let work = async {
        match limit {
            Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
                Err(format!(
                    "no answer from {} within {} s",
                    m.get_one::<String>("addr").map_or("", String::as_str),
                    limit.as_secs_f64()
                ))
            }),
            None => work.await,
        }
    };
    let result = tokio::select! {
        r = work => r,
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
    };
    // Logs out when logged in; a watch-only link just closes.
    if server.attachment().is_some()
        && let Err(e) = server.disconnect().await
        && login
    {
        eprintln!("scpanel: could not log out: {e}");
    }
    result
}

pub(super) async fn status(server: &Server) -> Result<(), String> {
    let s = server.status().await.map_err(|e| e.to_string())?;
    println!("{s}");
    Ok(())
}

pub(super) async fn tree(server: &Server, controls: bool) -> Result<(), String> {
    let read = server
        .read_tree(0, controls)
        .await
        .map_err(|e| e.to_string())?;
    print!("{}", read.tree.to_text(controls));
    if controls && !read.without_controls.is_empty() {
        let ids: Vec<String> = read
            .without_controls
            .iter()
            .take(8)
            .map(i32::to_string)
            .collect();
        eprintln!(
            "scpanel: the synths directly in group(s) {} are listed without controls: with \
             them the reply is bigger than scsynth's 64 KiB packet",
            ids.join(", ")
        );
    }
    if !read.found_by_id.is_empty() {
        let ids: Vec<String> = read.found_by_id.iter().map(i32::to_string).collect();
        eprintln!(
            "scpanel: the root group is too big to list without logging in; groups {} were \
             found by their usual default-group ids and are shown under it in id order",
            ids.join(", ")
        );
    }
    if !read.is_complete() {
        eprintln!("scpanel: {}", server.unlisted_error(&read).await);
    }
    Ok(())
}

pub(super) fn synthdef(m: &ArgMatches) -> Result<(), String> {
    match m.subcommand() {
        Some(("show", s)) => {
            let file = s.get_one::<String>("file").ok_or("FILE is required")?;
            let bytes = scpanel_core::files::read_bounded(
                std::path::Path::new(file),
                scpanel_core::synthdef::MAX_FILE_BYTES,
                "SynthDef file",
            )
            .map_err(|e| e.to_string())?;
            let defs =
                scpanel_core::synthdef::decode_file(&bytes).map_err(|e| format!("{file}: {e}"))?;
            for def in &defs {
                print!(
                    "{}",
                    printable_lines(&scpanel_core::synthdef::describe(def))
                );
            }
            Ok(())
        }
        Some(("write", s)) => {
            let name = s.get_one::<String>("name").ok_or("NAME is required")?;
            let dir = PathBuf::from(s.get_one::<String>("dir").ok_or("DIR is required")?);
            let def = scpanel_core::synthdef::builtins::builtin(name).ok_or_else(|| {
                let names: Vec<String> = scpanel_core::synthdef::builtins::all()
                    .into_iter()
                    .map(|d| d.name)
                    .collect();
                format!(
                    "no built-in SynthDef named {name:?}; built-ins: {}",
                    names.join(", ")
                )
            })?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let path = dir.join(format!("{name}.scsyndef"));
            std::fs::write(&path, def.encode())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("{}", path.display());
            Ok(())
        }
        _ => Err("use `scpanel synthdef show FILE` or `scpanel synthdef write NAME DIR`".into()),
    }
}
