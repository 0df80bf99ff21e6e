//! The Shows tab: the flight recorder's shows, and one show's timeline to look back at.
//!
//! The list is read from the shows' folder (each file's one-row summary); a show, once
//! picked, is read whole into a [`Timeline`] on the runtime and drawn from memory: every
//! server's average CPU (solid) and peak (faint), the events as markers along the bottom,
//! marks as labelled flags, crashes as red lines. The plot zooms and pans in time (wheel,
//! drag, the span buttons), from the whole show down to seconds; the cursor (where the
//! pointer is, or where it was clicked) reads every server's figures at its time.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use egui::{Color32, RichText};
use egui_plot::{
    GridInput, GridMark, Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotPoints, Points, Text,
    VLine,
};

use crate::gui::format::mm_ss;
use crate::gui::theme::{Tone, tone};
use crate::keeping::{self, Keeping};
use crate::timeline::{Folded, Lane, MarkerKind, Point, Seconds, Timeline, lane_rgb, step_for};
use scpanel_core::clock;
use scpanel_core::journal::{Event, ShowInfo};

/// What the tab asked for this frame (the app does it on the runtime).
#[derive(Debug, Clone, PartialEq)]
pub enum ShowsAsk {
    /// Read the folder's list again.
    List,
    /// Read this show file.
    Open(PathBuf),
    /// Ask for a show file to open (someone sent one).
    PickFile,
    /// Paint the timeline between these times into a PNG the user names.
    ExportPng(Seconds, Seconds),
    /// Write the samples and events as CSV into a folder the user picks.
    ExportCsv,
    /// Keep shows so long from now on, and drop those past it now.
    Keep(Keeping),
}

/// The spans the zoom buttons offer, in seconds (`None`: the whole show).
const SPANS: [(&str, Option<Seconds>); 5] = [
    ("Whole show", None),
    ("1 h", Some(3600.0)),
    ("10 min", Some(600.0)),
    ("1 min", Some(60.0)),
    ("10 s", Some(10.0)),
];

/// The most servers the cursor's readout lists one by one.
const MAX_READ: usize = 8;

/// The narrowest span the plot zooms to: a few status replies.
const MIN_SPAN: Seconds = 2.0;

#[derive(Default)]
pub struct ShowsTab {
    /// The folder's shows, newest first.
    pub list: Vec<ShowInfo>,
    /// The folder, as the list was read from it.
    pub folder: Option<PathBuf>,
    /// Why the list could not be read.
    pub list_error: Option<String>,
    /// A list read is under way.
    pub listing: bool,
    /// The list was asked for at least once.
    pub listed: bool,
    /// The show on screen.
    pub opened: Option<Arc<Timeline>>,
    /// A show being read.
    pub opening: Option<PathBuf>,
    /// Why the last show could not be read.
    pub open_error: Option<String>,
    /// What the last export did, and whether it failed.
    pub said: Option<(String, bool)>,
    /// A span to show from the next frame on.
    want: Option<(Seconds, Seconds)>,
    /// The span shown in the last frame.
    pub shown: Option<(Seconds, Seconds)>,
    /// Where the cursor was clicked.
    pub pinned: Option<Seconds>,
    /// Where the pointer is over the plot.
    pub hovered: Option<Seconds>,
    /// How long shows are kept, as saved (read with the list), and as being edited.
    pub keeping: Option<Keeping>,
    keeping_edit: Option<Keeping>,
    /// The lanes folded for the last span drawn, and what they were folded for (the show,
    /// the span's ends and the buckets).
    folded: Option<(FoldKey, Vec<Vec<Vec<Point>>>)>,
    /// Counts the shows put on screen: the fold's key names the show by it (an address could
    /// be the next show's).
    generation: u64,
}

type FoldKey = (u64, u64, u64, usize);

