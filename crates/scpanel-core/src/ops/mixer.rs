//! Level meters and the master volume, as synths of the built-in SynthDefs at the ends of the
//! root group (like sclang's `s.meter` and `s.volume`). What the user set survives a reset
//! and a reboot: `Server::restore_mixer` puts the synths back.

use crate::error::Result;
use crate::handle::Server;
use crate::ops::own_nodes::Own;

pub use crate::model::levels::*;

impl Server {
    /// The latest input and output levels.
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

    /// What the mixer was asked for: meters on or off, volume, mute.
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

    /// Stops the level meter synths.
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

    /// Mutes or unmutes every hardware output (the volume synth's `mute`).
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
    pub(crate) async fn restore_mixer(&self) -> Result<()> {
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
