//! Reaching a server from the command line: the addresses and roster given, the link
//! options, the password, and logging in or watching.

use super::args::DEFAULT_SERVER_TIMEOUT;
use super::many;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use clap::ArgMatches;
use clap::parser::ValueSource;

use scpanel_core::Protocol;
use scpanel_core::roster::{MAX_SERVERS, Roster};
use scpanel_core::{ConnectOptions, Server};

/// Every `--addr` given, in order.
pub(super) fn addr_list(m: &ArgMatches) -> Vec<String> {
    m.get_many::<String>("addr")
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

/// Whether `--session` was given.
pub(super) fn has_session(m: &ArgMatches) -> bool {
    m.try_get_many::<String>("session")
        .ok()
        .flatten()
        .is_some_and(|mut s| s.next().is_some())
}

/// The rows of `status` and `watch`: every `--session` file's servers, then every `--addr`
/// (the default address only without a session file).
pub(super) fn targets(m: &ArgMatches) -> Result<Vec<many::Target>, String> {
    let mut targets = Vec::new();
    for path in m
        .try_get_many::<String>("session")
        .ok()
        .flatten()
        .into_iter()
        .flatten()
    {
        let roster = Roster::load(Path::new(path))?;
        targets.extend(roster.servers.into_iter().map(|e| many::Target {
            name: e.name,
            addr: e.addr,
            protocol: e.protocol,
        }));
    }
    let addr_defaulted = m.value_source("addr") == Some(ValueSource::DefaultValue);
    if !has_session(m) || !addr_defaulted {
        let protocol = if m.try_contains_id("tcp").unwrap_or(false) && m.get_flag("tcp") {
            Protocol::Tcp
        } else {
            Protocol::Udp
        };
        targets.extend(addr_list(m).into_iter().map(|addr| many::Target {
            name: String::new(),
            addr,
            protocol,
        }));
    }
    if targets.is_empty() {
        return Err("the session files list no servers: add a [[server]] or an --addr".into());
    }
    if targets.len() > MAX_SERVERS {
        return Err(format!(
            "{} servers: at most {MAX_SERVERS} at once",
            targets.len()
        ));
    }
    Ok(targets)
}

/// How `status` and `watch` reach each of several servers.
pub(super) fn link(m: &ArgMatches) -> Result<many::Link, String> {
    let has = |id: &str| m.try_contains_id(id).unwrap_or(false);
    Ok(many::Link {
        password: password(m)?,
        login: has("login") && m.get_flag("login"),
        timeout: m
            .get_one::<Duration>("timeout")
            .copied()
            .unwrap_or(DEFAULT_SERVER_TIMEOUT),
    })
}

pub(super) async fn connect(server: &Server, m: &ArgMatches, login: bool) -> Result<(), String> {
    connect_as(server, m, login, false).await
}

/// [`connect`] for a command that plays on the server (meters, a scope): logged in, it asks
/// the server for its channel counts rather than assuming 8 in and 8 out.
pub(super) async fn connect_to_play(server: &Server, m: &ArgMatches) -> Result<(), String> {
    connect_as(server, m, true, true).await
}

pub(super) async fn connect_as(
    server: &Server,
    m: &ArgMatches,
    login: bool,
    ask_layout: bool,
) -> Result<(), String> {
    let addr_text = m
        .get_one::<String>("addr")
        .map(String::as_str)
        .unwrap_or("127.0.0.1:57110");
    // A name can stand for several addresses (`localhost`: 127.0.0.1 and ::1): each is
    // tried in the resolver's order until one answers, IPv6 as well as IPv4.
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in addr_text
        .to_socket_addrs()
        .map_err(|e| format!("--addr {addr_text}: {e} (use HOST:PORT, e.g. 127.0.0.1:57110)"))?
    {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    if addrs.is_empty() {
        return Err(format!("--addr {addr_text}: no address found"));
    }
    let mut options = ConnectOptions::new(addrs[0]);
    options.login = login;
    options.monitor = false;
    options.ask_layout = ask_layout;
    if m.get_flag("tcp") {
        options.protocol = Protocol::Tcp;
    }
    options.password = password(m)?;
    server
        .connect_any(&mut options, &addrs)
        .await
        .map_err(|e| e.to_string())
}

/// The session password from `--password`, `--password-file` or `SCPANEL_PASSWORD`, in that
/// order, so that it need not appear in the argv other users can read.
pub(super) fn password(m: &ArgMatches) -> Result<Option<String>, String> {
    if let Some(p) = m.get_one::<String>("password") {
        return Ok(Some(p.clone()));
    }
    if let Some(path) = m.get_one::<String>("password-file") {
        return read_password_file(path).map(Some);
    }
    Ok(std::env::var("SCPANEL_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty()))
}

pub(super) fn read_password_file(path: &str) -> Result<String, String> {
    use std::io::Read;
    // scsynth allows 32 bytes; anything much longer is the wrong file.
    const LIMIT: u64 = 1024;
    let file = scpanel_core::files::open_file(std::path::Path::new(path), "password file")
        .map_err(|e| format!("--password-file: {e}"))?;
    #[cfg(unix)]
    if let Ok(meta) = file.metadata()
        && std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o077 != 0
    {
        eprintln!("scpanel: warning: {path} can be read by other users (chmod 600 {path})");
    }
    let mut text = String::new();
    file.take(LIMIT + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("--password-file {path}: {e}"))?;
    if text.len() as u64 > LIMIT {
        return Err(format!(
            "--password-file {path}: longer than {LIMIT} bytes, so not a password file"
        ));
    }
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        return Err(format!(
            "--password-file {path}: the first line is empty; put the password there"
        ));
    }
    Ok(first.to_string())
}