impl ShowsTab {
    /// A show read: on screen from now on. `again`: the same show read anew (the one being
    /// recorded): the span and the cursor stay.
    pub fn opened(&mut self, timeline: Timeline) {
        let again = self
            .opened
            .as_ref()
            .is_some_and(|t| t.info.path == timeline.info.path);
        if !again {
            self.want = Some((0.0, timeline.length.max(MIN_SPAN)));
            self.pinned = None;
        } else if let (Some((lo, hi)), Some(old)) = (self.shown, &self.opened) {
            // Looking at the whole show: keep looking at all of it as it grows.
            if lo <= 0.0 && hi >= old.length {
                self.want = Some((0.0, timeline.length.max(MIN_SPAN)));
            }
        }
        self.opened = Some(Arc::new(timeline));
        self.generation += 1;
        self.open_error = None;
        self.opening = None;
    }

    /// The cursor's time: where the pointer is, else where it was clicked.
    pub fn cursor(&self) -> Option<Seconds> {
        self.hovered.or(self.pinned)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, live: Option<&std::path::Path>) -> Option<ShowsAsk> {
        let mut asked = None;
        if !self.listed {
            self.listed = true;
            asked = Some(ShowsAsk::List);
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(!self.listing, egui::Button::new("Refresh list"))
                .clicked()
            {
                asked = Some(ShowsAsk::List);
            }
            if ui
                .button("Open a show file…")
                .on_hover_text("A show someone sent you (a .sqlite file)")
                .clicked()
            {
                asked = Some(ShowsAsk::PickFile);
            }
            if let Some(folder) = &self.folder {
                ui.label(RichText::new(format!("in {}", folder.display())).weak())
                    .on_hover_text("Where scpanel keeps its shows");
            }
            if self.listing || self.opening.is_some() {
                ui.spinner();
            }
            if let Some((said, failed)) = &self.said {
                let colour = if *failed {
                    tone(ui, Tone::Error)
                } else {
                    ui.visuals().weak_text_color()
                };
                ui.colored_label(colour, said);
            }
        });
        if let Some(e) = &self.list_error {
            ui.colored_label(tone(ui, Tone::Error), e);
        }
        if let Some(k) = self.keep_ui(ui) {
            asked = Some(ShowsAsk::Keep(k));
        }
        let list_height = (ui.available_height() * 0.2).clamp(44.0, 160.0);
        egui::ScrollArea::vertical()
            .id_salt("shows-list")
            .max_height(list_height)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                if self.list.is_empty() && !self.listing {
                    ui.label(
                        RichText::new("No shows yet: every run of scpanel records one.").weak(),
                    );
                }
                let selected = self.opened.as_ref().map(|t| t.info.path.clone());
                let mut empty = 0;
                for s in &self.list {
                    let is_live = s.live || live.is_some_and(|p| p == s.path);
                    // A run that followed no server and kept no mark has nothing to look at.
                    if !is_live && s.servers.is_empty() && s.events == 0 {
                        empty += 1;
                        continue;
                    }
                    let text = row(s, is_live);
                    let on = selected.as_ref() == Some(&s.path);
                    if ui.selectable_label(on, text).clicked() && !on {
                        asked = Some(ShowsAsk::Open(s.path.clone()));
                    }
                }
                if empty > 0 {
                    ui.label(
                        RichText::new(format!(
                            "{empty} run{} without servers or marks not listed",
                            if empty == 1 { "" } else { "s" }
                        ))
                        .weak(),
                    );
                }
            });
        ui.separator();
        if let Some(e) = &self.open_error {
            ui.colored_label(tone(ui, Tone::Error), e);
        }
        let Some(timeline) = self.opened.clone() else {
            if self.opening.is_none() && self.open_error.is_none() {
                ui.label(RichText::new("Pick a show above to see its timeline.").weak());
            }
            return asked;
        };
        self.card(ui, &timeline);
        ui.horizontal_wrapped(|ui| {
            ui.label("Span");
            for (label, span) in SPANS {
                if ui.button(label).clicked() {
                    self.want = Some(match span {
                        None => (0.0, timeline.length.max(MIN_SPAN)),
                        Some(w) => {
                            let centre = self.pinned.unwrap_or_else(|| {
                                self.shown
                                    .map_or(timeline.length / 2.0, |(a, b)| (a + b) / 2.0)
                            });
                            (centre - w / 2.0, centre + w / 2.0)
                        }
                    });
                }
            }
            ui.separator();
            if ui.button("Export PNG…").clicked() {
                let (lo, hi) = self.shown.unwrap_or((0.0, timeline.length));
                asked = Some(ShowsAsk::ExportPng(lo, hi));
            }
            if ui.button("Export CSV…").clicked() {
                asked = Some(ShowsAsk::ExportCsv);
            }
        });
        // The readout keeps its room whether or not the cursor is on the plot, so the plot
        // never jumps as the pointer comes and goes.
        let row = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
        let rows = 2 + timeline.lanes.len().min(MAX_READ + 1);
        let readout_height = row * rows as f32 + 4.0;
        let height = (ui.available_height() - readout_height).max(140.0);
        self.plot(ui, &timeline, height);
        let width = ui.available_width();
        ui.allocate_ui(egui::vec2(width, readout_height), |ui| {
            ui.set_min_height(readout_height);
            self.readout(ui, &timeline);
        });
        asked
    }

    /// "Keep shows": days and room, applied with a click (and the shows past them dropped).
    fn keep_ui(&mut self, ui: &mut egui::Ui) -> Option<Keeping> {
        let saved = self.keeping?;
        let mut asked = None;
        egui::CollapsingHeader::new(format!(
            "Keep shows: {} days, {}",
            saved.days,
            size(saved.megabytes)
        ))
        .id_salt("shows-keep")
        .show(ui, |ui| {
            let edit = self.keeping_edit.get_or_insert(saved);
            ui.horizontal_wrapped(|ui| {
                let days = ui.label("Days kept");
                ui.add(
                    egui::DragValue::new(&mut edit.days)
                        .range(keeping::DAYS)
                        .suffix(" days"),
                )
                .labelled_by(days.id);
                let room = ui.label("Room on disk");
                ui.add(
                    egui::DragValue::new(&mut edit.megabytes)
                        .range(keeping::MEGABYTES)
                        .speed(10.0)
                        .suffix(" MB"),
                )
                .labelled_by(room.id);
                ui.label("(oldest show first out)");
                if ui
                    .add_enabled(*edit != saved, egui::Button::new("Keep so"))
                    .on_hover_text("Saved for the next start; shows past it are removed now")
                    .clicked()
                {
                    asked = Some(*edit);
                }
            });
        });
        asked
    }

    fn card(&self, ui: &mut egui::Ui, t: &Timeline) {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            let servers: Vec<String> = t.lanes.iter().map(|l| l.name.clone()).collect();
            ui.label(
                RichText::new(format!(
                    "Show of {} {}, {} · {}",
                    clock::file_stamp(t.info.started)
                        .get(..10)
                        .unwrap_or_default(),
                    clock::hms(t.info.started),
                    mm_ss(Duration::from_secs_f64(t.length.max(0.0))),
                    if servers.is_empty() {
                        "no servers".to_string()
                    } else {
                        servers.join(", ")
                    }
                ))
                .strong(),
            );
            for line in t.card() {
                ui.label(line);
            }
        });
    }

    fn plot(&mut self, ui: &mut egui::Ui, t: &Timeline, height: f32) {
        let cache = &mut self.folded;
        let generation = self.generation;
        let ceiling = f64::from(t.ceiling());
        // Markers ride below the 0 % line, in a band of their own.
        let band = -ceiling * 0.06;
        let want = self.want.take();
        let pinned = self.pinned;
        let hovered_before = self.hovered;
        let dark = ui.visuals().dark_mode;
        let fine = self.shown.is_some_and(|(a, b)| b - a < 120.0);
        let width = ui.available_width();
        legend(ui, t);
        let height = height - ui.spacing().interact_size.y;
        let plot = Plot::new("show-timeline")
            .height(height)
            .x_grid_spacer(|input| grid(t, input))
            .allow_zoom([true, false])
            .allow_drag([true, false])
            .allow_scroll([true, false])
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .default_y_bounds(band * 1.8, ceiling * 1.04)
            .y_axis_formatter(|m, _| {
                if m.value < 0.0 {
                    String::new()
                } else {
                    format!("{:.0} %", m.value)
                }
            })
            .x_axis_formatter(move |m, range| {
                // Only ticks of a step whose labels have room (~90 points apart) are named;
                // the finer ones stay as grid lines.
                let per_point = (range.end() - range.start()) / f64::from(width.max(1.0));
                if m.step_size < step_for(per_point * 90.0) {
                    return String::new();
                }
                t.clock(m.value, fine || m.step_size < 1.0)
            })
            .label_formatter(|_| None)
            .show(ui, |p| {
                if let Some((lo, hi)) = want {
                    p.set_plot_bounds_x(lo..=hi);
                }
                let b = p.plot_bounds();
                let (mut lo, mut hi) = (b.min()[0], b.max()[0]);
                if hi - lo < MIN_SPAN {
                    let mid = (lo + hi) / 2.0;
                    (lo, hi) = (mid - MIN_SPAN / 2.0, mid + MIN_SPAN / 2.0);
                    p.set_plot_bounds_x(lo..=hi);
                }
                let px = p.response().rect.width().max(1.0);
                let buckets = px as usize;
                // Folded again only when the span, the width or the show changed: a pointer
                // moving over the plot redraws the same lines.
                let key = (generation, lo.to_bits(), hi.to_bits(), buckets);
                if cache.as_ref().is_none_or(|(k, _)| *k != key) {
                    let lines = t.lanes.iter().map(|l| l.runs(lo, hi, buckets)).collect();
                    *cache = Some((key, lines));
                }
                if let Some((_, lines)) = cache.as_ref() {
                    for (i, (lane, runs)) in t.lanes.iter().zip(lines).enumerate() {
                        draw_lane(p, lane, i, runs);
                    }
                }
                let per_px = (hi - lo) / f64::from(px);
                let span = Span {
                    lo,
                    hi,
                    per_px,
                    band,
                    ceiling,
                };
                draw_markers(p, t, &span, buckets / 6, dark);
                if let Some(x) = hovered_before.or(pinned) {
                    p.vline(
                        VLine::new("cursor", x)
                            .color(Color32::GRAY)
                            .width(1.0)
                            .allow_hover(false),
                    );
                }
                let pointer = p.pointer_coordinate().map(|c| c.x);
                let clicked = p.response().clicked();
                ((lo, hi), pointer, clicked)
            });
        crate::gui::hover::tracks_pointer(ui, plot.response.rect);
        let ((lo, hi), pointer, clicked) = plot.inner;
        self.shown = Some((lo, hi));
        self.hovered = pointer.filter(|_| plot.response.hovered());
        if clicked {
            self.pinned = pointer;
        }
        let what = format!(
            "{} server{} from {} to {}. {}",
            t.lanes.len(),
            if t.lanes.len() == 1 { "" } else { "s" },
            t.clock(lo, false),
            t.clock(hi, false),
            t.summary
        );
        ui.ctx().accesskit_node_builder(plot.response.id, |n| {
            n.set_role(egui::accesskit::Role::Figure);
            n.set_label("Show timeline");
            n.set_value(what);
        });
    }

    fn readout(&self, ui: &mut egui::Ui, t: &Timeline) {
        let Some(at) = self.cursor() else {
            ui.label(
                RichText::new("Point at the timeline to read every server at that time; click to keep the cursor there.")
                    .weak(),
            );
            return;
        };
        let near = self.shown.map_or(0.5, |(a, b)| ((b - a) / 200.0).max(0.5));
        let r = t.read_at(at, near);
        let mut head = t.clock(at, true);
        if let Some(m) = r.after_mark
            && let Event::Mark { text } = &m.event
        {
            head.push_str(&format!(
                " · after mark '{}' ({})",
                if text.is_empty() { "—" } else { text },
                t.clock(m.t, false)
            ));
        }
        let events: Vec<String> = r
            .events
            .iter()
            .take(4)
            .map(|m| event_text(t, m.server, &m.event))
            .collect();
        if !events.is_empty() {
            head.push_str(" · ");
            head.push_str(&events.join(" · "));
            let more = r.events.len().saturating_sub(events.len());
            if more > 0 {
                head.push_str(&format!(" · {more} more"));
            }
        }
        ui.label(RichText::new(head).strong())
            .on_hover_text("The cursor's time, the mark before it and the events at it");
        egui::Grid::new("show-cursor")
            .num_columns(6)
            .spacing(egui::vec2(14.0, 0.0))
            .show(ui, |ui| {
                for (i, (lane, v)) in r.values.iter().enumerate().take(MAX_READ) {
                    ui.horizontal(|ui| {
                        swatch(ui, None, rgb(lane_rgb(i)));
                        ui.label(&lane.name);
                    });
                    match v {
                        Some((_, s)) => {
                            ui.label(format!("average {:.1} %", s.average_cpu));
                            ui.label(format!("peak {:.1} %", s.peak_cpu));
                            ui.label(format!("{} synths", s.synths));
                            ui.label(format!("{} UGens", s.ugens));
                            ui.label(format!("{:.1} Hz", s.actual_sample_rate));
                        }
                        None => {
                            ui.label(RichText::new("no reply").weak());
                        }
                    }
                    ui.end_row();
                }
            });
        if r.values.len() > MAX_READ {
            ui.label(
                RichText::new(format!("and {} more servers", r.values.len() - MAX_READ)).weak(),
            );
        }
    }
}

