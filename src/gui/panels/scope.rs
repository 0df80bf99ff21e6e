//! The Scope tab: what a bus range carries, over the network (see `ops::scope`), as time
//! traces overlaid or stacked, or as a Lissajous figure of two channels; a rising-edge
//! trigger holds a steady tone still. Time traces are drawn into one texture, a bar per pixel
//! column (`trace_picture`), so a frame costs the window's width, not the 4096 frames behind
//! it; the Lissajous figure is a line of at most 2,048 points.

use egui::{Pos2, Rect, Sense, Shape, Stroke, Vec2};

use crate::gui::render::trace_picture::{Trace, TracePicture};
use crate::gui::scope_feed::ScopeView;
use crate::gui::theme::channel_colour;
use crate::gui::widgets::scope_source::{ScopeSource, status_line};
use scpanel_core::ScopeSpec;
use scpanel_core::levels::FLOOR_DB;
use scpanel_core::scope::{DEFAULT_RATE, TriggerMode, triggered};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeLayout {
    Overlaid,
    Stacked,
    Lissajous,
}

/// Frames shown, widest first: the x zoom.
pub(crate) const SPANS: [usize; 5] = [4096, 2048, 1024, 512, 256];
/// Amplification: the y zoom.
pub(crate) const GAINS: [f32; 6] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];

pub struct ScopePanel {
    pub layout: ScopeLayout,
    pub shown: usize,
    pub gain: f32,
    pub trigger: bool,
    pub level: f32,
    picture: TracePicture,
}

impl Default for ScopePanel {
    fn default() -> Self {
        ScopePanel {
            layout: ScopeLayout::Overlaid,
            shown: 4096,
            gain: 1.0,
            trigger: true,
            level: 0.0,
            picture: TracePicture::default(),
        }
    }
}

fn db(v: f32) -> String {
    if v <= 0.0 {
        "silent".into()
    } else {
        let d = 20.0 * v.log10();
        if d <= FLOOR_DB {
            "silent".into()
        } else {
            format!("{d:.1} dB")
        }
    }
}

