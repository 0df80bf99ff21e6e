//! One server's tile on the wall: its name, state, role, a minute of CPU, its counts, its
//! alerts and its buttons.

use std::time::Instant;

use egui::{RichText, Sense, Stroke, Vec2};

use super::summary::{address, alerts, label, late_lines, role, state_line};
use crate::gui::actions::SessionId;
use crate::gui::actions::{Action, ActionQueue};
use crate::gui::session::Session;
use crate::gui::theme::{
    self, CPU_AVERAGE as AVG, CPU_PEAK as PEAK, TextRole, Tone, state_colour, tone,
};
use scpanel_core::RejoinPolicy;
use std::time::Duration;

/// How much CPU history a tile draws.
pub(crate) const SPARKLINE_SPAN: Duration = Duration::from_secs(60);

/// A tile's size: four fit across a 1280-pixel window beside the side panel.
pub(crate) const TILE_SIZE: Vec2 = Vec2::new(236.0, 196.0);

/// The sparkline's height: the last minute's CPU read from the back of a classroom.
const SPARKLINE_HEIGHT: f32 = 48.0;

/// Height of the row of buttons at the bottom of a tile.
const BUTTON_ROW: f32 = 22.0;

/// What a tile's clicks asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum TileAction {
    Open(SessionId),
    Remove(SessionId),
}

/// One server's tile; returns a click that the app handles (open, remove).
pub(super) fn tile(
    ui: &mut egui::Ui,
    session: &Session,
    current: bool,
    threshold: f32,
    actions: &mut ActionQueue,
) -> Option<TileAction> {
    let server = &session.server;
    let state = server.state();
    let alerts = alerts(session, threshold);
    let name = label(session);
    let (rect, response) = ui.allocate_exact_size(TILE_SIZE, Sense::click());
    let described = if alerts.any() {
        format!("{name}: {}; {}", state_line(session), alerts.text())
    } else {
        format!("{name}: {}", state_line(session))
    };
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Open {described}"))
    });
    let mut asked = None;
    if response.clicked() {
        asked = Some(TileAction::Open(session.id));
    }
    let visuals = ui.visuals();
    let border = if alerts.any() {
        Stroke::new(2.0, tone(ui, Tone::Error))
    } else if current {
        Stroke::new(2.0, visuals.selection.stroke.color)
    } else if response.hovered() {
        visuals.widgets.hovered.bg_stroke
    } else {
        visuals.widgets.noninteractive.bg_stroke
    };
    ui.painter().rect(
        rect,
        theme::radius::MEDIUM,
        visuals.extreme_bg_color,
        border,
        egui::StrokeKind::Inside,
    );
    let inner = rect.shrink(8.0);
    let mut content = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(inner)
            .layout(egui::Layout::top_down(egui::Align::Min)),
    );
    let ui = &mut content;
    // Text that can't be selected takes no clicks: a click anywhere on the tile opens it.
    ui.style_mut().interaction.selectable_labels = false;
    ui.spacing_mut().item_spacing.y = 2.0;
    ui.horizontal(|ui| {
        let (dot, _) = ui.allocate_exact_size(Vec2::splat(10.0), Sense::hover());
        ui.painter()
            .circle_filled(dot.center(), 5.0, state_colour(ui, state));
        ui.add(egui::Label::new(RichText::new(&name).strong()).truncate());
    });
    ui.horizontal(|ui| {
        ui.add(
            egui::Label::new(theme::text(TextRole::Caption, address(session)).weak()).truncate(),
        );
        let role = role(session);
        if !role.is_empty() {
            ui.label(theme::text(TextRole::Caption, role));
        }
    });
    let status = server.latest_status().filter(|_| state.is_online());
    sparkline(ui, session, inner.width());
    match status {
        Some(st) => {
            let colour = if alerts.cpu {
                tone(ui, Tone::Error)
            } else {
                ui.visuals().text_color()
            };
            // The average large, as the room reads it; the peak beside it.
            ui.horizontal(|ui| {
                ui.label(
                    theme::text(TextRole::TileFigure, format!("{:.0}%", st.average_cpu))
                        .color(colour),
                );
                ui.label(RichText::new(format!("CPU (peak {:.1}%)", st.peak_cpu)).color(colour));
            });
            ui.label(format!("{} UGens  {} synths", st.ugens, st.synths));
            let drift = st.actual_sample_rate - st.nominal_sample_rate;
            ui.label(
                RichText::new(format!(
                    "{:.0} Hz, drift {drift:+.2} Hz",
                    st.nominal_sample_rate
                ))
                .small(),
            );
        }
        None => {
            ui.label(RichText::new(state_line(session)).color(if alerts.offline {
                tone(ui, Tone::Error)
            } else {
                ui.visuals().weak_text_color()
            }));
            if let Some(e) = server.absence().last_error.filter(|_| alerts.offline) {
                ui.add(egui::Label::new(theme::text(TextRole::Caption, e).weak()).truncate());
            }
        }
    }
    let late = late_lines(session);
    let crashes = server.absence().crashes;
    let mut extra = Vec::new();
    if alerts.late > 0 {
        extra.push(format!("{} new late", alerts.late));
    } else if late > 0 {
        extra.push(format!("{late} late"));
    }
    if crashes > 0 {
        extra.push(format!("crashed {crashes}×"));
    }
    if !extra.is_empty() {
        ui.label(
            RichText::new(extra.join("  "))
                .small()
                .color(if alerts.any() {
                    tone(ui, Tone::Error)
                } else {
                    ui.visuals().weak_text_color()
                }),
        );
    }
    // The buttons sit on the tile's bottom edge, whatever the rows above show: a status
    // arriving must not move them from under a pointer.
    let mut bottom = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(egui::Rect::from_min_max(
                egui::pos2(inner.left(), inner.bottom() - BUTTON_ROW),
                inner.max,
            ))
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    let ui = &mut bottom;
    ui.horizontal(|ui| {
        let watching = server.attachment().is_some_and(|s| s.login.is_none());
        if watching
            && ui
                .small_button("Log in")
                .on_hover_text("Take a login on this server, to make nodes and read /n_query")
                .clicked()
        {
            actions.push_for(session.id, Action::LogIn);
        }
        let policy = server.rejoin_policy();
        // A booted server, or one that crashed and may be booted again.
        if server.is_owner() || server.absence().crashes > 0 {
            let mut reboot = policy.reboot;
            // An id of its own: a widget above it that comes or goes as the server reports
            // (a login button, a retry) must not move its id under a click.
            let own =
                egui::UiBuilder::new().scope_id(egui::Id::unique(("auto-reboot", session.id)));
            let changed = ui
                .scope_builder(own, |ui| {
                    ui.checkbox(&mut reboot, "auto-reboot")
                        .on_hover_text("Boot it again with the same options when it crashes")
                        .changed()
                })
                .inner;
            if changed {
                actions.push_for(
                    session.id,
                    Action::SetRejoin(RejoinPolicy { reboot, ..policy }),
                );
            }
        }
        if server.absence().retrying && ui.small_button("Stop retrying").clicked() {
            actions.push_for(session.id, Action::StopRejoining);
        }
        if ui
            .small_button("Remove")
            .on_hover_text("Take the tile off the wall (a server this window booted is quit)")
            .clicked()
        {
            asked = Some(TileAction::Remove(session.id));
        }
    });
    asked
}

