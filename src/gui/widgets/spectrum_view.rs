//! The spectrum of one or more channels, overlaid: a log-frequency axis from 20 Hz to
//! Nyquist, 0 to −96 dBFS, a peak-hold trace per channel and a cursor that reads frequency
//! and level. Drawn with the painter, one point per pixel column, so a frame costs the
//! plot's width whatever the FFT size. The strongest peaks are its value for screen readers.

use std::time::Instant;

use egui::{Align2, FontId, Pos2, Rect, Sense, Stroke, Vec2, pos2};

use crate::gui::theme::channel_colour;
use scpanel_core::spectrum::{DB_RANGE, PeakHold, SIZES, Spectrum};

/// The lowest frequency shown.
pub(crate) const LOW_HZ: f64 = 20.0;

/// The frequencies labelled on the axis, with their labels.
const FREQ_TICKS: [(f64, &str); 9] = [
    (50.0, "50"),
    (100.0, "100"),
    (200.0, "200"),
    (500.0, "500"),
    (1_000.0, "1k"),
    (2_000.0, "2k"),
    (5_000.0, "5k"),
    (10_000.0, "10k"),
    (20_000.0, "20k"),
];

/// A horizontal line every this many dB.
const DB_STEP: f32 = 12.0;

/// Channel colours, in order: the theme's tones, each readable on the window's background.
/// How many peaks per channel the screen reader hears.
const SPOKEN_PEAKS: usize = 3;

/// Room left of and below the plot for the axis labels, in points.
const LEFT: f32 = 34.0;
const BOTTOM: f32 = 16.0;

/// What the pointer reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub hz: f64,
    pub db: f32,
    /// The channel read: the one whose trace is nearest the pointer.
    pub channel: usize,
}

/// The view's state, kept by the tab that shows it.
#[derive(Debug)]
pub struct SpectrumView {
    size: usize,
    pub hold_on: bool,
    holds: Vec<PeakHold>,
    cursor: Option<Cursor>,
    /// The plot area last drawn (inside the axis labels), and its top frequency.
    plot: Option<(Rect, f64)>,
    /// The spectra in words, as of the last update.
    summary: String,
}

impl Default for SpectrumView {
    fn default() -> Self {
        SpectrumView {
            size: 4096,
            hold_on: true,
            holds: Vec::new(),
            cursor: None,
            plot: None,
            summary: String::new(),
        }
    }
}

impl SpectrumView {
    /// The window size chosen: the tab analyses with an `Analyzer` of this size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// What the pointer read in the last frame, if it was over the plot.
    pub fn cursor(&self) -> Option<Cursor> {
        self.cursor
    }

    /// The plot area last drawn and the frequency at its right edge.
    pub fn plot_area(&self) -> Option<(Rect, f64)> {
        self.plot
    }

    pub fn reset_hold(&mut self) {
        self.holds.iter_mut().for_each(PeakHold::reset);
    }

