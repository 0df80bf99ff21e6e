//! The flight recorder's shows from the command line: `scpanel shows` lists them, `shows
//! summary` and `shows export` read one (by id or file; CSV files, a PNG of its timeline, or
//! both), `scpanel mark TEXT` marks the show being recorded now (the window's or `scpanel
//! watch`'s).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Arg, ArgGroup, ArgMatches, Command};

use scpanel_core::clock;
use scpanel_core::journal::{Show, ShowInfo, list_shows, mark_live};

use crate::timeline::{self, Timeline};

pub(super) fn folder_arg() -> Arg {
    Arg::new("folder")
        .long("folder")
        .value_name("DIR")
        .value_parser(clap::value_parser!(PathBuf))
        .help("The folder of shows (default: the data folder's scpanel/shows)")
}

pub(super) fn show_arg() -> Arg {
    Arg::new("show")
        .required(true)
        .value_name("ID|FILE")
        .help("A show's id (or its first 8 characters), or a show file someone sent you")
}

pub(super) fn shows_command() -> Command {
    Command::new("shows")
        .about("The flight recorder's shows: each run of the window or of `scpanel watch`, with its servers' CPU, events and marks")
        .arg(folder_arg())
        .subcommand(
            Command::new("summary")
                .about("One show in a few lines: its peak CPU and when, xruns, crashes, marks")
                .arg(show_arg())
                .arg(folder_arg()),
        )
        .subcommand(
            Command::new("export")
                .about("One show as CSV files (its status samples and events) or as a PNG of its timeline")
                .arg(show_arg())
                .arg(folder_arg())
                .arg(
                    Arg::new("csv")
                        .long("csv")
                        .value_name("DIR")
                        .value_parser(clap::value_parser!(PathBuf))
                        .help("Where the two CSV files go"),
                )
                .arg(
                    Arg::new("png")
                        .long("png")
                        .value_name("FILE")
                        .value_parser(clap::value_parser!(PathBuf))
                        .help("A PNG of the whole show's timeline: each server's CPU, its events and the marks"),
                )
                .arg(
                    Arg::new("width")
                        .long("width")
                        .value_name("PX")
                        .default_value("1600")
                        .value_parser(clap::value_parser!(u32))
                        .help(format!(
                            "The PNG's width in pixels ({} to {})",
                            timeline::png::WIDTHS.start(),
                            timeline::png::WIDTHS.end()
                        )),
                )
                .arg(
                    Arg::new("height")
                        .long("height")
                        .value_name("PX")
                        .default_value("600")
                        .value_parser(clap::value_parser!(u32))
                        .help(format!(
                            "The PNG's height in pixels ({} to {})",
                            timeline::png::HEIGHTS.start(),
                            timeline::png::HEIGHTS.end()
                        )),
                )
                // Either or both: one reading of the show serves the two.
                .group(
                    ArgGroup::new("what")
                        .args(["csv", "png"])
                        .required(true)
                        .multiple(true),
                ),
        )
}

pub(super) fn mark_command() -> Command {
    Command::new("mark")
        .about("Set a mark, now, in the show being recorded (by the window or `scpanel watch`)")
        .arg(
            Arg::new("text")
                .value_name("TEXT")
                .num_args(0..)
                .help("What the mark says"),
        )
        .arg(folder_arg())
}

fn folder(m: &ArgMatches) -> Result<PathBuf, String> {
    m.get_one::<PathBuf>("folder")
        .cloned()
        .or_else(crate::flight::shows_folder)
        .ok_or_else(|| "no folder for shows: give one with --folder DIR".to_string())
}

pub(super) fn open(m: &ArgMatches) -> Result<Show, String> {
    let which = m.get_one::<String>("show").map_or("", String::as_str);
    let path = Path::new(which);
    let show = if path.is_file() {
        Show::open(path)
    } else {
        Show::open_id(&folder(m)?, which)
    };
    show.map_err(|e| e.to_string())
}

fn length(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn row(s: &ShowInfo) -> String {
    let servers = s
        .servers
        .iter()
        .map(|r| {
            if r.name.is_empty() {
                r.address.clone()
            } else {
                r.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let peak = s
        .peak_cpu
        .map_or("-".to_string(), |(p, _, _)| format!("{p:.0} %"));
    format!(
        "{}  {} {}  {:>8}  peak {:>5}  xruns {:>3}  crashes {:>2}{}  {}",
        // A show someone sent is another program's file: its id is cut by characters.
        s.id.chars().take(8).collect::<String>(),
        clock::file_stamp(s.started),
        clock::hours_minutes(s.started),
        length(s.length()),
        peak,
        s.xruns,
        s.crashes,
        if s.live { "  (recording)" } else { "" },
        servers
    )
}

/// `shows`, `shows summary`, `shows export`.
pub(super) fn shows(m: &ArgMatches) -> Result<(), String> {
    match m.subcommand() {
        Some(("summary", sub)) => {
            let show = open(sub)?;
            println!("{}", row(show.info()));
            println!("{}", show.summary().map_err(|e| e.to_string())?);
            Ok(())
        }
        Some(("export", sub)) => {
            let png = sub.get_one::<PathBuf>("png");
            let width = sub.get_one::<u32>("width").copied().unwrap_or(1600);
            let height = sub.get_one::<u32>("height").copied().unwrap_or(600);
            // A size out of bounds is said before anything is read or written (not after
            // the CSV files).
            if png.is_some() {
                timeline::png::check_size(width, height).map_err(|e| e.to_string())?;
            }
            let show = open(sub)?;
            if let Some(dir) = sub.get_one::<PathBuf>("csv") {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("can't make {}: {e}", dir.display()))?;
                let (samples, events) = show.export_csv(dir).map_err(|e| e.to_string())?;
                println!("{}\n{}", samples.display(), events.display());
            }
            if let Some(file) = png {
                let timeline = Timeline::load(&show).map_err(|e| e.to_string())?;
                timeline::png::write(&timeline, (0.0, timeline.length), (width, height), file)
                    .map_err(|e| e.to_string())?;
                println!("{}", file.display());
            }
            Ok(())
        }
        _ => {
            let folder = folder(m)?;
            let shows = list_shows(&folder).map_err(|e| e.to_string())?;
            if shows.is_empty() {
                println!("no shows in {}", folder.display());
            }
            for s in &shows {
                println!("{}", row(s));
            }
            Ok(())
        }
    }
}

/// `mark TEXT`.
pub(super) fn mark(m: &ArgMatches) -> Result<(), String> {
    let text = m
        .get_many::<String>("text")
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let path = mark_live(&folder(m)?, &text).map_err(|e| e.to_string())?;
    println!("marked {}", path.display());
    Ok(())
}
