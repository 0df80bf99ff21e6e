//! The roster: a saved list of servers, kept as a TOML session file such as
//! `classroom.toml`, or pasted as one `host:port` per line.
//!
//! ```toml
//! [[server]]
//! name = "front row"
//! addr = "10.0.0.5:57110"
//!
//! [[server]]
//! name = "my own"
//! addr = "127.0.0.1:57120"
//! login = true
//! auto_reboot = true
//! [server.boot]
//! max_logins = 16
//! ```
//!
//! Everything a file or a paste can make is bounded: a file of at most [`MAX_FILE_BYTES`],
//! at most [`MAX_SERVERS`] servers, lines (and names and addresses) of at most
//! [`MAX_LINE_CHARS`] characters. A roster never keeps a password.

use std::collections::BTreeSet;
use std::net::Ipv6Addr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::options::{Kind, OPTIONS, Options, Protocol, Value};

/// The largest session file read, in bytes (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The most servers a roster holds.
pub const MAX_SERVERS: usize = 1024;
/// The longest pasted line, name or address, in characters.
pub const MAX_LINE_CHARS: usize = 1000;
use crate::wire::transport::DEFAULT_PORT;
/// The most bad lines [`Roster::parse_list`] lists one by one; past this, one more entry says
/// how many were left out.
const MAX_BAD_LINES: usize = 100;

/// A saved wall of servers: a TOML session file such as `classroom.toml`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// The servers, in the order their tiles (and the CLI's rows) show; `[[server]]` tables.
    #[serde(default, rename = "server")]
    pub servers: Vec<RosterEntry>,
}

/// One server of a [`Roster`]: a `[[server]]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterEntry {
    /// The tile's name; empty = show the address.
    #[serde(default)]
    pub name: String,
    /// "host:port" as typed (a name is looked up when used). For a booted entry, the port it
    /// boots on.
    pub addr: String,
    /// How to talk to it: `"udp"` (the default) or `"tcp"`. For a booted entry, also the
    /// protocol it boots with.
    #[serde(default)]
    pub protocol: Protocol,
    /// Log in (true) or watch without a login (false, the default).
    #[serde(default)]
    pub login: bool,
    /// Boot this server locally with these options (None = connect to a running one).
    ///
    /// Its port and protocol are the entry's (`addr`'s port, `protocol`): a file whose
    /// `[server.boot]` names a different one is refused, and a file that leaves them out gets
    /// the entry's (and [`Roster::to_toml`] writes the entry's). A roster never saves a
    /// password: [`Roster::to_toml`] and [`Roster::save`] leave `password` out (a file that
    /// has one is read, so that a hand-written file works until it is saved again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot: Option<Options>,
    /// Reboot automatically when the booted server crashes.
    #[serde(default)]
    pub auto_reboot: bool,
}

impl RosterEntry {
    /// A server to watch at `addr`: no name, UDP, no login, not booted.
    pub fn watch(addr: impl Into<String>) -> RosterEntry {
        RosterEntry {
            name: String::new(),
            addr: addr.into(),
            protocol: Protocol::Udp,
            login: false,
            boot: None,
            auto_reboot: false,
        }
    }

    /// What a tile shows: the name, or the address when the name is empty.
    pub fn label(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.addr
        } else {
            &self.name
        }
    }
}