impl ScopePanel {
    /// What the capture must hold: twice the frames shown when triggered, so an edge can be
    /// looked for in a window's worth before them.
    pub fn spec(&self, source: &ScopeSource) -> ScopeSpec {
        ScopeSpec {
            bus: source.bus,
            channels: source.channels,
            frames: if self.trigger {
                2 * self.shown
            } else {
                self.shown
            },
            rate: DEFAULT_RATE,
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        source: &mut ScopeSource,
        view: &ScopeView,
        layout: (u32, u32),
    ) {
        let (audio_buses, outputs) = layout;
        ui.horizontal_wrapped(|ui| {
            ui.heading("Scope");
            source.ui(ui, audio_buses, outputs);
            ui.separator();
            ui.selectable_value(&mut self.layout, ScopeLayout::Overlaid, "Overlaid");
            ui.selectable_value(&mut self.layout, ScopeLayout::Stacked, "Stacked");
            ui.add_enabled_ui(source.channels >= 2, |ui| {
                ui.selectable_value(&mut self.layout, ScopeLayout::Lissajous, "Lissajous")
                    .on_hover_text("Channel 1 across, channel 2 up");
            });
        });
        ui.horizontal_wrapped(|ui| {
            let sr = view.frame.as_ref().map_or(48_000.0, |f| f.sample_rate);
            egui::ComboBox::from_label("Time")
                .selected_text(span_text(self.shown, sr))
                .show_ui(ui, |ui| {
                    for s in SPANS {
                        ui.selectable_value(&mut self.shown, s, span_text(s, sr));
                    }
                });
            egui::ComboBox::from_label("Gain")
                .width(56.0)
                .selected_text(format!("×{}", self.gain))
                .show_ui(ui, |ui| {
                    for g in GAINS {
                        ui.selectable_value(&mut self.gain, g, format!("×{g}"));
                    }
                });
            ui.checkbox(&mut self.trigger, "Trigger")
                .on_hover_text("Start each picture where channel 1 rises through the level");
            if self.trigger {
                let label = ui.label("Level");
                // Narrow, so the row still fits beside the side panel at 900 px.
                ui.spacing_mut().slider_width = 90.0;
                ui.add(egui::Slider::new(&mut self.level, -1.0..=1.0).step_by(0.01))
                    .labelled_by(label.id);
            }
        });
        ui.label(status_line(source, view));
        let Some(frame) = view.frame.as_ref() else {
            let (rect, _) = ui.allocate_exact_size(ui.available_size(), Sense::hover());
            let grid = Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color);
            ui.painter()
                .rect_stroke(rect, 2.0, grid, egui::StrokeKind::Inside);
            return;
        };
        let mode = if self.trigger {
            TriggerMode::Rising { level: self.level }
        } else {
            TriggerMode::Free
        };
        let (shown, fired) = triggered(&frame.channels, self.shown, mode);
        let size = ui.available_size().max(Vec2::new(120.0, 80.0));
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        let painter = ui.painter_at(rect);
        let grid = Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color);
        // A frame, not a fill: under software GL filling the plot cost as much again as
        // drawing everything else in it (scripts/bench-draw.sh scope).
        painter.rect_stroke(rect, 2.0, grid, egui::StrokeKind::Inside);
        // How the picture is drawn, for whoever reads it rather than sees it.
        let drawn = match self.layout {
            ScopeLayout::Lissajous if shown.len() >= 2 => {
                let side = rect.width().min(rect.height());
                let square = Rect::from_center_size(rect.center(), Vec2::splat(side));
                painter.line_segment([square.left_center(), square.right_center()], grid);
                painter.line_segment([square.center_top(), square.center_bottom()], grid);
                painter.rect_stroke(square, 0.0, grid, egui::StrokeKind::Inside);
                let step = (shown[0].len() / 2048).max(1);
                let points: Vec<Pos2> = shown[0]
                    .iter()
                    .zip(&shown[1])
                    .step_by(step)
                    .map(|(x, y)| {
                        let to = |v: f32| (v * self.gain).clamp(-1.0, 1.0) * side / 2.0;
                        square.center() + Vec2::new(to(*x), -to(*y))
                    })
                    .collect();
                painter.add(Shape::line(
                    points,
                    Stroke::new(1.0, channel_colour(0, ui.visuals().dark_mode)),
                ));
                "as a Lissajous figure of channels 1 and 2".to_string()
            }
            layout => {
                let lanes = if layout == ScopeLayout::Stacked {
                    shown.len().max(1)
                } else {
                    1
                };
                let lane_h = rect.height() / lanes as f32;
                for lane in 0..lanes {
                    let r = Rect::from_min_size(
                        rect.min + Vec2::new(0.0, lane as f32 * lane_h),
                        Vec2::new(rect.width(), lane_h),
                    );
                    painter.line_segment([r.left_center(), r.right_center()], grid);
                    if lanes > 1 {
                        painter.line_segment([r.left_bottom(), r.right_bottom()], grid);
                    }
                }
                let dark = ui.visuals().dark_mode;
                let traces = shown
                    .iter()
                    .enumerate()
                    .map(|(i, samples)| Trace {
                        lane: if lanes > 1 { i } else { 0 },
                        samples: samples.clone(),
                        colour: channel_colour(i, dark),
                    })
                    .collect();
                self.picture
                    .show(ui.ctx(), &painter, rect, lanes, traces, self.gain);
                if lanes > 1 {
                    format!("stacked in {lanes} lanes")
                } else {
                    "overlaid in one lane".to_string()
                }
            }
        };
        let value = format!(
            "{}; drawn {drawn}",
            figure_value(source, &shown, fired && self.trigger, frame.stats)
        );
        ui.ctx().accesskit_node_builder(response.id, |n| {
            n.set_role(egui::accesskit::Role::Figure);
            n.set_label("Scope picture");
            n.set_value(value);
        });
    }
}

fn span_text(frames: usize, sample_rate: f64) -> String {
    format!(
        "{frames} frames ({:.1} ms)",
        frames as f64 / sample_rate * 1000.0
    )
}

/// The picture in words: each channel's peak, whether the trigger holds it.
pub(crate) fn figure_value(
    source: &ScopeSource,
    shown: &[Vec<f32>],
    triggered: bool,
    stats: scpanel_core::scope::ScopeStats,
) -> String {
    let peaks: Vec<String> = shown
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = c.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            format!("channel {} peak {}", i + 1, db(p))
        })
        .collect();
    format!(
        "{}: {}; {}; {:.0} updates a second",
        source.describe(),
        peaks.join(", "),
        if triggered {
            "triggered"
        } else {
            "free-running"
        },
        stats.updates_per_sec
    )
}