    /// Window size, peak hold on/off and its reset.
    pub fn controls(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Window size");
            let before = self.size;
            egui::ComboBox::from_id_salt("spectrum-size")
                .selected_text(self.size.to_string())
                .show_ui(ui, |ui| {
                    for s in SIZES {
                        ui.selectable_value(&mut self.size, s, s.to_string());
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(
                    "Points per FFT: more resolves closer tones, fewer follows changes faster",
                );
            if self.size != before {
                self.reset_hold();
            }
            let hold = PeakHold::default();
            ui.checkbox(&mut self.hold_on, "Peak hold").on_hover_text(format!(
                "A thin line keeps each level's maximum for {:.0} s, then lets it fall {:.0} dB/s",
                hold.hold.as_secs_f32(),
                hold.fall_db_per_s
            ));
            if ui
                .add_enabled(self.hold_on, egui::Button::new("Reset peak hold"))
                .clicked()
            {
                self.reset_hold();
            }
        });
    }

    /// Draws `spectra` (one per channel) and the cursor's reading below them.
    /// Takes new spectra (once per capture, not per frame drawn): the peak holds follow
    /// them, and the words for screen readers are worked out once (finding peaks walks
    /// every bin).
    pub fn update(&mut self, spectra: &[Spectrum], now: Instant) {
        self.holds.resize_with(spectra.len(), PeakHold::default);
        if self.hold_on {
            for (hold, s) in self.holds.iter_mut().zip(spectra) {
                if !s.db.is_empty() {
                    hold.update(s, now);
                }
            }
        }
        self.summary = summary(spectra);
    }

    /// Draws `spectra`, as last given to [`SpectrumView::update`].
    pub fn ui(&mut self, ui: &mut egui::Ui, spectra: &[Spectrum]) {
        self.holds.resize_with(spectra.len(), PeakHold::default);
        let dark = ui.visuals().dark_mode;
        let reading_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let size = Vec2::new(
            ui.available_width(),
            (ui.available_height() - reading_height).max(160.0),
        );
        let (response, painter) = ui.allocate_painter(size, Sense::hover());
        let outer = response.rect;
        // The readout follows the pointer: every move over the plot counts.
        crate::gui::hover::tracks_pointer(ui, outer);
        let plot = Rect::from_min_max(
            pos2(outer.left() + LEFT, outer.top() + 6.0),
            pos2(outer.right() - 8.0, outer.bottom() - BOTTOM),
        );
        let top_hz = spectra
            .iter()
            .find(|s| !s.db.is_empty())
            .map(Spectrum::nyquist)
            .filter(|&n| n > LOW_HZ * 2.0)
            .unwrap_or(24_000.0);
        self.plot = Some((plot, top_hz));
        let axis = Axis { plot, top_hz };

        let visuals = ui.visuals();
        painter.rect_filled(plot, 0.0, visuals.extreme_bg_color);
        let grid = Stroke::new(1.0, visuals.widgets.noninteractive.bg_stroke.color);
        let text = visuals.weak_text_color();
        let font = crate::gui::theme::caption_font();
        let mut db = 0.0;
        while db >= -DB_RANGE {
            let y = axis.y_of(db);
            painter.hline(plot.x_range(), y, grid);
            painter.text(
                pos2(plot.left() - 4.0, y),
                Align2::RIGHT_CENTER,
                format!("{db:.0}"),
                font.clone(),
                text,
            );
            db -= DB_STEP;
        }
        for (hz, label) in FREQ_TICKS.iter().filter(|(hz, _)| *hz <= top_hz) {
            let x = axis.x_of(*hz);
            painter.vline(x, plot.y_range(), grid);
            painter.text(
                pos2(x, plot.bottom() + 2.0),
                Align2::CENTER_TOP,
                *label,
                font.clone(),
                text,
            );
        }

        let clipped = painter.with_clip_rect(plot);
        for (i, s) in spectra.iter().enumerate() {
            let colour = channel_colour(i, dark);
            if self.hold_on
                && let Some(hold) = self.holds.get(i)
                && !hold.held().db.is_empty()
            {
                clipped.line(
                    axis.columns(hold.held()),
                    Stroke::new(1.0, colour.gamma_multiply(0.6)),
                );
            }
            if !s.db.is_empty() {
                clipped.line(axis.columns(s), Stroke::new(1.5, colour));
            }
        }

        self.cursor = response
            .hover_pos()
            .filter(|p| plot.contains(*p))
            .and_then(|p| {
                let hz = axis.hz_of(p.x);
                let (channel, db) = spectra
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !s.db.is_empty())
                    .map(|(i, s)| (i, s.level_at(hz)))
                    .min_by(|a, b| {
                        let d = |db: f32| (axis.y_of(db) - p.y).abs();
                        d(a.1).total_cmp(&d(b.1))
                    })?;
                Some(Cursor { hz, db, channel })
            });
        if let Some(c) = self.cursor {
            let x = axis.x_of(c.hz);
            let y = axis.y_of(c.db);
            let ink = visuals.strong_text_color();
            painter.vline(x, plot.y_range(), Stroke::new(1.0, ink));
            painter.circle_stroke(
                pos2(x, y),
                3.5,
                Stroke::new(1.5, channel_colour(c.channel, dark)),
            );
            let right = x < plot.center().x;
            painter.text(
                pos2(if right { x + 6.0 } else { x - 6.0 }, plot.top() + 2.0),
                if right {
                    Align2::LEFT_TOP
                } else {
                    Align2::RIGHT_TOP
                },
                self.reading(spectra.len()),
                FontId::proportional(crate::gui::theme::size::READOUT),
                ink,
            );
        }

        described(ui, response.id, "Spectrum plot", &self.summary);
        let reading = if self.cursor.is_some() {
            self.reading(spectra.len())
        } else {
            "Point at the spectrum to read a frequency and its level".to_string()
        };
        let filling = spectra.iter().map(|s| s.filled).fold(1.0f32, f32::min);
        if filling < 1.0 && spectra.iter().any(|s| !s.db.is_empty()) {
            ui.label(format!(
                "{reading} (window {:.0} % filled: levels read low until it fills)",
                filling * 100.0
            ));
        } else {
            ui.label(reading);
        }
    }

