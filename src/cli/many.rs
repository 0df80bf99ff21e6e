//! `status` with several `--addr`s or a `--session` file, and `watch`: one table row per
//! server (a named session entry shows as `name (address)`). Every server is asked on its
//! own task with its own time-out, so a silent one delays nobody; nothing logs in (unless
//! `status --login` asks for it; a session entry's `login` is for the window), so watching
//! takes no login slot.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use scpanel_core::Protocol;
use scpanel_core::StatusInfo;
use scpanel_core::osc::printable;
use scpanel_core::{ConnectOptions, Server, ServerError};

/// One server to ask: an `--addr`, or an entry of a `--session` file.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// The entry's name (empty for an `--addr`): the row shows `name (addr)`.
    pub name: String,
    /// `HOST:PORT` as typed.
    pub addr: String,
    /// `--tcp` for an `--addr`; the entry's own for a session entry.
    pub protocol: Protocol,
}

/// The most characters of a name a row shows (the table stays readable).
const NAME_CHARS: usize = 24;

impl Target {
    /// What a row and a message show: the address, or `name (address)` with a long name
    /// cut short.
    fn label(&self) -> String {
        let name = self.name.trim();
        if name.is_empty() {
            return self.addr.clone();
        }
        let name: String = if name.chars().count() > NAME_CHARS {
            name.chars().take(NAME_CHARS - 1).chain(['…']).collect()
        } else {
            name.to_string()
        };
        format!("{name} ({})", self.addr)
    }
}

/// How every server is reached: the same flags apply to each one.
#[derive(Clone)]
pub(super) struct Link {
    pub password: Option<String>,
    pub login: bool,
    /// How long one server may take to answer before it counts as not answering.
    pub timeout: Duration,
}

/// What is known about one server.
#[derive(Debug, Clone)]
enum Seen {
    /// Not asked yet (watch's first round is still under way).
    Waiting,
    Online(StatusInfo),
    /// Has not answered since we started.
    NoAnswer(String),
    /// Answered before, then stopped.
    Offline {
        since: Instant,
        reason: String,
    },
}

impl Seen {
    fn answered(&self) -> bool {
        matches!(self, Seen::Online(_))
    }
}

/// One server's row: what was typed or read (escaped when printed) and its state.
#[derive(Debug, Clone)]
struct Row {
    /// The address, or `name (address)` for a named session entry.
    label: String,
    seen: Seen,
}

/// `scpanel status --addr A --addr B …`: asks every server at once, prints the table, and
/// fails naming the servers that did not answer.
pub(super) async fn status(targets: Vec<Target>, link: Link) -> Result<(), String> {
    let tasks: Vec<_> = targets
        .iter()
        .map(|t| {
            let (t, link) = (t.clone(), link.clone());
            tokio::spawn(async move { ask_once(&t, &link).await })
        })
        .collect();
    let mut rows = Vec::with_capacity(targets.len());
    for (target, task) in targets.iter().zip(tasks) {
        let seen = match task.await {
            Ok(Ok(s)) => Seen::Online(s),
            Ok(Err(reason)) => Seen::NoAnswer(reason),
            Err(e) => Seen::NoAnswer(format!("internal error: {e}")),
        };
        rows.push(Row {
            label: target.label(),
            seen,
        });
    }
    // A closed pipe (`| head`) is not an error of the servers'.
    let _ = std::io::stdout().lock().write_all(table(&rows).as_bytes());
    let silent: Vec<&Row> = rows.iter().filter(|r| !r.seen.answered()).collect();
    for r in &silent {
        if let Seen::NoAnswer(reason) = &r.seen {
            eprintln!(
                "scpanel: {}: no answer: {}",
                printable(&r.label),
                printable(reason)
            );
        }
    }
    if silent.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} of {} servers did not answer: {}",
        silent.len(),
        rows.len(),
        silent
            .iter()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// `scpanel watch`: a task per server asks for `/status` every `interval` over a watch-only