/// The time axis' grid: round local times at three strengths (the plot labels the ones
/// with room).
fn grid(t: &Timeline, input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let small = step_for(input.base_step_size);
    let middle = step_for(small * 2.5);
    let large = step_for(middle * 2.5);
    let mut marks: Vec<GridMark> = Vec::new();
    for step in [large, middle, small] {
        for value in t.ticks(lo, hi, step) {
            // A tick of a larger step is already there, with its larger step.
            if marks.iter().any(|m| (m.value - value).abs() < step * 1e-3) {
                continue;
            }
            marks.push(GridMark {
                value,
                step_size: step,
            });
        }
    }
    marks
}

/// The servers' colours and the markers present, in one line above the plot.
fn legend(ui: &mut egui::Ui, t: &Timeline) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for (i, lane) in t.lanes.iter().enumerate() {
            swatch(ui, None, rgb(lane_rgb(i)));
            ui.label(&lane.name);
            ui.add_space(crate::gui::theme::space::MEDIUM);
        }
        ui.label(RichText::new("(faint: peak)").weak());
        for kind in MarkerKind::ALL {
            if t.has(kind) {
                ui.add_space(crate::gui::theme::space::MEDIUM);
                swatch(ui, Some(kind), rgb(kind.rgb()));
                ui.label(kind.label());
            }
        }
    });
}

