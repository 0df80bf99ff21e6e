//! The levels the meters show and what the user set on the mixer (meters on, volume,
//! mute): the state; the synths that make them are in `ops::mixer`.

use std::time::Instant;

use rosc::OscMessage;

use crate::wire::protocol::{float_arg, int_arg};

pub use crate::synthdef::builtins::METER_REPLY;
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
}

/// A `SendPeakRMS` reply for our meters.
pub(crate) fn is_meter_reply(m: &OscMessage) -> bool {
    m.addr == METER_REPLY
}
