//! `scpanel completions SHELL` and `scpanel man`: both are generated from [`super::command::command`],
//! the same definition the parser uses, so every flag (each boot option from the option
//! table among them) is completed and documented without a list of its own.

use std::io::Write;
use std::path::Path;

use clap::ArgMatches;
use clap_complete::Shell;

/// The completion script for `shell`.
pub(crate) fn completion_script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut super::command::command(), "scpanel", &mut out);
    out
}

/// scpanel(1) as roff.
pub(crate) fn man_page() -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::command::command())
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

pub(crate) fn completions(m: &ArgMatches) -> Result<(), String> {
    let shell = m
        .get_one::<Shell>("shell")
        .copied()
        .ok_or("which shell? bash, zsh, fish, elvish or powershell")?;
    print(&completion_script(shell))
}

pub(crate) fn man(m: &ArgMatches) -> Result<(), String> {
    match m.get_one::<String>("dir") {
        Some(dir) => clap_mangen::generate_to(super::command::command(), Path::new(dir))
            .map_err(|e| format!("cannot write the manual pages into {dir}: {e}")),
        None => print(&man_page()?),
    }
}