/// link of its own (opened again after the server went away); the table is printed every
/// `interval` until SIGINT, SIGTERM or SIGHUP, which end it with success.
pub(super) async fn watch(
    targets: Vec<Target>,
    link: Link,
    interval: Duration,
    traffic: crate::traffic::TrafficMode,
) -> Result<(), String> {
    let mut signals = crate::signals::Signals::install()
        .map_err(|e| format!("cannot listen for signals: {e}"))?;
    let (tx, mut rx) = tokio::sync::watch::channel(vec![Seen::Waiting; targets.len()]);
    // Tonight's show: every server watched, kept by the flight recorder.
    let flight = tokio::task::spawn_blocking(|| crate::flight::Flight::start(None))
        .await
        .ok()
        .flatten();
    if let Some(why) = flight.as_ref().and_then(crate::flight::Flight::error) {
        eprintln!("scpanel: {why}");
    }
    // A watch left running for days keeps the folder within the retention too.
    if let Some(f) = &flight {
        f.prune_hourly();
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, target) in targets.iter().enumerate() {
        let (target, link, tx) = (target.clone(), link.clone(), tx.clone());
        let record = flight.clone().map(|f| {
            let protocol = target.protocol.as_str();
            let id = f.add_server(&target.name, &target.addr, protocol, false);
            (f, id)
        });
        tasks.spawn(
            async move { keep_asking(i, &target, &link, interval, &tx, record, traffic).await },
        );
    }
    // What was heard goes to disk before the command ends.
    let flush = move || {
        if let Some(f) = flight {
            let _ = f.flush();
        }
    };
    let terminal = std::io::stdout().is_terminal();
    // The first table waits for every server's first answer or time-out, so that it is
    // complete; each server's time-out bounds that.
    tokio::select! {
        _ = rx.wait_for(|seen| seen.iter().all(|s| !matches!(s, Seen::Waiting))) => {}
        _ = tokio::time::sleep(link.timeout + Duration::from_secs(1)) => {}
        _ = signals.recv() => return Ok(()),
    }
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = signals.recv() => {
                // Dropping the tasks closes their watch-only links: nothing to undo.
                tasks.abort_all();
                let _ = tokio::task::spawn_blocking(flush).await;
                return Ok(());
            }
            _ = tick.tick() => {
                let rows: Vec<Row> = targets
                    .iter()
                    .zip(rx.borrow_and_update().iter())
                    .map(|(t, s)| Row { label: t.label(), seen: s.clone() })
                    .collect();
                let mut text = String::new();
                if terminal {
                    // Home and clear, then the table: a redraw in place.
                    text.push_str("\x1b[H\x1b[2J");
                }
                text.push_str(&table(&rows));
                if terminal {
                    text.push_str(&format!(
                        "\nevery {} s; Ctrl-C quits\n",
                        interval.as_secs_f64()
                    ));
                } else {
                    text.push('\n');
                }
                let mut out = std::io::stdout().lock();
                if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
                    // Whoever read the tables went away.
                    tasks.abort_all();
                    drop(out);
                    let _ = tokio::task::spawn_blocking(flush).await;
                    return Ok(());
                }
            }
        }
    }
}

/// One server's loop for `watch`: a link kept open while the server answers.
async fn keep_asking(
    i: usize,
    target: &Target,
    link: &Link,
    interval: Duration,
    tx: &tokio::sync::watch::Sender<Vec<Seen>>,
    record: Option<(crate::flight::Flight, scpanel_core::journal::ServerId)>,
    traffic: crate::traffic::TrafficMode,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut server: Option<Server> = None;
    loop {
        tick.tick().await;
        let answer = match &server {
            Some(s) => match tokio::time::timeout(link.timeout, s.status()).await {
                Ok(Ok(status)) => Ok(status),
                Ok(Err(e)) => Err(short_reason(&e)),
                Err(_) => Err(no_reply(link.timeout)),
            },
            None => match open(target, link).await {
                Ok(s) => {
                    if let Some((f, id)) = &record
                        && traffic.is_on()
                    {
                        f.record_traffic(&s, *id, crate::flight::TrafficSwitch::new(traffic));
                    }
                    let status = tokio::time::timeout(link.timeout, s.status()).await;
                    server = Some(s);
                    match status {
                        Ok(Ok(status)) => Ok(status),
                        Ok(Err(e)) => Err(short_reason(&e)),
                        Err(_) => Err(no_reply(link.timeout)),
                    }
                }
                Err(reason) => Err(reason),
            },
        };
        if answer.is_err() {
            // A fresh link next time: the old one may be to a server that is gone.
            if let Some(s) = server.take() {
                close(s).await;
            }
        }
        if let Some((f, id)) = &record {
            let was_online = matches!(tx.borrow()[i], Seen::Online(_));
            match &answer {
                Ok(status) => {
                    if !was_online {
                        f.event(*id, scpanel_core::journal::Event::Online);
                    }
                    f.status(*id, status);
                }
                Err(reason) if was_online => f.event(
                    *id,
                    scpanel_core::journal::Event::Crashed {
                        reason: format!("stopped answering: {reason}"),
                    },
                ),
                Err(_) => {}
            }
        }
        tx.send_modify(|seen| {
            seen[i] = match (answer, &seen[i]) {
                (Ok(status), _) => Seen::Online(status),
                (Err(reason), Seen::Online(_)) => Seen::Offline {
                    since: Instant::now(),
                    reason,
                },
                (Err(reason), Seen::Offline { since, .. }) => Seen::Offline {
                    since: *since,
                    reason,
                },
                (Err(reason), _) => Seen::NoAnswer(reason),
            };
        });
    }
}

