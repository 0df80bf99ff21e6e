//! The desktop control panel (eframe + egui). It never opens a socket: it sends commands to
//! the server core and draws the snapshots the core publishes.

/// Opens the control panel window and runs until it is closed.
pub fn run() -> Result<(), String> {
    Err("the control panel is not built yet".into())
}