/// A lane's line, or a marker's shape, painted small (the fonts lack the symbols).
fn swatch(ui: &mut egui::Ui, kind: Option<MarkerKind>, colour: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
    let p = ui.painter();
    let c = rect.center();
    let v = egui::vec2;
    match kind {
        None => {
            p.line_segment(
                [rect.left_center(), rect.right_center()],
                egui::Stroke::new(2.5, colour),
            );
        }
        Some(MarkerKind::Mark) => {
            p.line_segment(
                [rect.center_top(), rect.center_bottom()],
                egui::Stroke::new(1.5, colour),
            );
        }
        Some(MarkerKind::Crash) => {
            let stroke = egui::Stroke::new(2.0, colour);
            p.line_segment([c + v(-4.0, -4.0), c + v(4.0, 4.0)], stroke);
            p.line_segment([c + v(-4.0, 4.0), c + v(4.0, -4.0)], stroke);
        }
        Some(MarkerKind::Xrun) => {
            p.add(egui::Shape::convex_polygon(
                vec![c + v(-4.5, -4.0), c + v(4.5, -4.0), c + v(0.0, 4.0)],
                colour,
                egui::Stroke::NONE,
            ));
        }
        Some(MarkerKind::Late) => {
            p.add(egui::Shape::convex_polygon(
                vec![c + v(0.0, -4.0), c + v(4.5, 4.0), c + v(-4.5, 4.0)],
                colour,
                egui::Stroke::NONE,
            ));
        }
        Some(_) => {
            p.circle_filled(c, 4.0, colour);
        }
    }
}

