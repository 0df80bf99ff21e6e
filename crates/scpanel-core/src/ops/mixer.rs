//! Level meters and the master volume, as synths of the built-in SynthDefs at the ends of the
//! root group (like sclang's `s.meter` and `s.volume`). What the user set survives a reset
//! and a reboot: `Mixer::restore` puts the synths back.

use std::sync::{Arc, Mutex};

use rosc::OscMessage;

use crate::error::{Result, ServerError};
use crate::link::Link;
use crate::model::tree::ControlValue;
use crate::ops::own_nodes::{self, Own, OwnGroup};
use crate::ops::synthdefs::SynthDefs;
use crate::ops::{nodes, tree_query};
use crate::wire::connection::{Heard, Subscriber};

pub use crate::model::levels::*;

/// What the mixer keeps between calls, one per handle: the levels, what the user asked
/// for, and the synths that make it so.
#[derive(Default)]
pub(crate) struct State {
    levels: Mutex<Meters>,
    mixer: Mutex<MixerState>,
    /// One task at a time creates or frees the meter and volume synths (no check-then-act).
    one_at_a_time: tokio::sync::Mutex<()>,
    /// Counts meter replies, so a reader can wait for fresh levels.
    ticks: tokio::sync::watch::Sender<u64>,
}

impl State {
    /// The server went away: its synths with it. What the user asked for stays.
    pub fn forget_synths(&self) {
        if let Ok(mut m) = self.levels.lock() {
            *m = Meters::default();
        }
        if let Ok(mut m) = self.mixer.lock() {
            m.volume_node = None;
        }
    }
}

/// Meter replies into the levels readers show. They come 20 times a second per meter, so
/// they are used up here: off the console's tap, and the levels view redraws at its own
/// pace (only while it is shown).
pub(crate) struct MeterFeed(pub Arc<State>);

impl Subscriber for MeterFeed {
    fn receive(&self, m: &OscMessage) -> Heard {
        if !is_meter_reply(m) {
            return Heard::Passed;
        }
        if let Ok(mut meters) = self.0.levels.lock()
            && meters.apply(m)
        {
            self.0.ticks.send_modify(|n| *n += 1);
        }
        Heard::Consumed
    }
}

/// Level meters on the hardware inputs and outputs and on any bus, the master volume and
/// mute ([`Server::mixer`](crate::Server::mixer)).
#[derive(Clone)]
pub struct Mixer {
    pub(crate) link: Arc<Link>,
    pub(crate) state: Arc<State>,
    pub(crate) own: Arc<OwnGroup>,
    pub(crate) defs: SynthDefs,
}

impl Mixer {
    /// The latest input and output levels.
    pub fn meters(&self) -> Meters {
        self.state
            .levels
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// Ticks once per meter reply (about 20 times a second while meters run).
    pub fn watch_meters(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.ticks.subscribe()
    }

    /// What the mixer was asked for: meters on or off, volume, mute.
    pub fn settings(&self) -> MixerSettings {
        self.state
            .mixer
            .lock()
            .map(|m| m.settings)
            .unwrap_or_default()
    }

    fn update_mixer(&self, f: impl FnOnce(&mut MixerState)) {
        if let Ok(mut m) = self.state.mixer.lock() {
            f(&mut m);
        }
        self.link.shared.changed();
    }

    /// Whether the meters run when the server comes online, unless the user has chosen:
    /// on for a server the window boots, off on one it visits (a guest makes nothing unasked).
    pub fn default_meters(&self, on: bool) {
        self.update_mixer(|m| {
            if !m.meters_chosen {
                m.settings.meters = on;
            }
        });
    }

    /// Starts input and output meters for every hardware channel the server has.
    pub async fn start_meters(&self) -> Result<()> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        self.update_mixer(|m| {
            m.settings.meters = true;
            m.meters_chosen = true;
        });
        self.place_meters().await
    }

    async fn place_meters(&self) -> Result<()> {
        let layout = self.link.online()?.attachment.layout;
        self.stop_meter_synths().await;
        let (ins, outs) = (
            layout.input_channels as usize,
            layout.output_channels as usize,
        );
        let mut input_node = None;
        if ins > 0 {
            let def = format!("scpanel-meter-{ins}");
            // Inputs are written before anything runs and read by the meter after everything.
            let first_input = layout.output_channels as f32;
            input_node = Some(
                self.own
                    .add_synth(
                        &self.link,
                        &self.defs,
                        Own::InputMeter,
                        &def,
                        &[("in", first_input)],
                    )
                    .await?,
            );
        }
        let mut output_node = None;
        if outs > 0 {
            let def = format!("scpanel-meter-{outs}");
            // After the volume: it hears what the speakers get.
            output_node = Some(
                self.own
                    .add_synth(
                        &self.link,
                        &self.defs,
                        Own::OutputMeter,
                        &def,
                        &[("in", 0.0)],
                    )
                    .await?,
            );
        }
        if let Ok(mut m) = self.state.levels.lock() {
            m.inputs = vec![ChannelLevel::default(); ins];
            m.outputs = vec![ChannelLevel::default(); outs];
            m.updated = None;
            m.input_node = input_node;
            m.output_node = output_node;
        }
        Ok(())
    }

