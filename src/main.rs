use std::process::ExitCode;

fn main() -> ExitCode {
    match scpanel::cli::run(std::env::args_os()) {
        Some(code) => code,
        None => match scpanel::gui::run(scpanel::cli::window_args(std::env::args_os())) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("scpanel: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
