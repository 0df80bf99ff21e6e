//! The flight recorder's part of the frame: what the window knows of a server that the core
//! does not hear itself (JACK's xruns, counted by the window's own JACK client).

use super::ScPanel;
use crate::gui::session::XrunsShown;
use scpanel_core::journal::Event;

impl ScPanel {
    /// New xruns of every followed server into the show, at the time of the latest.
    pub(super) fn keep_xruns(&mut self) {
        let Some(flight) = &self.flight else { return };
        for s in &mut self.sessions {
            let Ok(Some(id)) = s.flight_id.lock().map(|g| *g) else {
                continue;
            };
            let XrunsShown::Counting(x) = s.xruns() else {
                continue;
            };
            let count = x.count();
            if count > s.xruns_kept {
                let new = u32::try_from(count - s.xruns_kept).unwrap_or(u32::MAX);
                let at = x.last().unwrap_or_else(std::time::SystemTime::now);
                flight.event_at(id, at, Event::Xrun { count: new });
            }
            s.xruns_kept = count;
        }
    }
}
