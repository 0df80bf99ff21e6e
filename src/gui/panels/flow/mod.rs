//! The Flow tab: one server's signal flow. Synths in execution order down the page, audio
//! buses as lanes (inputs on the left, private buses between, outputs on the right), a line
//! from each writer to each reader, red where the reader runs first and so hears nothing.
//! Hovering a lane meters its bus.
//!
//! The flow is read on the runtime ([`Action::ReadFlow`]) when the tab first shows, when the
//! tree's shape changes (scpanel's own group left out, so the lane meter's own synth does not
//! read it again), and on Refresh; never on a frame by itself. Control buses keep their
//! value from block to block, so order does not matter for them: they are listed in each
//! synth's tooltip and not drawn.

mod canvas;

use std::time::Instant;

use crate::gui::actions::{Action, ActionQueue, SessionId};
use crate::gui::session::Session;
use crate::gui::theme::{self, TextRole, Tone, tone};
use scpanel_core::Server;

use crate::gui::flow_view::model::MAX_LISTED;
use crate::gui::flow_view::{FlowState, METER_NAME, MIN_READ_INTERVAL, shape};

/// What of the tab's state moves with actions: reads and the lane meter asked for.
impl FlowState {
    /// A read or meter change failed; the tab says so itself, no notice.
    pub(crate) fn failed(&mut self, action: &Action, why: String) {
        match action {
            Action::ReadFlow(_) => {
                self.reading = false;
                self.error = Some(why);
            }
            Action::FlowMeter(want) => {
                self.meter_busy = false;
                // Not tried again for the same lane: the next hover asks anew.
                self.meter_on = *want;
                self.meter_error = Some(why);
            }
            _ => {}
        }
    }

    /// The tab is not shown for this session: its lane meter goes.
    pub(crate) fn hidden(&mut self, id: SessionId, actions: &mut ActionQueue) {
        self.want_meter = None;
        self.reconcile_meter(id, actions);
    }

    fn reconcile_meter(&mut self, id: SessionId, actions: &mut ActionQueue) {
        if !self.meter_busy && self.want_meter != self.meter_on {
            self.meter_busy = true;
            actions.push_for(id, Action::FlowMeter(self.want_meter));
        }
    }

    /// Asks for a read when the tree's shape changed since the last one (at most once a
    /// [`MIN_READ_INTERVAL`]), or none was made yet.
    fn maybe_read(&mut self, ctx: &egui::Context, server: &Server, actions: &mut ActionQueue) {
        if !server.state().is_online() {
            return;
        }
        let own = server.nodes().own(scpanel_core::Own::Group);
        let generation = server.with_tree(|t| t.generation);
        if self.seen_generation != Some(generation) {
            // Walks the mirror only when it changed, not every frame.
            self.shape = Some(server.with_tree(|t| shape(t, own)));
            self.seen_generation = Some(generation);
        }
        if self.reading
            || (self.read_shape == self.shape && (self.model.is_some() || self.error.is_some()))
        {
            return;
        }
        let since = self.asked_at.map_or(MIN_READ_INTERVAL, |a| a.elapsed());
        if since < MIN_READ_INTERVAL {
            ctx.request_repaint_after(MIN_READ_INTERVAL - since);
            return;
        }
        self.refresh(actions);
    }

    fn refresh(&mut self, actions: &mut ActionQueue) {
        self.reading = true;
        self.asked_at = Some(Instant::now());
        self.read_shape = self.shape;
        actions.push(Action::ReadFlow(self.synthdef_dirs.clone()));
    }
}

/// The Flow tab.
pub(crate) fn ui(ui: &mut egui::Ui, session: &mut Session, actions: &mut ActionQueue) {
    let server = session.server.clone();
    let st = &mut session.flow;
    let online = server.state().is_online();
    st.maybe_read(ui.ctx(), &server, actions);

    // The lane meter's level, while one runs.
    let level = st.meter_on.and_then(|bus| {
        let name = format!("{METER_NAME}{bus}");
        server
            .mixer()
            .meters()
            .buses
            .into_iter()
            .find(|b| b.spec.name == name)
            .and_then(|b| b.levels.first().map(|l| (bus, l.peak_db, l.rms_db)))
    });

    ui.horizontal(|ui| {
        if ui
            .add_enabled(online && !st.reading, egui::Button::new("Refresh"))
            .on_hover_text("Read the synths, their buses and their order again")
            .clicked()
        {
            st.refresh(actions);
        }
        match &st.model {
            Some(m) => {
                let wrong = m.wrong.len();
                ui.label(format!(
                    "{} synths \u{B7} {} links \u{B7} {wrong} in the wrong order",
                    m.rows.len(),
                    m.links.len()
                ));
            }
            None if st.reading => {
                ui.label("Reading the signal flow\u{2026}");
            }
            None => {}
        }
        if let Some((bus, peak, rms)) = level {
            ui.label(format!("bus {bus}: peak {peak:.1} dB, RMS {rms:.1} dB"));
        } else if let Some(e) = &st.meter_error {
            ui.colored_label(tone(ui, Tone::Warning), "the bus can't be metered")
                .on_hover_text(e.as_str());
        }
    });
    if let Some(e) = &st.error {
        ui.colored_label(
            tone(ui, Tone::Error),
            format!("The flow could not be read: {e}"),
        );
    }
    if !online {
        ui.weak(if st.model.is_some() {
            "The server is offline: this is the flow as last read."
        } else {
            "No server: boot one or connect to one to see its signal flow."
        });
    }
    let Some(model) = &st.model else {
        st.want_meter = None;
        st.reconcile_meter(session.id, actions);
        return;
    };
    for w in model.wrong.iter().take(MAX_LISTED) {
        ui.colored_label(tone(ui, Tone::Error), w);
    }
    if model.wrong.len() > MAX_LISTED {
        ui.colored_label(
            tone(ui, Tone::Error),
            format!(
                "and {} more in the wrong order",
                model.wrong.len() - MAX_LISTED
            ),
        );
    }
    let mut notes = String::from(
        "square: writes \u{B7} ring: reads \u{B7} arrow from writer to reader, red when the reader runs first and hears nothing \u{B7} hover a bus to meter it \u{B7} control buses are in the tooltips",
    );
    if model.own_hidden > 0 {
        notes.push_str(&format!(
            " \u{B7} scpanel's own {} synths (meters, volume) left out",
            model.own_hidden
        ));
    }
    ui.label(theme::text(TextRole::Caption, notes).weak());
    ui.add_space(theme::space::SMALL);
    let hovered = canvas::draw(ui, model, level.map(|l| (l.0, l.1)));
    st.want_meter = if online { hovered } else { None };
    st.reconcile_meter(session.id, actions);
    if st.meter_on.is_some() && st.meter_error.is_none() {
        // The level moves: frames at the meters' pace while it runs, and none after.
        ui.ctx()
            .request_repaint_after(crate::gui::session::METER_FRAME);
    }
}
