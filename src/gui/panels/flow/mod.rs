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
mod model;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::gui::actions::{Action, ActionQueue, SessionId};
use crate::gui::session::Session;
use crate::gui::theme::{self, TextRole, Tone, tone};
use scpanel_core::levels::BusMeterSpec;
use scpanel_core::synthdef::flow::Flow;
use scpanel_core::{NodeTree, Server, ServerError};

use model::{MAX_LISTED, Model};

/// The name of the lane meter: a bus meter like any other, found again by it.
const METER_NAME: &str = "Flow: bus ";
/// Reads that the tree's changes ask for come no closer than this: a show starting a synth
/// a note would otherwise read the whole tree with controls many times a second.
const MIN_READ_INTERVAL: Duration = Duration::from_secs(1);

/// A read flow and its picture, worked out where it was read (on the runtime), not on the
/// UI thread: 500 synths take some milliseconds.
#[derive(Debug, Clone)]
pub struct FlowRead {
    pub flow: Flow,
    /// scpanel's own group, left out of the picture.
    pub own_group: Option<i32>,
    pub took: Duration,
    model: Model,
}

impl FlowRead {
    pub fn new(flow: Flow, own_group: Option<i32>, took: Duration) -> FlowRead {
        let model = Model::of(&flow, own_group);
        FlowRead {
            flow,
            own_group,
            took,
            model,
        }
    }
}

/// Reads the flow (on the runtime).
pub(crate) async fn read(server: &Server, dirs: &[PathBuf]) -> Result<FlowRead, ServerError> {
    let started = Instant::now();
    let flow = server.doctor().flow(dirs).await?;
    let own_group = server.nodes().own(scpanel_core::Own::Group);
    Ok(FlowRead::new(flow, own_group, started.elapsed()))
}

/// Meters bus `want` with the lane meter, or stops it (on the runtime). Any other lane
/// meter is removed first.
pub(crate) async fn set_meter(server: &Server, want: Option<u32>) -> Result<(), ServerError> {
    let mixer = server.mixer();
    let wanted = want.map(|b| format!("{METER_NAME}{b}"));
    let mut running = false;
    for b in mixer.meters().buses {
        if !b.spec.name.starts_with(METER_NAME) {
            continue;
        }
        if Some(&b.spec.name) == wanted.as_ref() {
            running = true;
        } else {
            mixer.remove_bus_meter(b.slot).await?;
        }
    }
    if let (Some(bus), Some(name), false) = (want, wanted, running) {
        mixer
            .add_bus_meter(BusMeterSpec {
                name,
                bus,
                channels: 1,
                note: None,
            })
            .await?;
    }
    Ok(())
}

/// The Flow tab's state for one server.
#[derive(Default)]
pub struct FlowState {
    /// The last flow read, as drawn.
    model: Option<Model>,
    /// The flow as read, for tests and the bench.
    read: Option<FlowRead>,
    /// Why the last read failed.
    error: Option<String>,
    /// A read is under way.
    reading: bool,
    /// When the last read was asked for.
    asked_at: Option<Instant>,
    /// The tree's generation last looked at, and the shape it had then.
    seen_generation: Option<u64>,
    shape: Option<u64>,
    /// The shape the drawn flow was read at.
    read_shape: Option<u64>,
    /// Folders of `.scsyndef` files to learn graphs from, besides sclang's own.
    pub synthdef_dirs: Vec<PathBuf>,
    /// The lane the pointer is over, whose bus should be metered.
    want_meter: Option<u32>,
    /// The bus the lane meter was last set to.
    meter_on: Option<u32>,
    /// A meter change is under way.
    meter_busy: bool,
    meter_error: Option<String>,
}

impl FlowState {
    /// The flow as last read.
    pub fn flow(&self) -> Option<&Flow> {
        self.read.as_ref().map(|r| &r.flow)
    }

    /// Shows `read` (an action's result, or a bench's made-up flow).
    pub fn landed(&mut self, mut read: FlowRead) {
        self.reading = false;
        self.error = None;
        self.model = Some(std::mem::take(&mut read.model));
        self.read = Some(read);
    }

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

    /// The lane meter was set to `want`.
    pub(crate) fn meter_set(&mut self, want: Option<u32>) {
        self.meter_busy = false;
        self.meter_on = want;
        self.meter_error = None;
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

/// What of the tree the flow depends on, as one number: each node's place, def and pause,
/// scpanel's own group left out.
fn shape(tree: &NodeTree, own_group: Option<i32>) -> u64 {
    let mut h = DefaultHasher::new();
    let mut skip_below: Option<usize> = None;
    tree.walk(|depth, n| {
        if let Some(d) = skip_below {
            if depth > d {
                return;
            }
            skip_below = None;
        }
        if Some(n.id) == own_group {
            skip_below = Some(depth);
            return;
        }
        (depth, n.id, n.def_name(), n.paused).hash(&mut h);
    });
    h.finish()
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