/// The top of a sparkline's scale: the smallest of 10, 25, 50 and 100 % that holds `peak`, so
/// a server at 3 % draws a line one can see rather than one along the floor.
pub(crate) fn sparkline_top(peak: f32) -> f32 {
    [10.0, 25.0, 50.0, 100.0]
        .into_iter()
        .find(|top| peak <= *top)
        .unwrap_or(100.0)
}

/// The last minute of average (blue) and peak (orange) CPU, on a scale that fits its peak
/// (its top written in the corner).
fn sparkline(ui: &mut egui::Ui, session: &Session, width: f32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(width, SPARKLINE_HEIGHT), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, theme::radius::SMALL, ui.visuals().faint_bg_color);
    let now = Instant::now();
    // Newest first, stopping at the first sample older than the span: bounded by the span's
    // polls, however long the history.
    let samples: Vec<(f32, f32, f32)> = session.server.with_status_history(|h| {
        h.iter()
            .rev()
            .map(|s| {
                (
                    now.saturating_duration_since(s.at),
                    s.info.average_cpu,
                    s.info.peak_cpu,
                )
            })
            .take_while(|(age, _, _)| *age <= SPARKLINE_SPAN)
            .map(|(age, a, p)| (age.as_secs_f32() / SPARKLINE_SPAN.as_secs_f32(), a, p))
            .collect()
    });
    let top = sparkline_top(samples.iter().map(|s| s.2).fold(0.0, f32::max));
    let x = |age: f32| rect.right() - rect.width() * age;
    let y = |v: f32| rect.bottom() - rect.height() * (v.clamp(0.0, top) / top);
    let avg: Vec<egui::Pos2> = samples.iter().map(|s| egui::pos2(x(s.0), y(s.1))).collect();
    let peak: Vec<egui::Pos2> = samples.iter().map(|s| egui::pos2(x(s.0), y(s.2))).collect();
    if avg.len() >= 2 {
        painter.add(egui::Shape::line(peak, Stroke::new(1.5, PEAK)));
        painter.add(egui::Shape::line(avg, Stroke::new(2.5, AVG)));
    }
    painter.text(
        rect.left_top() + Vec2::splat(theme::space::TIGHT),
        egui::Align2::LEFT_TOP,
        format!("{top:.0}%"),
        theme::caption_font(),
        ui.visuals().weak_text_color(),
    );
}