impl Roster {
    /// Reads a roster from TOML text, checking every entry. An error says where (the line,
    /// or which `[[server]]`) and what to fix.
    pub fn from_toml(text: &str) -> Result<Roster, String> {
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(format!(
                "{} bytes is more than a roster holds (at most {MAX_FILE_BYTES}, 1 MiB)",
                text.len()
            ));
        }
        let mut roster: Roster = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        if roster.servers.len() > MAX_SERVERS {
            return Err(format!(
                "{} servers is more than a roster holds (at most {MAX_SERVERS}): split it into \
                 several files",
                roster.servers.len()
            ));
        }
        // What serde can't see: which keys `[server.boot]` spells out (Options fills in the
        // rest with defaults, and would ignore a misspelt key).
        let raw: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        let raw_servers = raw.get("server").and_then(|s| s.as_array());
        let known = option_keys();
        for (i, entry) in roster.servers.iter_mut().enumerate() {
            let raw_entry = raw_servers
                .and_then(|s| s.get(i))
                .and_then(|e| e.as_table());
            check_entry(entry, raw_entry, &known)
                .map_err(|e| format!("[[server]] number {} ({:?}): {e}", i + 1, entry.addr))?;
        }
        Ok(roster)
    }

    /// The roster as TOML, without any password (see [`RosterEntry::boot`]); a booted entry's
    /// port and protocol are written as its `addr`'s port and its `protocol`. An entry that
    /// [`Roster::from_toml`] would refuse (a bad address, `auto_reboot` without `boot`) is an
    /// error here too, so that a saved file always loads.
    pub fn to_toml(&self) -> Result<String, String> {
        if self.servers.len() > MAX_SERVERS {
            return Err(format!(
                "{} servers is more than a roster holds (at most {MAX_SERVERS})",
                self.servers.len()
            ));
        }
        let mut saved = self.clone();
        for (i, entry) in saved.servers.iter_mut().enumerate() {
            // What loading would refuse is refused here, so that a saved file always loads.
            let at = |e: String| format!("server number {} ({:?}): {e}", i + 1, entry.addr);
            if entry.name.chars().count() > MAX_LINE_CHARS {
                return Err(at(format!(
                    "the name is longer than {MAX_LINE_CHARS} characters: shorten it"
                )));
            }
            let (_, port) = parse_addr(&entry.addr).map_err(|e| at(format!("addr: {e}")))?;
            let protocol = entry.protocol;
            if let Some(boot) = entry.boot.as_mut() {
                boot.port = port;
                boot.protocol = protocol;
                boot.password.clear();
                boot.remember_password = false;
            } else if entry.auto_reboot {
                return Err(at("auto_reboot needs boot options".into()));
            }
        }
        toml::to_string_pretty(&saved).map_err(|e| format!("cannot write the roster: {e}"))
    }

    /// Reads a session file; an error names the file.
    pub fn load(path: &Path) -> Result<Roster, String> {
        let name = path.display();
        let bytes = crate::files::read_bounded(path, MAX_FILE_BYTES, "session file")
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{name} is not text (UTF-8): not a session file?"))?;
        Roster::from_toml(&text).map_err(|e| format!("{name}: {e}"))
    }

    /// Writes the session file whole or not at all (a temporary file beside it, then a
    /// rename), without any password. An error names the file.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = self.to_toml()?;
        crate::files::write_atomic(path, text.as_bytes(), false, "roster")
            .map_err(|e| e.to_string())
    }

    /// Pasted text: one `host:port` per line (blank lines and `#` comments skipped, also at
    /// the end of a line; "host port", "host:port name words" allowed; a bare host means port
    /// 57110; `[::1]:57110` for IPv6). Good lines become entries (watching, UDP); each bad
    /// line gives (line number, a sentence saying what to fix).
    ///
    /// At most [`MAX_SERVERS`] entries: the line past that is reported and the rest ignored.
    /// At most 100 bad lines are listed; one more entry then says how many more there were.
    /// Text over 1 MiB gives no entries and one error (line 1).
    pub fn parse_list(text: &str) -> (Vec<RosterEntry>, Vec<(usize, String)>) {
        let mut good = Vec::new();
        let mut bad: Vec<(usize, String)> = Vec::new();
        if text.len() as u64 > MAX_FILE_BYTES {
            bad.push((
                1,
                format!(
                    "the text is {} bytes, more than a roster holds (at most 1 MiB): paste at \
                     most {MAX_SERVERS} servers",
                    text.len()
                ),
            ));
            return (good, bad);
        }
        let mut unlisted = 0usize;
        let mut first_unlisted = 0usize;
        for (i, line) in text.lines().enumerate() {
            let number = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if good.len() == MAX_SERVERS {
                bad.push((
                    number,
                    format!(
                        "a roster holds at most {MAX_SERVERS} servers: this line and the ones \
                         after it were left out"
                    ),
                ));
                return (good, bad);
            }
            match parse_line(line) {
                Ok(entry) => good.push(entry),
                Err(e) if bad.len() < MAX_BAD_LINES => bad.push((number, e)),
                Err(_) => {
                    if unlisted == 0 {
                        first_unlisted = number;
                    }
                    unlisted += 1;
                }
            }
        }
        if unlisted > 0 {
            bad.push((
                first_unlisted,
                format!("and {unlisted} more bad lines from here on, not listed one by one"),
            ));
        }
        (good, bad)
    }
}