    /// The cursor as words: "1.00 kHz, -12.0 dB", naming the channel when there are several.
    fn reading(&self, channels: usize) -> String {
        match self.cursor {
            None => String::new(),
            Some(c) if channels > 1 => format!(
                "{}, {} (channel {})",
                hz_text(c.hz),
                db_text(c.db),
                c.channel + 1
            ),
            Some(c) => format!("{}, {}", hz_text(c.hz), db_text(c.db)),
        }
    }
}

/// The plot's mapping between frequency / level and points.
struct Axis {
    plot: Rect,
    top_hz: f64,
}

impl Axis {
    fn x_of(&self, hz: f64) -> f32 {
        x_of(self.plot, self.top_hz, hz)
    }

    fn hz_of(&self, x: f32) -> f64 {
        let t = f64::from((x - self.plot.left()) / self.plot.width());
        LOW_HZ * (self.top_hz / LOW_HZ).powf(t)
    }

    fn y_of(&self, db: f32) -> f32 {
        let t = (-db / DB_RANGE).clamp(0.0, 1.0);
        self.plot.top() + t * self.plot.height()
    }

    /// One point per pixel column: the loudest bin in the column, or where bins are wider
    /// than a column, the level interpolated at its centre.
    fn columns(&self, s: &Spectrum) -> Vec<Pos2> {
        let bin = s.bin_hz();
        let columns = self.plot.width().ceil().max(1.0) as usize;
        let mut points = Vec::with_capacity(columns + 1);
        if bin <= 0.0 || s.db.is_empty() {
            return points;
        }
        for c in 0..=columns {
            let x = self.plot.left() + c as f32;
            let (lo, hi) = (self.hz_of(x - 0.5), self.hz_of(x + 0.5));
            let first = (lo / bin).ceil().max(0.0) as usize;
            let last = ((hi / bin).floor() as usize).min(s.db.len() - 1);
            let db = if first <= last {
                s.db[first..=last].iter().copied().fold(-DB_RANGE, f32::max)
            } else {
                s.level_at(self.hz_of(x))
            };
            points.push(pos2(x, self.y_of(db)));
        }
        points
    }
}

/// Where `hz` falls across `plot`, on a log axis from [`LOW_HZ`] to `top_hz`.
pub fn x_of(plot: Rect, top_hz: f64, hz: f64) -> f32 {
    let t = (hz.max(f64::MIN_POSITIVE) / LOW_HZ).ln() / (top_hz / LOW_HZ).ln();
    plot.left() + t as f32 * plot.width()
}

/// "440 Hz", "1.00 kHz", "12.5 kHz".
pub(crate) fn hz_text(hz: f64) -> String {
    // Each bound is where the shorter form would round up into the next one ("1000 Hz").
    if hz < 99.95 {
        format!("{hz:.1} Hz")
    } else if hz < 999.5 {
        format!("{hz:.0} Hz")
    } else if hz < 9_995.0 {
        format!("{:.2} kHz", hz / 1_000.0)
    } else {
        format!("{:.1} kHz", hz / 1_000.0)
    }
}

/// "-12.0 dB".
pub(crate) fn db_text(db: f32) -> String {
    format!("{db:.1} dB")
}

