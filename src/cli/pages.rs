//! `scpanel completions SHELL` and `scpanel man`: both are generated from [`super::command`],
//! the same definition the parser uses, so every flag (each boot option from the option
//! table among them) is completed and documented without a list of its own.

use std::io::Write;
use std::path::Path;

use clap::{Arg, ArgMatches, Command, value_parser};
use clap_complete::Shell;

pub fn completions_command() -> Command {
    Command::new("completions")
        .about(
            "Print a completion script for SHELL (e.g. `scpanel completions bash > \
             ~/.local/share/bash-completion/completions/scpanel`)",
        )
        .arg(
            Arg::new("shell")
                .required(true)
                .value_name("SHELL")
                .value_parser(value_parser!(Shell)),
        )
}

pub fn man_command() -> Command {
    Command::new("man")
        .about(
            "Print the manual page (roff; `scpanel man | man -l -`), or with --dir write \
             scpanel.1 and one page per subcommand into DIR",
        )
        .arg(
            Arg::new("dir")
                .long("dir")
                .value_name("DIR")
                .help("Write every page into this folder (it must exist) instead of printing"),
        )
}

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut super::command(), "scpanel", &mut out);
    out
}

/// scpanel(1) as roff.
pub fn man_page() -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::command())
        .render(&mut out)
        .map_err(|e| format!("cannot render the manual page: {e}"))?;
    Ok(out)
}

fn print(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        // `scpanel man | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write to stdout: {e}")),
    }
}

pub fn completions(m: &ArgMatches) -> Result<(), String> {
    let shell = m
        .get_one::<Shell>("shell")
        .copied()
        .ok_or("which shell? bash, zsh, fish, elvish or powershell")?;
    print(&completion_script(shell))
}

pub fn man(m: &ArgMatches) -> Result<(), String> {
    match m.get_one::<String>("dir") {
        Some(dir) => clap_mangen::generate_to(super::command(), Path::new(dir))
            .map_err(|e| format!("cannot write the manual pages into {dir}: {e}")),
        None => print(&man_page()?),
    }
}