/// A TOML error in one line, with the line it is on.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let line = e
        .span()
        .and_then(|s| text.get(..s.start))
        .map(|before| before.matches('\n').count() + 1);
    let message = e.message().trim_end();
    match line {
        Some(line) => format!("line {line}: {message}"),
        None => message.to_string(),
    }
}

/// Every key `[server.boot]` may have: what [`Options`] writes, and `executable` (left out
/// when unset).
fn option_keys() -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = toml::Table::try_from(Options::default())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    keys.extend(OPTIONS.iter().map(|d| d.key.to_string()));
    keys.insert("executable".into());
    keys
}

/// Checks one entry read from a file and fills its boot options' port and protocol in.
fn check_entry(
    entry: &mut RosterEntry,
    raw: Option<&toml::Table>,
    known_boot_keys: &BTreeSet<String>,
) -> Result<(), String> {
    if entry.name.chars().count() > MAX_LINE_CHARS {
        return Err(format!(
            "the name is longer than {MAX_LINE_CHARS} characters: shorten it"
        ));
    }
    let (_, port) = parse_addr(&entry.addr).map_err(|e| format!("addr: {e}"))?;
    let Some(boot) = entry.boot.as_mut() else {
        if entry.auto_reboot {
            return Err(
                "auto_reboot needs a [server.boot] table (only a server scpanel \
                        boots can be rebooted): add one or remove auto_reboot"
                    .into(),
            );
        }
        return Ok(());
    };
    let raw_boot = raw.and_then(|r| r.get("boot")).and_then(|b| b.as_table());
    if let Some(raw_boot) = raw_boot {
        if let Some(key) = raw_boot.keys().find(|k| !known_boot_keys.contains(*k)) {
            return Err(format!(
                "[server.boot] has an unknown key {key:?}: remove it or fix its spelling \
                 (the keys are those of `scpanel boot --help`, with _ for -)"
            ));
        }
        if raw_boot.contains_key("port") && boot.port != port {
            return Err(format!(
                "[server.boot] port = {} but addr's port is {port}: remove the boot port \
                 (a booted server listens on addr's port)",
                boot.port
            ));
        }
        if raw_boot.contains_key("protocol") {
            let entry_has = raw.is_some_and(|r| r.contains_key("protocol"));
            if entry_has && boot.protocol != entry.protocol {
                return Err(format!(
                    "protocol = {:?} but [server.boot] protocol = {:?}: keep one of them",
                    entry.protocol.as_str(),
                    boot.protocol.as_str()
                ));
            }
            entry.protocol = boot.protocol;
        }
    }
    boot.port = port;
    boot.protocol = entry.protocol;
    for def in OPTIONS {
        if let (Kind::Int { min, max }, Value::Int(v)) = (def.kind, (def.get)(boot))
            && (v < min || v > max)
        {
            return Err(format!(
                "[server.boot] {} = {v}: {} must be between {min} and {max}",
                def.key, def.label
            ));
        }
    }
    Ok(())
}

/// Splits `host:port` (or `[v6]:port`) as typed in a file; the port is required.
fn parse_addr(addr: &str) -> Result<(String, u16), String> {
    if addr.chars().count() > MAX_LINE_CHARS {
        return Err(format!(
            "longer than {MAX_LINE_CHARS} characters: write HOST:PORT"
        ));
    }
    if addr.trim().is_empty() {
        return Err("empty: write HOST:PORT, e.g. 127.0.0.1:57110".into());
    }
    if addr.trim() != addr || addr.contains(char::is_whitespace) {
        return Err(format!(
            "{addr:?} has spaces: write HOST:PORT, e.g. 127.0.0.1:57110"
        ));
    }
    match split_host(addr)? {
        (host, Some(port)) => Ok((host, port)),
        (_, None) => Err(format!(
            "{addr:?} has no port: write HOST:PORT, e.g. {addr}:{DEFAULT_PORT}"
        )),
    }
}

