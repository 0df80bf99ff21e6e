//! The desktop control panel (eframe + egui). It never opens a socket: panels push
//! [`actions::Action`]s, the app runs them against a [`session::Session`] on the
//! [`bridge::Bridge`]'s runtime, and panels draw the snapshots the core publishes.

pub mod actions;
pub mod announce;
pub mod app;
pub mod boot_panel;
pub mod bridge;
pub mod buffers_panel;
pub mod connect_panel;
pub mod console;
pub mod found;
pub mod join_box;
pub mod keys;
pub mod log_panel;
pub mod mixer_panel;
pub mod plots;
pub mod profiles;
pub mod session;
pub mod status_bar;
pub mod theme;
pub mod tree_panel;
pub mod wall;

pub use app::ScPanel;

/// Opens the control panel window and runs until it is closed.
/// With `session`, the roster's servers are added to the wall, which opens first.
pub fn run(session: Option<std::path::PathBuf>) -> Result<(), String> {
    let (options, unusable) = match profiles::load_last() {
        Ok(o) => (o, None),
        Err(e) => (crate::server::Options::default(), Some(e)),
    };
    let mut app = ScPanel::new(options)?;
    if let Some(path) = session {
        app.load_roster(&path.display().to_string());
        app.wall.roster_path = path.display().to_string();
        app.tab = app::Tab::Servers;
    }
    if let Some(e) = unusable {
        app.session()
            .notice("The last options could not be used", e, true);
    }
    // Without the handlers the app still runs; the servers' parent-death signal remains.
    if let Err(e) = app.handle_signals() {
        eprintln!("scpanel: {e}");
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("scpanel")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native("scpanel", options, Box::new(move |_cc| Ok(Box::new(app))))
        .map_err(|e| format!("the window could not open: {e}"))
}