fn rgb(c: [u8; 3]) -> Color32 {
    crate::gui::theme::timeline_colour(c)
}

fn draw_lane(p: &mut egui_plot::PlotUi<'_>, lane: &Lane, i: usize, runs: &[Vec<Point>]) {
    let colour = rgb(lane_rgb(i));
    let peak_name = format!("{} peak", lane.name);
    for (j, run) in runs.iter().enumerate() {
        let avg: Vec<[f64; 2]> = run.iter().map(|q| [q.t, f64::from(q.average)]).collect();
        let peak: Vec<[f64; 2]> = run.iter().map(|q| [q.t, f64::from(q.peak)]).collect();
        p.line(
            Line::new(peak_name.clone(), PlotPoints::from(peak))
                .id(("peak", i, j))
                .color(colour.gamma_multiply(0.45))
                .width(1.0),
        );
        p.line(
            Line::new(lane.name.clone(), PlotPoints::from(avg))
                .id(("average", i, j))
                .color(colour)
                .width(1.6),
        );
    }
}

fn shape(kind: MarkerKind) -> MarkerShape {
    match kind {
        MarkerKind::Mark => MarkerShape::Diamond,
        MarkerKind::Crash => MarkerShape::Cross,
        MarkerKind::Failure => MarkerShape::Square,
        MarkerKind::Xrun => MarkerShape::Down,
        MarkerKind::Late => MarkerShape::Up,
        MarkerKind::Unresponsive => MarkerShape::Asterisk,
        MarkerKind::Life => MarkerShape::Circle,
        MarkerKind::Note => MarkerShape::Plus,
    }
}

