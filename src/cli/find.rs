//! `scpanel find`: servers announced over Zeroconf and, with `--scan`, those that answer
//! `/status` in a range of addresses. One line per server.

use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};

use scpanel_core::Protocol;
use scpanel_core::discover::{self, Browser, Found, MAX_RATE, ScanTargets};
use scpanel_core::osc::Seconds;
use scpanel_core::osc::printable;

/// How long `find` listens for announcements, and waits for the scan's last answers.
const FIND_TIMEOUT: Seconds = Seconds {
    min: 0.1,
    max: 60.0,
};
const DEFAULT_FIND_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for an announced server's `/status`.
const STATUS_TIMEOUT: Duration = Duration::from_secs(1);

pub(super) fn command() -> Command {
    Command::new("find")
        .about(
            "List the servers found on the network: those announced over Zeroconf (scsynth \
             -R 1), and with --scan those that answer /status in a range of addresses. One \
             line per server: name, address, protocol, how it was found, and its status",
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("SECONDS")
                .value_parser(super::args::seconds_arg(FIND_TIMEOUT, "--timeout"))
                .help(format!(
                    "Listen for announcements this long, and wait this long for the scan's \
                     last answers ({} to {} s, default {})",
                    FIND_TIMEOUT.min,
                    FIND_TIMEOUT.max,
                    DEFAULT_FIND_TIMEOUT.as_secs()
                )),
        )
        .arg(
            Arg::new("scan")
                .long("scan")
                .value_name("TARGETS")
                .value_parser(|t: &str| t.parse::<ScanTargets>())
                .help(format!(
                    "Also send /status (UDP) to every address of TARGETS, an IPv4 host or \
                     network and ports: 192.168.1.0/24:57110-57120, 10.0.0.7 (port {}). At \
                     most {} probes; only scan networks you are allowed to",
                    scpanel_core::DEFAULT_PORT,
                    discover::MAX_PROBES
                )),
        )
        .arg(
            Arg::new("rate")
                .long("rate")
                .value_name("N")
                .requires("scan")
                .default_value("100")
                .value_parser(clap::value_parser!(u32).range(1..=i64::from(MAX_RATE)))
                .help(format!("Probes a second for --scan (1 to {MAX_RATE})")),
        )
        .arg(
            Arg::new("no-zeroconf")
                .long("no-zeroconf")
                .action(ArgAction::SetTrue)
                .requires("scan")
                .help("Do not browse Zeroconf: only scan"),
        )
}

pub(super) async fn run(m: &ArgMatches) -> Result<(), String> {
    let timeout = m
        .get_one::<Duration>("timeout")
        .copied()
        .unwrap_or(DEFAULT_FIND_TIMEOUT);
    let targets = m.get_one::<ScanTargets>("scan").cloned();
    let rate = m.get_one::<u32>("rate").copied().unwrap_or(100);
    // Refused before anything is sent or listened for.
    if let Some(t) = &targets {
        t.check()?;
    }
    let browser = if m.get_flag("no-zeroconf") {
        None
    } else {
        match Browser::start() {
            Ok(b) => Some(b),
            // A scan can still run without multicast.
            Err(e) if targets.is_some() => {
                eprintln!("scpanel: {}", printable(&e));
                None
            }
            Err(e) => return Err(e),
        }
    };
    let work = async {
        let scanning = async {
            match targets.clone() {
                Some(t) => discover::scan(t, rate, timeout).await,
                None => Ok(Vec::new()),
            }
        };
        let listening = async {
            if browser.is_some() {
                // Announcements come in while we listen.
                tokio::time::sleep(timeout).await;
            }
        };
        let (scanned, ()) = tokio::join!(scanning, listening);
        let announced = match &browser {
            Some(b) => discover::probe_status(b.found(), STATUS_TIMEOUT.min(timeout)).await?,
            None => Vec::new(),
        };
        Ok::<_, String>(merge(announced, scanned?))
    };
    let found = tokio::select! {
        r = work => r?,
        _ = tokio::signal::ctrl_c() => return Err("interrupted".into()),
    };
    for f in &found {
        println!("{}", line(f));
    }
    if let Some(dropped) = browser.as_ref().map(Browser::dropped).filter(|d| *d > 0) {
        eprintln!(
            "scpanel: {dropped} more announcements were left out (at most {} are listed)",
            discover::MAX_FOUND
        );
    }
    if found.is_empty() {
        let how = match (&browser, &targets) {
            (Some(_), Some(t)) => format!("announced or answering in {t}"),
            (Some(_), None) => "announced (add --scan to look for servers that are not)".into(),
            (None, Some(t)) => format!("answering in {t}"),
            (None, None) => String::new(),
        };
        return Err(format!(
            "no server found {how} within {} s",
            timeout.as_secs_f64()
        ));
    }
    Ok(())
}

/// The announced servers, then the scanned ones that were not announced; an announced
/// server that was also scanned takes the scan's status if it had none.
fn merge(mut announced: Vec<Found>, scanned: Vec<Found>) -> Vec<Found> {
    let mut rest = Vec::new();
    for s in scanned {
        let same = announced
            .iter_mut()
            .find(|a| a.protocol == Protocol::Udp && s.addrs.iter().any(|x| a.addrs.contains(x)));
        match same {
            Some(a) => {
                if a.status.is_none() {
                    a.status = s.status;
                }
            }
            None => rest.push(s),
        }
    }
    announced.extend(rest);
    announced
}

/// `NAME  ADDRESS  PROTOCOL  VIA  STATUS`: an announced server's name says its host; a
/// scanned one has no name, so its host stands in.
fn line(f: &Found) -> String {
    let name = match f.via {
        discover::Via::Zeroconf => format!("{} on {}", f.name, f.host),
        discover::Via::Scan => f.host.clone(),
    };
    let addr = f.addr().map_or_else(|| "-".to_string(), |a| a.to_string());
    let status = match (&f.status, f.protocol) {
        (Some(s), _) => s.to_string(),
        // A bare probe would abort a TCP server that has a password.
        (None, Protocol::Tcp) => "status not asked (TCP)".to_string(),
        (None, Protocol::Udp) => "no answer to /status".to_string(),
    };
    format!(
        "{}  {addr}  {}  {}  {status}",
        printable(&name),
        f.protocol.as_str(),
        f.via.as_str()
    )
}