    pub(crate) async fn stop_meter_synths(&self) {
        // The slots are fixed: free what runs there even when this handle forgot it (a
        // restore after reconnecting), so the new meters never meet "duplicate node ID".
        let _ = own_nodes::free_synth(&self.link, Own::InputMeter).await;
        let _ = own_nodes::free_synth(&self.link, Own::OutputMeter).await;
        if let Ok(mut m) = self.state.levels.lock() {
            // The bus meters run on by themselves.
            *m = Meters {
                buses: std::mem::take(&mut m.buses),
                ..Meters::default()
            };
        }
    }

    /// Whether scpanel's volume synth runs on the server (so its mute and level apply).
    pub(crate) fn volume_running(&self) -> bool {
        self.state
            .mixer
            .lock()
            .is_ok_and(|m| m.volume_node.is_some())
    }

    /// Stops meters started for a moment's look, leaving what the user chose as it was.
    pub(crate) async fn stop_meters_quietly(&self) -> Result<()> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        if self.settings().meters && self.state.mixer.lock().is_ok_and(|m| m.meters_chosen) {
            return Ok(());
        }
        self.stop_meter_synths().await;
        Ok(())
    }

    /// Stops the level meter synths.
    pub async fn stop_meters(&self) -> Result<()> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        self.update_mixer(|m| {
            m.settings.meters = false;
            m.meters_chosen = true;
        });
        self.stop_meter_synths().await;
        Ok(())
    }

    /// Master volume in dB (−90 … +6) on every hardware output.
    pub async fn set_volume(&self, db: f32) -> Result<()> {
        let db = db.clamp(FLOOR_DB, 6.0);
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        self.update_mixer(|m| m.settings.volume_db = db);
        self.apply_volume().await
    }

    /// Mutes or unmutes every hardware output (the volume synth's `mute`).
    pub async fn set_mute(&self, muted: bool) -> Result<()> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        self.update_mixer(|m| m.settings.muted = muted);
        self.apply_volume().await
    }

    /// Creates the volume synth or sets it; callers hold `mixer_lock`, so two calls can't both
    /// find no synth and make one each.
    async fn apply_volume(&self) -> Result<()> {
        let (settings, node) = self
            .state
            .mixer
            .lock()
            .map(|m| (m.settings, m.volume_node))
            .unwrap_or_default();
        let amp = db_to_amp(settings.volume_db);
        let mute = if settings.muted { 1.0 } else { 0.0 };
        // The volume's slot is fixed: one already running there is ours to set.
        let node = node.or_else(|| own_nodes::own_node(&self.link, Own::Volume));
        let node = match node.filter(|n| self.link.with_tree(|t| t.contains(*n))) {
            Some(n) => {
                nodes::set(&self.link, n, &[("amp", amp), ("mute", mute)]).await?;
                n
            }
            None => {
                let outs = self.link.online()?.attachment.layout.output_channels.max(1);
                let def = format!("scpanel-volume-{outs}");
                self.own
                    .add_synth(
                        &self.link,
                        &self.defs,
                        Own::Volume,
                        &def,
                        &[("bus", 0.0), ("amp", amp), ("mute", mute)],
                    )
                    .await?
            }
        };
        self.update_mixer(|m| m.volume_node = Some(node));
        Ok(())
    }

    /// Puts the meter and volume synths back after a reset or a reboot.
    pub(crate) async fn restore(&self) -> Result<()> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        let settings = self.settings();
        self.update_mixer(|m| m.volume_node = None);
        if let Ok(mut m) = self.state.levels.lock() {
            *m = Meters::default();
        }
        if settings != MixerSettings::default() || settings.meters {
            if settings.volume_db != 0.0 || settings.muted {
                self.apply_volume().await?;
            }
            if settings.meters {
                self.place_meters().await?;
            }
        }
        let wanted = self
            .state
            .mixer
            .lock()
            .map(|m| m.bus_meters.clone())
            .unwrap_or_default();
        for (slot, spec) in wanted {
            self.place_bus_meter(slot, spec).await?;
        }
        Ok(())
    }

    /// The meters on other buses, in the order they were added.
    pub fn bus_meters(&self) -> Vec<BusMeter> {
        self.meters().buses
    }

    /// Starts a meter on `spec.channels` audio buses from `spec.bus`, beside any others;
    /// returns its slot. It runs until [`Mixer::remove_bus_meter`], and comes back after a
    /// reset or a reboot.
    pub async fn add_bus_meter(&self, mut spec: BusMeterSpec) -> Result<usize> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        let layout = self.link.online()?.attachment.layout;
        spec.check(layout.audio_buses)
            .map_err(ServerError::Refused)?;
        if spec.name.trim().is_empty() {
            spec.name = format!("bus {}", spec.bus);
        }
        let taken: Vec<usize> = self
            .state
            .mixer
            .lock()
            .map(|m| m.bus_meters.iter().map(|(s, _)| *s).collect())
            .unwrap_or_default();
        let slot = (0..MAX_BUS_METERS)
            .find(|s| !taken.contains(s))
            .ok_or_else(|| {
                ServerError::Refused(format!(
                    "{MAX_BUS_METERS} bus meters run already: remove one first"
                ))
            })?;
        self.place_bus_meter(slot, spec.clone()).await?;
        self.update_mixer(|m| m.bus_meters.push((slot, spec)));
        Ok(slot)
    }

    /// Starts the synth of the bus meter in `slot` (at the tail of scpanel's group, after
    /// everything that writes) and shows its levels.
    async fn place_bus_meter(&self, slot: usize, spec: BusMeterSpec) -> Result<()> {
        let own = bus_meter_slot(slot)?;
        // The slot is fixed: a synth left there (a restore after reconnecting) goes first.
        let _ = own_nodes::free_synth(&self.link, own).await;
        self.forget_bus_meter(slot);
        let def = format!("scpanel-meter-{}", spec.channels);
        let node = self
            .own
            .add_synth(
                &self.link,
                &self.defs,
                own,
                &def,
                &[("in", spec.bus as f32)],
            )
            .await?;
        if let Ok(mut m) = self.state.levels.lock() {
            let levels = vec![ChannelLevel::default(); spec.channels];
            m.buses.push(BusMeter {
                slot,
                spec,
                node: Some(node),
                levels,
            });
            m.buses.sort_by_key(|b| b.slot);
        }
        Ok(())
    }

    fn forget_bus_meter(&self, slot: usize) {
        if let Ok(mut m) = self.state.levels.lock() {
            m.buses.retain(|b| b.slot != slot);
        }
    }

    /// Stops the bus meter in `slot` and frees its synth.
    pub async fn remove_bus_meter(&self, slot: usize) -> Result<()> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        let own = bus_meter_slot(slot)?;
        self.update_mixer(|m| m.bus_meters.retain(|(s, _)| *s != slot));
        self.forget_bus_meter(slot);
        own_nodes::free_synth(&self.link, own).await
    }

    /// Frees every bus meter's synth, keeping what was asked for (for leaving a server: the
    /// meters come back on the next visit's restore).
    pub(crate) async fn free_bus_meter_synths(&self) {
        let slots: Vec<usize> = self.meters().buses.iter().map(|b| b.slot).collect();
        for slot in slots {
            if let Ok(own) = bus_meter_slot(slot) {
                let _ = own_nodes::free_synth(&self.link, own).await;
            }
            self.forget_bus_meter(slot);
        }
    }

    /// Meters what synth `id` writes: the bus from its `out` (or `bus`, `outbus`, `i_out`)
    /// control, the channel count from its SynthDef's `Out`; a meter named after the node.
    /// What had to be assumed is in the meter's note. Returns the meter's slot.
    pub async fn meter_node_output(&self, id: i32) -> Result<usize> {
        let spec = self.node_output(id).await?;
        self.add_bus_meter(spec).await
    }

    /// The audio buses synth `id` writes, as a meter would show them.
    pub async fn node_output(&self, id: i32) -> Result<BusMeterSpec> {
        let node = self.link.with_tree(|t| t.get(id).cloned());
        let Some(node) = node else {
            return Err(ServerError::Refused(format!(
                "node {id} is not on the server (any more)"
            )));
        };
        if node.is_group() {
            return Err(ServerError::Refused(format!(
                "node {id} is a group: meter one of its synths"
            )));
        }
        let mut controls = node.controls.clone();
        let mut def = node.def_name().map(str::to_string);
        if out_control(&controls).is_none() {
            // The mirror read this synth without controls: read its group with them.
            if let Ok(sub) = tree_query::query_group_once(&self.link, node.parent, true).await
                && let Some(n) = sub.get(id)
            {
                controls = n.controls.clone();
                def = def.or_else(|| n.def_name().map(str::to_string));
            }
        }
        let mut notes = Vec::new();
        let bus = match out_control(&controls) {
            Some((_, Some(v))) => v,
            Some((name, None)) => {
                // Mapped to a bus: the value it has now.
                nodes::get_control(&self.link, id, &name).await?
            }
            None => {
                notes.push("bus 0 assumed: no out, bus, outbus or i_out control".to_string());
                0.0
            }
        };
        if !(0.0..=f32::from(u16::MAX)).contains(&bus) || bus.fract() != 0.0 {
            return Err(ServerError::Refused(format!(
                "node {id} writes to bus {bus}, which is no audio bus"
            )));
        }
        let known = def.as_deref().and_then(|d| {
            self.defs
                .list()
                .into_iter()
                .find(|i| i.name == d)
                .map(|i| i.out_channels)
                .or_else(|| {
                    crate::synthdef::builtins::builtin(d)
                        .map(|b| crate::synthdef::audio_out_channels(&b))
                })
        });
        let channels = match known {
            Some(Some(n)) => n.min(MAX_BUS_METER_CHANNELS),
            Some(None) => {
                notes.push("its SynthDef writes no audio bus; 2 channels assumed".to_string());
                2
            }
            None => {
                notes.push("2 channels assumed: scpanel does not know its SynthDef".to_string());
                2
            }
        };
        let name = match &def {
            Some(d) => format!("node {id} ({d})"),
            None => format!("node {id}"),
        };
        Ok(BusMeterSpec {
            name,
            bus: bus as u32,
            channels,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        })
    }
}

