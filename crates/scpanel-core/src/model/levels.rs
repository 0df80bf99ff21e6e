//! The levels the meters show and what the user set on the mixer (meters on, volume,
//! mute): the state; the synths that make them are in `ops::mixer`.

use std::time::Instant;

use rosc::OscMessage;

use crate::wire::protocol::{float_arg, int_arg};

/// Where the meter defs send their levels (`scpanel-meter-N`).
pub const METER_REPLY: &str = "/scpanel/meter";
/// How long a clip stays lit.
pub(crate) const CLIP_HOLD: std::time::Duration = std::time::Duration::from_secs(2);
/// The quietest level shown; below is silence.
pub const FLOOR_DB: f32 = -90.0;

pub(crate) fn amp_to_db(a: f32) -> f32 {
    if a <= 0.0 {
        FLOOR_DB
    } else {
        (20.0 * a.log10()).max(FLOOR_DB)
    }
}

pub(crate) fn db_to_amp(db: f32) -> f32 {
    if db <= FLOOR_DB {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
}

/// One channel's level, in dB full scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelLevel {
    /// Peak level in the last meter period.
    pub peak_db: f32,
    /// RMS level in the last meter period.
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
    /// Whether the channel reached full scale within the last moment (the clip light).
    pub fn clipping(&self, now: Instant) -> bool {
        self.clipped_at
            .is_some_and(|t| now.duration_since(t) < CLIP_HOLD)
    }

    /// The level in words, as the meters' screen-reader value and `scpanel levels` say it:
    /// "peak -12.0 dB, RMS -18.3 dB", "silent" below the floor, and "clipped" while the
    /// clip shows.
    pub fn describe(&self, now: Instant) -> String {
        let db = |v: f32| {
            if v <= FLOOR_DB {
                "silent".to_string()
            } else {
                format!("{v:.1} dB")
            }
        };
        let mut text = format!("peak {}, RMS {}", db(self.peak_db), db(self.rms_db));
        if self.clipping(now) {
            text.push_str(", clipped");
        }
        text
    }
}

/// How many meters on other buses a client runs at once: their synths have ids of their
/// own in the client's own-node block (`ops::own_nodes::Own::BusMeter`).
pub const MAX_BUS_METERS: usize = 16;
/// The most channels one bus meter shows.
pub const MAX_BUS_METER_CHANNELS: usize = 8;

/// A meter on any range of audio buses, as the user asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct BusMeterSpec {
    /// What the meter is called on screen (a node's meter is named after the node).
    pub name: String,
    /// The first audio bus.
    pub bus: u32,
    /// How many buses from `bus` (1 to [`MAX_BUS_METER_CHANNELS`]).
    pub channels: usize,
    /// What was assumed in finding the range, to show beside the meter ("2 channels
    /// assumed: …"); `None` when nothing was.
    pub note: Option<String>,
}

/// A bus meter that runs: its place, its synth and its latest levels.
#[derive(Debug, Clone, PartialEq)]
pub struct BusMeter {
    /// Its slot, 0 to [`MAX_BUS_METERS`] − 1: the same after a reset or a reboot.
    pub slot: usize,
    /// What it meters.
    pub spec: BusMeterSpec,
    /// The synth's node id, once it was made.
    pub node: Option<i32>,
    /// One level per channel.
    pub levels: Vec<ChannelLevel>,
}