/// The strongest peaks in words: "strongest: 1.00 kHz at -12.0 dB; 440 Hz at -20.1 dB",
/// a clause per channel when there are several.
pub(crate) fn summary(spectra: &[Spectrum]) -> String {
    let one = |s: &Spectrum| {
        if s.db.is_empty() {
            return "no signal yet".to_string();
        }
        let peaks = s.peaks(SPOKEN_PEAKS);
        if peaks.is_empty() {
            return format!("no peaks above {}", db_text(-DB_RANGE));
        }
        let list: Vec<String> = peaks
            .iter()
            .map(|p| format!("{} at {}", hz_text(p.hz), db_text(p.db)))
            .collect();
        format!("strongest: {}", list.join("; "))
    };
    match spectra {
        [] => "no signal yet".to_string(),
        [s] => one(s),
        many => many
            .iter()
            .enumerate()
            .map(|(i, s)| format!("channel {}, {}", i + 1, one(s)))
            .collect::<Vec<_>>()
            .join(". "),
    }
}

/// Gives the plot a name and a value a screen reader can say (as `plots.rs` does for its own).
fn described(ui: &egui::Ui, id: egui::Id, name: &str, value: &str) {
    ui.ctx().accesskit_node_builder(id, |n| {
        n.set_role(egui::accesskit::Role::Figure);
        n.set_label(name);
        n.set_value(value);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spectrum_of(db: Vec<f32>, rate: f64) -> Spectrum {
        Spectrum {
            sample_rate: rate,
            size: (db.len() - 1) * 2,
            db,
            filled: 1.0,
        }
    }

    #[test]
    fn frequencies_read_as_people_write_them() {
        assert_eq!(hz_text(1_000.0), "1.00 kHz");
        assert_eq!(hz_text(999.7), "1.00 kHz");
        assert_eq!(hz_text(99.97), "100 Hz");
        assert_eq!(hz_text(9_997.0), "10.0 kHz");
        assert_eq!(hz_text(440.0), "440 Hz");
        assert_eq!(hz_text(12_500.0), "12.5 kHz");
        assert_eq!(hz_text(55.25), "55.2 Hz");
        assert_eq!(db_text(-12.04), "-12.0 dB");
    }

    #[test]
    fn the_axis_is_logarithmic_and_round_trips() {
        let axis = Axis {
            plot: Rect::from_min_size(pos2(10.0, 0.0), Vec2::new(300.0, 100.0)),
            top_hz: 24_000.0,
        };
        assert!((axis.x_of(LOW_HZ) - 10.0).abs() < 1e-3);
        assert!((axis.x_of(24_000.0) - 310.0).abs() < 1e-3);
        // Equal ratios, equal distances.
        let d1 = axis.x_of(200.0) - axis.x_of(100.0);
        let d2 = axis.x_of(2_000.0) - axis.x_of(1_000.0);
        assert!((d1 - d2).abs() < 1e-3);
        for hz in [20.0, 63.0, 1_000.0, 17_000.0] {
            assert!((axis.hz_of(axis.x_of(hz)) - hz).abs() / hz < 1e-4);
        }
        assert_eq!(axis.y_of(0.0), 0.0);
        assert_eq!(axis.y_of(-DB_RANGE), 100.0);
        assert_eq!(axis.y_of(-200.0), 100.0);
    }

    #[test]
    fn columns_keep_the_loudest_bin_and_cost_the_width() {
        // One loud bin among many in the high, crowded columns must survive decimation.
        let mut db = vec![-90.0; 4097];
        db[3000] = -3.0;
        let s = spectrum_of(db, 48_000.0);
        let axis = Axis {
            plot: Rect::from_min_size(pos2(0.0, 0.0), Vec2::new(200.0, 96.0)),
            top_hz: s.nyquist(),
        };
        let points = axis.columns(&s);
        assert_eq!(points.len(), 201);
        let top = points.iter().map(|p| p.y).fold(f32::MAX, f32::min);
        assert!((top - axis.y_of(-3.0)).abs() < 1e-3, "{top}");
    }
}