/// The control a synth writes its output bus with, by the names SynthDefs use for it:
/// its name and its value (`None` when mapped to a bus).
fn out_control(controls: &[(String, ControlValue)]) -> Option<(String, Option<f32>)> {
    ["out", "bus", "outbus", "outBus", "out_bus", "i_out"]
        .iter()
        .find_map(|want| controls.iter().find(|(n, _)| n == want))
        .map(|(n, v)| {
            let value = match v {
                ControlValue::Value(v) => Some(*v),
                ControlValue::Bus(_) => None,
            };
            (n.clone(), value)
        })
}

fn bus_meter_slot(slot: usize) -> Result<Own> {
    u8::try_from(slot)
        .ok()
        .filter(|s| usize::from(*s) < MAX_BUS_METERS)
        .map(Own::BusMeter)
        .ok_or_else(|| ServerError::Refused(format!("no bus meter slot {slot}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::scripted;
    use crate::wire::protocol::{int_arg, str_arg};

    fn mixer(link: &Arc<Link>) -> Mixer {
        Mixer {
            link: link.clone(),
            state: Arc::new(State::default()),
            own: Arc::new(OwnGroup::default()),
            defs: crate::ops::no_synthdefs(link),
        }
    }

    #[tokio::test]
    async fn the_volume_is_a_synth_in_scpanels_own_group() {
        let (link, script) = scripted::link().await;
        let mixer = mixer(&link);
        mixer.set_volume(-6.0).await.expect("set");
        let group = own_nodes::own_node(&link, Own::Group).expect("logged in");
        let g_new = script.sent("/g_new");
        assert_eq!(int_arg(&g_new[0], 0), Some(group));
        assert_eq!(int_arg(&g_new[0], 2), Some(0), "at the root's tail");
        let s_new = script.sent("/s_new");
        assert_eq!(str_arg(&s_new[0], 0), Some("scpanel-volume-2"));
        assert_eq!(
            int_arg(&s_new[0], 1),
            own_nodes::own_node(&link, Own::Volume)
        );
        let amp = s_new[0]
            .args
            .windows(2)
            .find(|w| w[0] == rosc::OscType::String("amp".into()))
            .and_then(|w| w[1].clone().float());
        assert!(amp.is_some_and(|a| (a - 0.501).abs() < 0.001), "{amp:?}");
        assert_eq!(mixer.settings().volume_db, -6.0);
    }

    #[tokio::test]
    async fn the_volume_is_kept_within_its_range() {
        let (link, _script) = scripted::link().await;
        let mixer = mixer(&link);
        mixer.set_volume(40.0).await.expect("set");
        assert_eq!(mixer.settings().volume_db, 6.0);
    }

    #[tokio::test]
    async fn meters_are_refused_past_the_server_s_buses() {
        let (link, script) = scripted::link().await;
        let spec = BusMeterSpec {
            name: String::new(),
            bus: 5000,
            channels: 2,
            note: None,
        };
        assert!(mixer(&link).add_bus_meter(spec).await.is_err());
        assert!(script.sent("/s_new").is_empty());
    }

    #[test]
    fn meter_replies_are_used_up_and_counted() {
        let state = Arc::new(State::default());
        let feed = MeterFeed(state.clone());
        let ticks = state.ticks.subscribe();
        let not_ours = crate::wire::protocol::msg("/n_go", []);
        assert!(matches!(feed.receive(&not_ours), Heard::Passed));
        assert_eq!(*ticks.borrow(), 0);
    }
}