/// The latest levels, and which synths feed them.
#[derive(Debug, Clone, Default)]
pub struct Meters {
    /// The hardware inputs' levels.
    pub inputs: Vec<ChannelLevel>,
    /// The hardware outputs' levels.
    pub outputs: Vec<ChannelLevel>,
    /// When a meter reply last came.
    pub updated: Option<Instant>,
    /// The node id of the input meter synth.
    pub input_node: Option<i32>,
    /// The node id of the output meter synth.
    pub output_node: Option<i32>,
    /// Meters on other buses, by slot.
    pub buses: Vec<BusMeter>,
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
        } else if let Some(b) = self.buses.iter_mut().find(|b| b.node == Some(node)) {
            &mut b.levels
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
    /// Whether the level meters run.
    pub meters: bool,
    /// Master volume, in dB.
    pub volume_db: f32,
    /// Whether the outputs are muted.
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

/// The mixer's settings and the synths that carry them out.
#[derive(Debug, Default)]
pub struct MixerState {
    /// What the user asked for.
    pub settings: MixerSettings,
    /// The node id of the volume synth, when it runs.
    pub volume_node: Option<i32>,
    /// The user switched the meters on or off: defaults no longer apply.
    pub meters_chosen: bool,
    /// The meters on other buses the user asked for, by slot; put back after a reset.
    pub bus_meters: Vec<(usize, BusMeterSpec)>,
}

impl BusMeterSpec {
    /// Checks the range against a server with `audio_buses` audio buses.
    pub fn check(&self, audio_buses: u32) -> Result<(), String> {
        if !(1..=MAX_BUS_METER_CHANNELS).contains(&self.channels) {
            return Err(format!(
                "a bus meter shows 1 to {MAX_BUS_METER_CHANNELS} channels, not {}",
                self.channels
            ));
        }
        let last = u64::from(self.bus) + self.channels as u64;
        if last > u64::from(audio_buses) {
            return Err(format!(
                "buses {} to {} are past the server's {audio_buses} audio buses",
                self.bus,
                last - 1
            ));
        }
        Ok(())
    }
}

/// A `SendPeakRMS` reply for our meters.
pub(crate) fn is_meter_reply(m: &OscMessage) -> bool {
    m.addr == METER_REPLY
}

#[cfg(test)]
mod tests {
    use super::*;
    use rosc::OscType;

    fn reply(node: i32, peaks: &[f32]) -> OscMessage {
        let mut args = vec![OscType::Int(node), OscType::Int(-1)];
        for p in peaks {
            args.extend([OscType::Float(*p), OscType::Float(*p / 2.0)]);
        }
        OscMessage {
            addr: METER_REPLY.into(),
            args,
        }
    }

    #[test]
    fn a_reply_goes_to_the_meter_whose_synth_sent_it() {
        let spec = |bus| BusMeterSpec {
            name: format!("bus {bus}"),
            bus,
            channels: 2,
            note: None,
        };
        let mut m = Meters {
            outputs: vec![ChannelLevel::default(); 2],
            output_node: Some(10),
            buses: vec![
                BusMeter {
                    slot: 0,
                    spec: spec(4),
                    node: Some(20),
                    levels: vec![ChannelLevel::default(); 2],
                },
                BusMeter {
                    slot: 1,
                    spec: spec(6),
                    node: Some(21),
                    levels: vec![ChannelLevel::default(); 2],
                },
            ],
            ..Default::default()
        };
        assert!(m.apply(&reply(21, &[0.5, 0.25])));
        assert!((m.buses[1].levels[0].peak_db - -6.02).abs() < 0.01);
        assert_eq!(m.buses[0].levels[0].peak_db, FLOOR_DB, "not the other bus");
        assert_eq!(m.outputs[0].peak_db, FLOOR_DB, "not the outputs");
        assert!(!m.apply(&reply(99, &[0.5])), "nobody's meter");
    }

    #[test]
    fn a_bus_range_must_fit_the_server() {
        let spec = |bus, channels| BusMeterSpec {
            name: String::new(),
            bus,
            channels,
            note: None,
        };
        assert!(spec(4, 2).check(1024).is_ok());
        assert!(spec(1022, 2).check(1024).is_ok());
        assert!(spec(1023, 2).check(1024).is_err());
        assert!(spec(0, 0).check(1024).is_err());
        assert!(spec(0, 9).check(1024).is_err());
    }
}
