//! The doctor's part of the frame: what a look is told (the user's SynthDef folders, the
//! xruns JACK counted, why the last boot failed), and the fixes the app carries out itself
//! (starting JACK, stopping an old server).

use std::time::{Duration, SystemTime};

use super::ScPanel;
use crate::gui::actions::Action;
use crate::gui::panels::doctor::Asked;
use crate::gui::session::XrunsShown;
use scpanel_core::doctor::{Examination, Fix};

/// Xruns older than this are no news to the doctor.
const RECENT_XRUNS: Duration = Duration::from_secs(60);

impl ScPanel {
    /// What the doctor is told about session `i`.
    pub(super) fn examination(&mut self, i: usize) -> Examination {
        let session = &self.sessions[i];
        Examination {
            synthdef_dirs: self.doctor.folders.list(),
            listen: true,
            recent_xruns: recent_xruns(&session.xruns()),
            boot_failure: session.boot_failure.clone(),
            local: None,
        }
    }

    /// "Why no sound?": open the window and look at the current server.
    pub fn ask_doctor(&mut self) {
        let exam = self.examination(self.current);
        self.doctor.started();
        self.actions.push(Action::Examine(exam));
    }

    /// What the doctor's window asked for this frame.
    pub(super) fn doctor_asked(&mut self, asked: Asked) {
        match asked {
            Asked::Examine => self.ask_doctor(),
            Asked::Fix(fix) => {
                self.doctor.awaiting_fix = true;
                self.actions.push(match fix {
                    // The app owns the jackd it starts, and stops processes it was asked to.
                    Fix::StartJack => Action::StartJack(self.boot.audio.settings.clone()),
                    Fix::FreeOldServer { holder } => Action::StopProcess(holder),
                    fix => Action::ApplyFix(fix),
                });
            }
        }
    }

    /// The status bar's badge for the current server: its mark and what it says (the
    /// findings read at most once a second).
    pub(super) fn badge(&mut self) -> Option<(String, String)> {
        let session = &self.sessions[self.current];
        if !session.server.state().is_online() {
            return None;
        }
        // Read again at most once a second: the handle and the xruns only then.
        let findings = self.doctor.badge(session.id, || {
            let xruns = recent_xruns(&session.xruns());
            session.server.doctor().during_show(xruns)
        });
        crate::gui::panels::doctor::badge_text(findings)
    }
}

/// Xruns JACK reported in the last minute, when they are counted.
fn recent_xruns(shown: &XrunsShown) -> Option<u64> {
    let XrunsShown::Counting(x) = shown else {
        return None;
    };
    let now = SystemTime::now();
    Some(
        x.recent()
            .iter()
            .filter(|(at, _)| now.duration_since(*at).is_ok_and(|d| d < RECENT_XRUNS))
            .map(|(_, n)| n)
            .sum(),
    )
}