/// One token as `host[:port]`: the host (IPv6 in brackets) and the port if it has one.
fn split_host(token: &str) -> Result<(String, Option<u16>), String> {
    if let Some(rest) = token.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(|| {
            format!("{token:?} opens a [ but does not close it: write [::1]:{DEFAULT_PORT}")
        })?;
        inside.parse::<Ipv6Addr>().map_err(|_| {
            format!("{inside:?} is not an IPv6 address: write one such as [::1]:{DEFAULT_PORT}")
        })?;
        let host = format!("[{inside}]");
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(parse_port(port)?))),
                None => Err(format!(
                    "{token:?}: after ] comes :PORT, e.g. [{inside}]:{DEFAULT_PORT}"
                )),
            },
        };
    }
    if token.matches(':').count() > 1 {
        return Err(format!(
            "{token:?} looks like an IPv6 address: put it in brackets, e.g. [::1]:{DEFAULT_PORT}"
        ));
    }
    let (host, port) = match token.split_once(':') {
        Some((host, port)) => (host, Some(parse_port(port)?)),
        None => (token, None),
    };
    check_host(host)?;
    Ok((host.to_string(), port))
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!(
            "the port must be a number from 1 to 65535, not {text:?}"
        )),
    }
}

/// A host name or IPv4 address: letters, digits, `-`, `_` and `.`.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is missing: write HOST:PORT, e.g. 127.0.0.1:57110".into());
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.".contains(*c)))
    {
        return Err(format!(
            "{host:?} is not a host name ({c:?} is not allowed in one): write HOST:PORT, e.g. \
             127.0.0.1:57110"
        ));
    }
    Ok(())
}

/// A server's address as a person types it, `host:port`, `[v6]:port`, or a bare host for
/// scsynth's port: the one parser of addresses (pasted lists, "Add a server at", the CLI).
/// Returns the text to resolve, with its port.
pub fn host_and_port(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > MAX_LINE_CHARS {
        return Err(format!(
            "longer than {MAX_LINE_CHARS} characters: write HOST:PORT"
        ));
    }
    let (host, port) = split_host(text)?;
    let port = port.unwrap_or(DEFAULT_PORT);
    // An IPv6 host comes back in its brackets.
    Ok(format!("{host}:{port}"))
}