/// One `/status` from a server over a link opened for it and closed again.
async fn ask_once(target: &Target, link: &Link) -> Result<StatusInfo, String> {
    let server = open(target, link).await?;
    let status = match tokio::time::timeout(link.timeout, server.status()).await {
        Ok(Ok(status)) => Ok(status),
        Ok(Err(e)) => Err(short_reason(&e)),
        Err(_) => Err(no_reply(link.timeout)),
    };
    close(server).await;
    status
}

/// A connected handle (watch-only unless `link.login`), within the link's time-out.
async fn open(target: &Target, link: &Link) -> Result<Server, String> {
    let server = Server::new();
    let work = async {
        let addrs = resolve(&target.addr).await?;
        let mut options = ConnectOptions::new(addrs[0]);
        options.login = link.login;
        options.monitor = false;
        options.protocol = target.protocol;
        options.password = link.password.clone();
        server
            .connect_any(&mut options, &addrs)
            .await
            .map_err(|e| short_reason(&e))
    };
    match tokio::time::timeout(link.timeout, work).await {
        Ok(Ok(())) => Ok(server),
        Ok(Err(reason)) => Err(reason),
        // The half-made link goes with the handle.
        Err(_) => Err(no_reply(link.timeout)),
    }
}

/// Logs out (when logged in) and closes; a watch-only link just closes.
async fn close(server: Server) {
    if server.attachment().is_some() {
        let _ = tokio::time::timeout(Duration::from_secs(1), server.disconnect()).await;
    }
}

