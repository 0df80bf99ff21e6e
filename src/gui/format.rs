//! Pure helpers that turn what a server reported into what the window shows: figures,
//! times, recording lines and meter pictures. No egui, no session: the session, the bridge
//! and the panels all use them, so they live below all three.

use std::time::Duration;

use scpanel_core::StatusInfo;
use scpanel_core::levels::ChannelLevel;
use scpanel_core::recording::Recording;

/// The bar's figures as shown. A status reply that leaves them as they were needs no frame.
/// Whole percents: an idle scsynth's load wanders by tenths of a percent every poll, which
/// would cost a frame each time and tell a musician nothing (the plots show the detail).
pub(crate) fn figures(st: &StatusInfo) -> [String; 2] {
    [
        format!("CPU {:.0}% (peak {:.0}%)", st.average_cpu, st.peak_cpu),
        format!(
            "{} UGens  {} synths  {} groups  {} SynthDefs",
            st.ugens, st.synths, st.groups, st.synthdefs
        ),
    ]
}

/// `02:13`; hours only when there are some (`1:02:13`).
pub(crate) fn mm_ss(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// `REC 02:13`, or `REC paused 02:13`.
pub(crate) fn rec_short(r: &Recording) -> String {
    let what = if r.is_paused() { "REC paused" } else { "REC" };
    format!("{what} {}", mm_ss(r.elapsed()))
}

/// `REC 02:13 · 31 MB · name.wav`, for the status bar on every tab, in the error colour (no
/// dot: the shipped proportional font has no U+25CF).
pub(crate) fn rec_text(r: &Recording, bytes: u64) -> String {
    let name = r.options.path.file_name().map_or_else(
        || r.options.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!(
        "{} \u{B7} {:.0} MB \u{B7} {name}",
        rec_short(r),
        bytes as f64 / 1e6
    )
}

/// The quietest level the master meter draws: its bars are 60 px, one a decibel.
pub(crate) const MASTER_FLOOR_DB: f32 = -60.0;

/// The master meter as drawn: each bar's length in whole pixels and whether it is red. Two
/// meter replies with the same picture need no frame.
pub(crate) fn master_picture(outputs: &[ChannelLevel]) -> Vec<(i16, i16)> {
    let now = std::time::Instant::now();
    outputs
        .iter()
        .map(|l| {
            let px = l.peak_db.clamp(MASTER_FLOOR_DB, 0.0).round() as i16;
            (px, i16::from(l.clipping(now)))
        })
        .collect()
}

/// The meters as drawn: whole decibels down to the floor of the bars, and the clip lights.
/// Two replies with the same picture need no frame.
pub(crate) fn meter_picture(m: &scpanel_core::levels::Meters) -> Vec<(i16, i16)> {
    let step = |db: f32| db.clamp(METER_FLOOR_DB, 0.0).round() as i16;
    m.inputs
        .iter()
        .chain(&m.outputs)
        .chain(m.buses.iter().flat_map(|b| &b.levels))
        .map(|l| (step(l.peak_db), step(l.rms_db)))
        .collect()
}

/// The bottom of a drawn meter bar: anything quieter looks the same.
const METER_FLOOR_DB: f32 = -60.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_reads_in_minutes_and_seconds() {
        assert_eq!(mm_ss(Duration::from_secs(133)), "02:13");
        assert_eq!(mm_ss(Duration::from_secs(3733)), "1:02:13");
        assert_eq!(mm_ss(Duration::ZERO), "00:00");
    }
}