/// One pasted line (trimmed, not blank, not a comment) as an entry to watch.
fn parse_line(line: &str) -> Result<RosterEntry, String> {
    if line.chars().count() > MAX_LINE_CHARS {
        return Err(format!(
            "the line is longer than {MAX_LINE_CHARS} characters: one HOST:PORT per line"
        ));
    }
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or_default();
    let (host, port) = split_host(first)?;
    // A word starting with `#` begins a comment to the end of the line.
    let mut rest: Vec<&str> = words.take_while(|w| !w.starts_with('#')).collect();
    let port = match port {
        Some(p) => p,
        // "host port": a second word of digits is the port.
        None => match rest.first() {
            Some(w) if w.chars().all(|c| c.is_ascii_digit()) => {
                let p = parse_port(w)?;
                rest.remove(0);
                p
            }
            _ => DEFAULT_PORT,
        },
    };
    let mut entry = RosterEntry::watch(format!("{host}:{port}"));
    entry.name = rest.join(" ");
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../examples/classroom.toml");

    fn addrs(entries: &[RosterEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.addr.as_str()).collect()
    }

    #[test]
    fn an_address_as_typed_gets_the_default_port_when_it_has_none() {
        assert_eq!(
            host_and_port(" piano.local ").as_deref(),
            Ok("piano.local:57110")
        );
        assert_eq!(
            host_and_port("10.0.0.5:57111").as_deref(),
            Ok("10.0.0.5:57111")
        );
        assert_eq!(host_and_port("[::1]:57112").as_deref(), Ok("[::1]:57112"));
        assert!(host_and_port("a b").is_err());
        assert!(host_and_port("::1").is_err_and(|e| e.contains("brackets")));
        assert!(host_and_port("host:0").is_err());
    }

    #[test]
    fn roster_the_sample_file_loads() {
        let r = Roster::from_toml(SAMPLE).unwrap();
        assert!(r.servers.len() >= 3, "{r:?}");
        let booted: Vec<&RosterEntry> = r.servers.iter().filter(|e| e.boot.is_some()).collect();
        assert_eq!(booted.len(), 1, "{r:?}");
        assert!(!booted[0].name.is_empty());
        let port = parse_addr(&booted[0].addr).unwrap().1;
        assert_eq!(booted[0].boot.as_ref().unwrap().port, port);
        assert!(
            r.servers
                .iter()
                .filter(|e| e.boot.is_none())
                .all(|e| e.addr.starts_with("127.0.0.1:"))
        );
        // And through the file functions.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/classroom.toml");
        assert_eq!(Roster::load(&path).unwrap(), r);
    }

    #[test]
    fn roster_round_trips_through_toml_and_a_file() {
        let mut boot = Options {
            port: 57130,
            max_logins: 16,
            block_size: 128,
            device: "system".into(),
            boot_timeout: std::time::Duration::from_millis(2500),
            executable: Some("/usr/bin/scsynth".into()),
            ..Options::default()
        };
        boot.protocol = Protocol::Tcp;
        let r = Roster {
            servers: vec![
                RosterEntry::watch("127.0.0.1:57110"),
                RosterEntry {
                    name: "stage \"left\" ✓".into(),
                    addr: "[::1]:57120".into(),
                    protocol: Protocol::Tcp,
                    login: true,
                    boot: None,
                    auto_reboot: false,
                },
                RosterEntry {
                    name: "mine".into(),
                    addr: "localhost:57130".into(),
                    protocol: Protocol::Tcp,
                    login: true,
                    boot: Some(boot),
                    auto_reboot: true,
                },
            ],
        };
        let text = r.to_toml().unwrap();
        assert!(text.contains("protocol = \"tcp\""), "{text}");
        assert_eq!(Roster::from_toml(&text).unwrap(), r, "{text}");

        let dir = std::env::temp_dir().join(format!("scpanel-roster-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("classroom.toml");
        r.save(&path).unwrap();
        assert_eq!(Roster::load(&path).unwrap(), r);
        // Saved again over the old one; no temporary file is left behind.
        Roster::default().save(&path).unwrap();
        assert_eq!(Roster::load(&path).unwrap(), Roster::default());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "{left:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn roster_never_saves_a_password() {
        let mut r = Roster::default();
        let mut e = RosterEntry::watch("127.0.0.1:57110");
        e.protocol = Protocol::Tcp;
        e.boot = Some(Options {
            protocol: Protocol::Tcp,
            password: "s3cret".into(),
            remember_password: true,
            ..Options::default()
        });
        r.servers.push(e);
        let text = r.to_toml().unwrap();
        assert!(!text.contains("s3cret"), "{text}");
        let back = Roster::from_toml(&text).unwrap();
        assert!(back.servers[0].boot.as_ref().unwrap().password.is_empty());
        // The roster in memory keeps it (the GUI may be using it).
        assert_eq!(r.servers[0].boot.as_ref().unwrap().password, "s3cret");
    }

    #[test]
    fn roster_saves_only_what_it_can_load_again() {
        let mut e = RosterEntry::watch("127.0.0.1:57150");
        e.protocol = Protocol::Tcp;
        e.boot = Some(Options {
            port: 1,
            ..Options::default()
        });
        let r = Roster { servers: vec![e] };
        let back = Roster::from_toml(&r.to_toml().unwrap()).unwrap();
        let boot = back.servers[0].boot.as_ref().unwrap();
        assert_eq!((boot.port, boot.protocol), (57150, Protocol::Tcp));

        for (entry, says) in [
            (
                RosterEntry::watch("no port"),
                "server number 1 (\"no port\"): addr",
            ),
            (RosterEntry::watch(""), "addr: empty"),
            (
                RosterEntry {
                    auto_reboot: true,
                    ..RosterEntry::watch("127.0.0.1:1")
                },
                "auto_reboot needs boot options",
            ),
        ] {
            let err = Roster {
                servers: vec![entry],
            }
            .to_toml()
            .unwrap_err();
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn roster_entry_label_and_watch() {
        let mut e = RosterEntry::watch("10.0.0.5:57110");
        assert_eq!(
            (e.name.as_str(), e.protocol, e.login, e.boot.is_none()),
            ("", Protocol::Udp, false, true)
        );
        assert_eq!(e.label(), "10.0.0.5:57110");
        e.name = "front".into();
        assert_eq!(e.label(), "front");
    }

    #[test]
    fn roster_an_empty_file_is_an_empty_roster() {
        assert_eq!(Roster::from_toml("").unwrap(), Roster::default());
        assert_eq!(
            Roster::from_toml("# nothing yet\n").unwrap(),
            Roster::default()
        );
    }

    #[test]
    fn roster_file_errors_say_the_line_and_what_to_fix() {
        for (text, says) in [
            (
                "[[server]]\naddr = \"127.0.0.1:57110\"\nnmae = \"x\"\n",
                "line 3: unknown field `nmae`",
            ),
            ("colour = 1\n", "line 1: unknown field `colour`"),
            (
                "[[server]]\naddr = \"127.0.0.1:57110\"\nprotocol = \"sctp\"\n",
                "line 3",
            ),
            ("[[server]]\nname = \"x\"\n", "missing field `addr`"),
            (
                "[[server]]\naddr = \"127.0.0.1\"\n",
                "\"127.0.0.1\" has no port: write HOST:PORT, e.g. 127.0.0.1:57110",
            ),
            (
                "[[server]]\naddr = \"127.0.0.1:57110\"\n[[server]]\naddr = \"a b:1\"\n",
                "[[server]] number 2 (\"a b:1\"): addr: \"a b:1\" has spaces",
            ),
            (
                "[[server]]\naddr = \"127.0.0.1:99999\"\n",
                "the port must be a number from 1 to 65535",
            ),
            (
                "[[server]]\naddr = \"::1:57110\"\n",
                "put it in brackets, e.g. [::1]:57110",
            ),
            (
                "[[server]]\naddr = \"127.0.0.1:57110\"\n[server.boot]\nmax_login = 3\n",
                "[server.boot] has an unknown key \"max_login\"",
            ),
            (
                "[[server]]\naddr = \"127.0.0.1:57110\"\n[server.boot]\nport = 57111\n",
                "port = 57111 but addr's port is 57110",
            ),
            (
                "[[server]]\naddr = \"127.0.0.1:57110\"\n[server.boot]\nmax_logins = 99\n",
                "max_logins = 99: Max logins must be between 1 and 32",
            ),
            (
                "[[server]]\naddr = \"127.0.0.1:57110\"\nauto_reboot = true\n",
                "auto_reboot needs a [server.boot] table",
            ),
            ("[[server]\n", "line 1"),
        ] {
            let err = Roster::from_toml(text).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
            assert!(!err.contains('\n'), "one line: {err:?}");
        }
    }

    #[test]
    fn roster_boot_takes_the_entry_port_and_protocol() {
        let r = Roster::from_toml(
            "[[server]]\naddr = \"127.0.0.1:57199\"\nprotocol = \"tcp\"\n[server.boot]\n\
             max_logins = 4\n",
        )
        .unwrap();
        let boot = r.servers[0].boot.as_ref().unwrap();
        assert_eq!(
            (boot.port, boot.protocol, boot.max_logins),
            (57199, Protocol::Tcp, 4)
        );
        let r = Roster::from_toml(
            "[[server]]\naddr = \"127.0.0.1:57199\"\n[server.boot]\nprotocol = \"tcp\"\n",
        )
        .unwrap();
        assert_eq!(
            r.servers[0].protocol,
            Protocol::Tcp,
            "the boot table's protocol"
        );
        let err = Roster::from_toml(
            "[[server]]\naddr = \"127.0.0.1:57199\"\nprotocol = \"udp\"\n[server.boot]\n\
             protocol = \"tcp\"\n",
        )
        .unwrap_err();
        assert!(err.contains("keep one of them"), "{err}");
    }

    #[test]
    fn roster_limits_bound_files_and_rosters() {
        let entry = "[[server]]\naddr = \"127.0.0.1:57110\"\n";
        let ok = entry.repeat(MAX_SERVERS);
        assert_eq!(Roster::from_toml(&ok).unwrap().servers.len(), MAX_SERVERS);
        let err = Roster::from_toml(&entry.repeat(MAX_SERVERS + 1)).unwrap_err();
        assert!(
            err.contains("1025 servers") && err.contains("at most 1024"),
            "{err}"
        );
        let big = format!("# {}\n", "x".repeat(MAX_FILE_BYTES as usize));
        let err = Roster::from_toml(&big).unwrap_err();
        assert!(err.contains("at most 1048576"), "{err}");
        let long_name = format!(
            "[[server]]\naddr = \"127.0.0.1:1\"\nname = \"{}\"\n",
            "n".repeat(MAX_LINE_CHARS + 1)
        );
        assert!(
            Roster::from_toml(&long_name)
                .unwrap_err()
                .contains("shorten")
        );

        let dir = std::env::temp_dir().join(format!("scpanel-roster-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("huge.toml");
        std::fs::write(&path, &big).unwrap();
        let err = Roster::load(&path).unwrap_err();
        assert!(err.contains("huge.toml") && err.contains("1 MiB"), "{err}");
        let err = Roster::load(&dir.join("missing.toml")).unwrap_err();
        assert!(err.contains("missing.toml"), "{err}");
        std::fs::write(&path, [0xff, 0xfe, 0]).unwrap();
        let err = Roster::load(&path).unwrap_err();
        assert!(err.contains("huge.toml") && err.contains("UTF-8"), "{err}");
        std::fs::write(&path, "[[server]]\nport = 1\n").unwrap();
        let err = Roster::load(&path).unwrap_err();
        assert!(err.contains("huge.toml") && err.contains("line 2"), "{err}");
        // A pipe would wait for a writer for ever; a folder is no file.
        let fifo = dir.join("pipe.toml");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let started = std::time::Instant::now();
        let err = Roster::load(&fifo).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let said = format!(
            "{} is a named pipe (FIFO), not a session file",
            fifo.display()
        );
        assert!(err.contains(&said), "{err}");
        let err = Roster::load(&dir).unwrap_err();
        assert!(err.contains("is a folder, not a session file"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn roster_parse_list_reads_pasted_lines() {
        let text = "\
# the front row
127.0.0.1:57110
  10.0.0.5 57111   

piano.local
10.0.0.6:57112 back  row   # by the window
[::1]:57113
[fe80::1] 57114 v6 name
[::1]
host-2 # no name, only a comment
";
        let (good, bad) = Roster::parse_list(text);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            addrs(&good),
            [
                "127.0.0.1:57110",
                "10.0.0.5:57111",
                "piano.local:57110",
                "10.0.0.6:57112",
                "[::1]:57113",
                "[fe80::1]:57114",
                "[::1]:57110",
                "host-2:57110",
            ]
        );
        assert_eq!(good[3].name, "back row");
        assert_eq!(good[5].name, "v6 name");
        assert_eq!(good[7].name, "");
        assert_eq!(good[3].label(), "back row");
        assert_eq!(good[0].label(), "127.0.0.1:57110");
        assert!(
            good.iter()
                .all(|e| e.protocol == Protocol::Udp && !e.login && e.boot.is_none())
        );
        // Every pasted address is one a file accepts.
        let r = Roster { servers: good };
        assert_eq!(Roster::from_toml(&r.to_toml().unwrap()).unwrap(), r);
    }

    #[test]
    fn roster_parse_list_reports_bad_lines_by_number() {
        let text = format!(
            "127.0.0.1:57110\n\
             ::1:57110\n\
             host:port\n\
             10.0.0.5:0\n\
             [::1:57110\n\
             [zz]:1\n\
             [::1]x\n\
             ho/st:1\n\
             10.0.0.5 70000\n\
             {}\n\
             127.0.0.1:57111\n",
            "a".repeat(MAX_LINE_CHARS + 1)
        );
        let (good, bad) = Roster::parse_list(&text);
        assert_eq!(addrs(&good), ["127.0.0.1:57110", "127.0.0.1:57111"]);
        let lines: Vec<usize> = bad.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, (2..=10).collect::<Vec<_>>(), "{bad:?}");
        for (n, says) in [
            (2, "brackets"),
            (3, "not \"port\""),
            (4, "from 1 to 65535"),
            (5, "does not close"),
            (6, "not an IPv6 address"),
            (7, "after ] comes :PORT"),
            (8, "not a host name"),
            (9, "from 1 to 65535"),
            (10, "longer than 1000 characters"),
        ] {
            let (_, e) = bad.iter().find(|(l, _)| *l == n).unwrap();
            assert!(e.contains(says), "line {n}: {e}");
        }
    }

    #[test]
    fn roster_parse_list_is_bounded() {
        let text = "127.0.0.1:1\n".repeat(MAX_SERVERS + 5);
        let (good, bad) = Roster::parse_list(&text);
        assert_eq!(good.len(), MAX_SERVERS);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(bad[0].0, MAX_SERVERS + 1);
        assert!(bad[0].1.contains("at most 1024"), "{}", bad[0].1);

        let (good, bad) = Roster::parse_list(&"bad!line\n".repeat(500));
        assert!(good.is_empty());
        assert_eq!(bad.len(), MAX_BAD_LINES + 1);
        assert_eq!(bad[MAX_BAD_LINES].0, MAX_BAD_LINES + 1);
        assert!(bad[MAX_BAD_LINES].1.contains("and 400 more"), "{bad:?}");

        let (good, bad) = Roster::parse_list(&"#".repeat(MAX_FILE_BYTES as usize + 1));
        assert!(good.is_empty());
        assert!(bad[0].1.contains("1 MiB"), "{bad:?}");
    }
}