/// The plot as this frame shows it, for what draws in it.
#[derive(Clone, Copy)]
struct Span {
    lo: f64,
    hi: f64,
    /// Seconds a point (pixel) wide.
    per_px: f64,
    /// The markers' band's top (below 0 %).
    band: f64,
    /// The CPU axis' top.
    ceiling: f64,
}

fn draw_markers(
    p: &mut egui_plot::PlotUi<'_>,
    t: &Timeline,
    span: &Span,
    buckets: usize,
    dark: bool,
) {
    let Span {
        lo,
        hi,
        per_px,
        band,
        ceiling,
    } = *span;
    let folded = t.markers(lo, hi, buckets.max(1));
    let text_colour = if dark {
        Color32::LIGHT_GRAY
    } else {
        Color32::DARK_GRAY
    };
    for (k, kind) in MarkerKind::ALL.into_iter().enumerate() {
        let of_kind: Vec<&Folded<'_>> = folded.iter().filter(|f| f.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let colour = rgb(kind.rgb());
        // Kinds stand in rows of the band, so an xrun and a late line at one time both show.
        let y = band * (0.35 + 0.13 * (k % 5) as f64);
        let points: Vec<[f64; 2]> = of_kind.iter().map(|f| [f.t, y]).collect();
        p.points(
            Points::new(kind.label(), PlotPoints::from(points))
                .id(("markers", k))
                .shape(shape(kind))
                .color(colour)
                .filled(true)
                .radius(4.0),
        );
        for (n, f) in of_kind.iter().enumerate() {
            if f.count > 1 {
                p.text(
                    Text::new(
                        kind.label(),
                        PlotPoint::new(f.t + 6.0 * per_px, y),
                        format!("×{}", f.count),
                    )
                    .id(("count", k, n))
                    .color(text_colour)
                    .anchor(egui::Align2::LEFT_CENTER),
                );
            }
            if kind == MarkerKind::Crash {
                p.vline(
                    VLine::new(kind.label(), f.t)
                        .id(("crash-line", n))
                        .color(colour)
                        .width(1.5),
                );
            }
        }
    }
    // Flags for the marks: a line and its text, a label only where it has room.
    let mut last_label: Option<f64> = None;
    for (n, f) in folded
        .iter()
        .filter(|f| f.kind == MarkerKind::Mark)
        .enumerate()
    {
        let colour = rgb(MarkerKind::Mark.rgb());
        p.vline(
            VLine::new(MarkerKind::Mark.label(), f.t)
                .id(("mark-line", n))
                .color(colour)
                .style(LineStyle::dashed_loose())
                .width(1.0),
        );
        let room = last_label.is_none_or(|x| (f.t - x) / per_px > 90.0);
        if room && let Event::Mark { text } = &f.first.event {
            last_label = Some(f.t);
            let label = if text.is_empty() {
                "mark".to_string()
            } else {
                short(text, 24)
            };
            p.text(
                Text::new(
                    MarkerKind::Mark.label(),
                    PlotPoint::new(f.t + 3.0 * per_px, ceiling * 1.0),
                    RichText::new(label).size(crate::gui::theme::size::READOUT),
                )
                .id(("mark-text", n))
                .color(colour)
                .anchor(egui::Align2::LEFT_TOP),
            );
        }
    }
}

