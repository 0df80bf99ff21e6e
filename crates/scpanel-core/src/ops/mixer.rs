//! Level meters and the master volume, as synths of the built-in SynthDefs at the ends of the
//! root group (like sclang's `s.meter` and `s.volume`). What the user set survives a reset
//! and a reboot: [`Server::restore_mixer`] puts the synths back.

use std::time::Instant;

use rosc::OscMessage;

use crate::error::Result;
use crate::ops::own_nodes::Own;
use crate::server::Server;
use crate::wire::protocol::{float_arg, int_arg};

pub use crate::synthdef::builtins::METER_REPLY;
/// How long a clip stays lit.
pub const CLIP_HOLD: std::time::Duration = std::time::Duration::from_secs(2);
/// The quietest level shown; below is silence.
pub const FLOOR_DB: f32 = -90.0;

pub fn amp_to_db(a: f32) -> f32 {
    if a <= 0.0 {
        FLOOR_DB
    } else {
        (20.0 * a.log10()).max(FLOOR_DB)
    }
}

pub fn db_to_amp(db: f32) -> f32 {
    if db <= FLOOR_DB {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelLevel {
    pub peak_db: f32,
    pub rms_db: f32,
    /// The last time this channel reached full scale.
    pub clipped_at: Option<Instant>,
}

impl Default for ChannelLevel {
    fn default() -> Self {
        ChannelLevel {
            peak_db: FLOOR_DB,
            rms_db: FLOOR_DB,
            clipped_at: None,
        }
    }
}

impl ChannelLevel {
    pub fn clipping(&self, now: Instant) -> bool {
        self.clipped_at
            .is_some_and(|t| now.duration_since(t) < CLIP_HOLD)
    }
}

/// The latest levels, and which synths feed them.
#[derive(Debug, Clone, Default)]
pub struct Meters {
    pub inputs: Vec<ChannelLevel>,
    pub outputs: Vec<ChannelLevel>,
    pub updated: Option<Instant>,
    pub input_node: Option<i32>,
    pub output_node: Option<i32>,
}

impl Meters {
    /// Applies a `/scpanel/meter nodeID replyID peak rms peak rms …` reply.
    pub fn apply(&mut self, m: &OscMessage) -> bool {
        let Some(node) = int_arg(m, 0) else {
            return false;
        };
        let channels = if Some(node) == self.input_node {
            &mut self.inputs
        } else if Some(node) == self.output_node {
            &mut self.outputs
        } else {
            return false;
        };
        let now = Instant::now();
        for (i, ch) in channels.iter_mut().enumerate() {
            let (Some(peak), Some(rms)) = (float_arg(m, 2 + 2 * i), float_arg(m, 3 + 2 * i)) else {
                break;
            };
            ch.peak_db = amp_to_db(peak as f32);
            ch.rms_db = amp_to_db(rms as f32);
            if peak >= 1.0 {
                ch.clipped_at = Some(now);
            }
        }
        self.updated = Some(now);
        true
    }
}

/// What the user asked of the mixer; re-applied after a reset or reboot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixerSettings {
    pub meters: bool,
    pub volume_db: f32,
    pub muted: bool,
}

impl Default for MixerSettings {
    fn default() -> Self {
        MixerSettings {
            meters: false,
            volume_db: 0.0,
            muted: false,
        }
    }
}

#[derive(Debug, Default)]
pub struct MixerState {
    pub settings: MixerSettings,
    pub volume_node: Option<i32>,
    /// The user switched the meters on or off: defaults no longer apply.
    pub meters_chosen: bool,
}

impl Server {
    pub fn meters(&self) -> Meters {
        self.shared()
            .meters
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// Ticks once per meter reply (about 20 times a second while meters run).
    pub fn watch_meters(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared().meter_ticks.subscribe()
    }

    pub fn mixer_settings(&self) -> MixerSettings {
        self.shared()
            .mixer
            .lock()
            .map(|m| m.settings)
            .unwrap_or_default()
    }

    fn update_mixer(&self, f: impl FnOnce(&mut MixerState)) {
        if let Ok(mut m) = self.shared().mixer.lock() {
            f(&mut m);
        }
        self.shared().changed();
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
        let _one_at_a_time = self.shared().mixer_lock.lock().await;
        self.update_mixer(|m| {
            m.settings.meters = true;
            m.meters_chosen = true;
        });
        self.place_meters().await
    }

    async fn place_meters(&self) -> Result<()> {
        let layout = self.online()?.session.layout;
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
                self.add_own_synth(Own::InputMeter, &def, &[("in", first_input)])
                    .await?,
            );
        }
        let mut output_node = None;
        if outs > 0 {
            let def = format!("scpanel-meter-{outs}");
            // After the volume: it hears what the speakers get.
            output_node = Some(
                self.add_own_synth(Own::OutputMeter, &def, &[("in", 0.0)])
                    .await?,
            );
        }
        if let Ok(mut m) = self.shared().meters.lock() {
            *m = Meters {
                inputs: vec![ChannelLevel::default(); ins],
                outputs: vec![ChannelLevel::default(); outs],
                updated: None,
                input_node,
                output_node,
            };
        }
        Ok(())
    }

    async fn stop_meter_synths(&self) {
        // The slots are fixed: free what runs there even when this handle forgot it (a
        // restore after reconnecting), so the new meters never meet "duplicate node ID".
        let _ = self.free_own_synth(Own::InputMeter).await;
        let _ = self.free_own_synth(Own::OutputMeter).await;
        if let Ok(mut m) = self.shared().meters.lock() {
            *m = Meters::default();
        }
    }

    pub async fn stop_meters(&self) -> Result<()> {
        let _one_at_a_time = self.shared().mixer_lock.lock().await;
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
        let _one_at_a_time = self.shared().mixer_lock.lock().await;
        self.update_mixer(|m| m.settings.volume_db = db);
        self.apply_volume().await
    }

    pub async fn set_mute(&self, muted: bool) -> Result<()> {
        let _one_at_a_time = self.shared().mixer_lock.lock().await;
        self.update_mixer(|m| m.settings.muted = muted);
        self.apply_volume().await
    }

    /// Creates the volume synth or sets it; callers hold `mixer_lock`, so two calls can't both
    /// find no synth and make one each.
    async fn apply_volume(&self) -> Result<()> {
        let (settings, node) = self
            .shared()
            .mixer
            .lock()
            .map(|m| (m.settings, m.volume_node))
            .unwrap_or_default();
        let amp = db_to_amp(settings.volume_db);
        let mute = if settings.muted { 1.0 } else { 0.0 };
        // The volume's slot is fixed: one already running there is ours to set.
        let node = node.or_else(|| self.own_node(Own::Volume));
        let node = match node.filter(|n| self.with_tree(|t| t.contains(*n))) {
            Some(n) => {
                self.set_node(n, &[("amp", amp), ("mute", mute)]).await?;
                n
            }
            None => {
                let outs = self.online()?.session.layout.output_channels.max(1);
                let def = format!("scpanel-volume-{outs}");
                self.add_own_synth(
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
    pub async fn restore_mixer(&self) -> Result<()> {
        let _one_at_a_time = self.shared().mixer_lock.lock().await;
        let settings = self.mixer_settings();
        self.update_mixer(|m| m.volume_node = None);
        if let Ok(mut m) = self.shared().meters.lock() {
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
        Ok(())
    }
}

/// A `SendPeakRMS` reply for our meters.
pub fn is_meter_reply(m: &OscMessage) -> bool {
    m.addr == METER_REPLY
}

/// Meter replies into the levels readers show. They come 20 times a second per meter, so
/// they are used up here: off the console's tap, and the levels view redraws at its own
/// pace (only while it is shown).
pub(crate) struct MeterFeed(pub std::sync::Arc<crate::server::shared::Shared>);

impl crate::wire::connection::Subscriber for MeterFeed {
    fn receive(&self, m: &OscMessage) -> crate::wire::connection::Heard {
        if !is_meter_reply(m) {
            return crate::wire::connection::Heard::Passed;
        }
        if let Ok(mut meters) = self.0.meters.lock()
            && meters.apply(m)
        {
            self.0.meter_ticks.send_modify(|n| *n += 1);
        }
        crate::wire::connection::Heard::Consumed
    }
}
