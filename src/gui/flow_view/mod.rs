//! The Flow tab's data, apart from its drawing (as `tree_view` is the tree's): a flow read
//! on the runtime with its picture worked out there, the lane meter, and what the tab keeps
//! per server. The actions and the runtime use it; the panel draws it.

pub(crate) mod model;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use scpanel_core::levels::BusMeterSpec;
use scpanel_core::synthdef::flow::Flow;
use scpanel_core::{NodeTree, Server, ServerError};

use model::Model;

/// The name of the lane meter: a bus meter like any other, found again by it.
pub(crate) const METER_NAME: &str = "Flow: bus ";
/// Reads that the tree's changes ask for come no closer than this: a show starting a synth
/// a note would otherwise read the whole tree with controls many times a second.
pub(crate) const MIN_READ_INTERVAL: Duration = Duration::from_secs(1);

/// A read flow and its picture, worked out where it was read (on the runtime), not on the
/// UI thread: 500 synths take some milliseconds.
#[derive(Debug, Clone)]
pub struct FlowRead {
    pub flow: Flow,
    /// scpanel's own group, left out of the picture.
    pub own_group: Option<i32>,
    pub took: Duration,
    pub(crate) model: Model,
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
    pub(crate) model: Option<Model>,
    /// The flow as read, for tests and the bench.
    pub(crate) read: Option<FlowRead>,
    /// Why the last read failed.
    pub(crate) error: Option<String>,
    /// A read is under way.
    pub(crate) reading: bool,
    /// When the last read was asked for.
    pub(crate) asked_at: Option<Instant>,
    /// The tree's generation last looked at, and the shape it had then.
    pub(crate) seen_generation: Option<u64>,
    pub(crate) shape: Option<u64>,
    /// The shape the drawn flow was read at.
    pub(crate) read_shape: Option<u64>,
    /// Folders of `.scsyndef` files to learn graphs from, besides sclang's own.
    pub synthdef_dirs: Vec<PathBuf>,
    /// The lane the pointer is over, whose bus should be metered.
    pub(crate) want_meter: Option<u32>,
    /// The bus the lane meter was last set to.
    pub(crate) meter_on: Option<u32>,
    /// A meter change is under way.
    pub(crate) meter_busy: bool,
    pub(crate) meter_error: Option<String>,
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

    /// The lane meter was set to `want`.
    pub(crate) fn meter_set(&mut self, want: Option<u32>) {
        self.meter_busy = false;
        self.meter_on = want;
        self.meter_error = None;
    }
}

/// What of the tree the flow depends on, as one number: each node's place, def and pause,
/// scpanel's own group left out.
pub(crate) fn shape(tree: &NodeTree, own_group: Option<i32>) -> u64 {
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