fn short(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(n - 1).collect();
        s.push('…');
        s
    }
}

/// An event in words, for the cursor's readout.
fn event_text(t: &Timeline, server: Option<scpanel_core::journal::ServerId>, e: &Event) -> String {
    let whose = server.map_or(String::new(), |s| format!(" ({})", t.info.server_name(s)));
    let what = match e {
        Event::Xrun { count } => format!("{count} xrun{}", if *count == 1 { "" } else { "s" }),
        Event::Late { seconds } => format!("late by {seconds:.3} s"),
        Event::Crashed { reason } => format!("crashed: {}", short(reason, 60)),
        Event::Failure { line } => short(line, 60),
        Event::Mark { text } => format!("mark '{}'", short(text, 40)),
        Event::Alert { text } => format!("alert: {}", short(text, 60)),
        Event::Doctor { message, .. } => format!("doctor: {}", short(message, 60)),
        Event::Other { kind, text } => format!("{kind}: {}", short(text, 40)),
        other => other.kind().to_string(),
    };
    format!("{what}{whose}")
}

/// `1 GB`, `250 MB`.
fn size(megabytes: u64) -> String {
    if megabytes >= 1000 && megabytes.is_multiple_of(100) {
        format!("{} GB", megabytes as f64 / 1000.0)
    } else {
        format!("{megabytes} MB")
    }
}

/// A show in the list: "2026-12-06 21:02 · 1:12:03 · peak 87 % · 3 xruns · 1 crash · main, b".
fn row(s: &ShowInfo, live: bool) -> String {
    let servers: Vec<String> = s.servers.iter().map(|r| s.server_name(r.id)).collect();
    let mut text = format!(
        "{} {} · {}",
        clock::file_stamp(s.started).get(..10).unwrap_or_default(),
        clock::hours_minutes(s.started),
        mm_ss(s.length())
    );
    match s.peak_cpu {
        Some((p, _, _)) => text.push_str(&format!(" · peak {p:.0} %")),
        None => text.push_str(" · no samples"),
    }
    text.push_str(&format!(
        " · {} xrun{}",
        s.xruns,
        if s.xruns == 1 { "" } else { "s" }
    ));
    if s.crashes > 0 {
        text.push_str(&format!(
            " · {} crash{}",
            s.crashes,
            if s.crashes == 1 { "" } else { "es" }
        ));
    }
    if !servers.is_empty() {
        text.push_str(&format!(" · {}", servers.join(", ")));
    }
    if live {
        text.push_str(" · recording now");
    }
    text
}