/// Every address a `HOST:PORT` stands for, in the resolver's order, without repeats.
async fn resolve(text: &str) -> Result<Vec<SocketAddr>, String> {
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in tokio::net::lookup_host(text)
        .await
        .map_err(|e| format!("bad address: {e} (use HOST:PORT)"))?
    {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    if addrs.is_empty() {
        return Err("no address found".into());
    }
    Ok(addrs)
}

fn no_reply(after: Duration) -> String {
    format!("no reply within {} s", after.as_secs_f64())
}

/// The reason a row shows: the error without its advice (stderr has the whole sentence).
fn short_reason(e: &ServerError) -> String {
    match e {
        ServerError::Unreachable { reason, .. } => match reason.split_once(':') {
            // "no reply to /status within 1500 ms: the server may be busy or gone"
            Some((head, _)) if head.starts_with("no reply") => head.to_string(),
            _ => reason.clone(),
        },
        ServerError::Timeout { request, after } => {
            format!("no reply to {request} within {} ms", after.as_millis())
        }
        other => other.to_string(),
    }
}

const HEADER: [&str; 10] = [
    "ADDRESS",
    "STATE",
    "CPU AVG",
    "CPU PEAK",
    "UGENS",
    "SYNTHS",
    "GROUPS",
    "SYNTHDEFS",
    "SAMPLE RATE (NOMINAL/ACTUAL)",
    "NOTE",
];

/// The table: a header, then a row per server in the order given. Columns are as wide as
/// their widest cell; text is escaped for the terminal, the note (last) is not padded.
fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 10]> = rows.iter().map(cells).collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |row: &[String; 10], out: &mut String| {
        let mut text = String::new();
        for (col, cell) in row.iter().enumerate() {
            let pad = widths[col].saturating_sub(cell.chars().count());
            match col {
                0 | 1 => {
                    text.push_str(cell);
                    text.push_str(&" ".repeat(pad));
                }
                9 => text.push_str(cell),
                _ => {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                }
            }
            if col < 9 {
                text.push_str("  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&HEADER.map(str::to_string), &mut out);
    for row in &cells {
        line(row, &mut out);
    }
    out
}

fn cells(row: &Row) -> [String; 10] {
    let addr = printable(&row.label).into_owned();
    let dash = || "-".to_string();
    match &row.seen {
        Seen::Online(s) => [
            addr,
            "online".into(),
            format!("{:.2}%", s.average_cpu),
            format!("{:.2}%", s.peak_cpu),
            s.ugens.to_string(),
            s.synths.to_string(),
            s.groups.to_string(),
            s.synthdefs.to_string(),
            format!("{:.0}/{:.3}", s.nominal_sample_rate, s.actual_sample_rate),
            String::new(),
        ],
        other => {
            let (state, note) = match other {
                Seen::Waiting => ("waiting", "asking…".to_string()),
                Seen::NoAnswer(reason) => ("no answer", reason.clone()),
                Seen::Offline { since, reason } => (
                    "offline",
                    format!("for {} s: {reason}", since.elapsed().as_secs()),
                ),
                Seen::Online(_) => unreachable!(),
            };
            [
                addr,
                state.into(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                printable(&note).into_owned(),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> StatusInfo {
        StatusInfo {
            ugens: 12,
            synths: 3,
            groups: 5,
            synthdefs: 100,
            average_cpu: 1.5,
            peak_cpu: 12.25,
            nominal_sample_rate: 48000.0,
            actual_sample_rate: 48000.123,
        }
    }

    #[test]
    fn the_table_has_a_row_per_server_in_order_with_aligned_columns() {
        let rows = [
            Row {
                label: "127.0.0.1:57110".into(),
                seen: Seen::Online(status()),
            },
            Row {
                label: "host\x1b[2J:1".into(),
                seen: Seen::NoAnswer("no reply\nwithin 1 s".into()),
            },
        ];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("ADDRESS"), "{text}");
        assert!(
            lines[1].starts_with("127.0.0.1:57110  online") && lines[1].contains("48000/48000.123"),
            "{text}"
        );
        assert!(lines[2].contains("no answer"), "{text}");
        assert!(!text.contains('\x1b'), "escaped for the terminal: {text:?}");
        assert!(text.contains("host\\e[2J:1"), "{text}");
        assert!(text.contains("no reply\\nwithin 1 s"), "{text}");
        // The state column starts at the same place on every line.
        let at = |l: &str, w: &str| l.find(w).unwrap();
        assert_eq!(at(lines[0], "STATE"), at(lines[1], "online"));
        assert_eq!(at(lines[0], "STATE"), at(lines[2], "no answer"));
    }

    #[test]
    fn a_named_server_shows_its_name_then_its_address() {
        let t = |name: &str| Target {
            name: name.into(),
            addr: "127.0.0.1:57110".into(),
            protocol: Protocol::Udp,
        };
        assert_eq!(t("").label(), "127.0.0.1:57110");
        assert_eq!(t("  ").label(), "127.0.0.1:57110");
        assert_eq!(t("front row").label(), "front row (127.0.0.1:57110)");
        let long = t(&"n".repeat(100)).label();
        assert_eq!(
            long,
            format!("{}… (127.0.0.1:57110)", "n".repeat(NAME_CHARS - 1))
        );
    }

    #[test]
    fn a_timeout_is_short_in_the_row() {
        let e = ServerError::Unreachable {
            addr: "udp://127.0.0.1:1".into(),
            reason: "no reply to /status within 1500 ms: the server may be busy or gone".into(),
        };
        assert_eq!(short_reason(&e), "no reply to /status within 1500 ms");
    }
}
