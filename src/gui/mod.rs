//! The desktop control panel (eframe + egui). It never opens a socket: panels push
//! [`actions::Action`]s, the app runs them against a [`session::Session`] on the
//! [`bridge::Bridge`]'s runtime, and panels draw the snapshots the core publishes.

pub mod actions;
pub(crate) mod announce;
pub mod app;
pub mod bridge;
/// The Flow tab's data (read on the runtime), apart from its drawing.
pub mod flow_view;
pub(crate) mod format;
pub mod hover;
pub(crate) mod icons;
pub mod keys;
pub mod panels;
pub mod profiles;
pub mod render;
pub(crate) mod scope_feed;
pub mod session;
pub(crate) mod theme;
pub(crate) mod traffic_text;
pub(crate) mod tree_view;
pub mod widgets;

pub use app::{ScPanel, Tab};

/// The window's application id: the name of the .desktop file (`assets/scpanel.desktop`,
/// installed as /usr/share/applications/scpanel.desktop), so a Wayland compositor or an X11
/// taskbar (WM_CLASS) finds the menu entry and its icon.
pub const APP_ID: &str = "scpanel";

/// The window's icon: the 256 px PNG drawn for scpanel (`assets/icons/`).
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icons/scpanel-256.png");

/// [`ICON_PNG`] decoded; `None` (the platform's default icon) if it could not be.
pub fn icon() -> Option<egui::IconData> {
    eframe::icon_data::from_png_bytes(ICON_PNG).ok()
}

/// Opens the control panel window and runs until it is closed.
/// With `session`, the roster's servers are added to the wall, which opens first.
pub fn run(args: crate::cli::WindowArgs) -> Result<(), String> {
    let session = args.session;
    let (options, unusable) = match profiles::load_last() {
        Ok(o) => (o, None),
        Err(e) => (scpanel_core::Options::default(), Some(e)),
    };
    let mut app = ScPanel::new(options)?;
    app.set_traffic_default(args.traffic);
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
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("scpanel")
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 800.0]);
    if let Some(icon) = icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        // Noise per pixel against banding in gradients, which this window has none of; under
        // software GL it was a good part of every frame's cost (scripts/bench-draw.sh).
        dithering: false,
        ..Default::default()
    };
    eframe::run_native(
        "scpanel",
        options,
        Box::new(move |cc| {
            render::software_gl::adapt(cc);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| format!("the window could not open: {e}"))
}
