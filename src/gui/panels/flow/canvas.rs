//! Painting the flow: only the rows, lanes and links on screen, each frame; the names and
//! the lane numbers stay in place while the picture scrolls under them.

use egui::{Align2, Color32, Id, Pos2, Rect, Sense, Shape, Stroke, Vec2, WidgetInfo};

use crate::gui::flow_view::model::{Mark, Model, group_word};
use crate::gui::theme::{self, Tone, tone};
use scpanel_core::synthdef::flow::BusKind;

/// A lane's width: room for a four-digit bus number in captions.
const LANE_WIDTH: f32 = 30.0;
/// The names' column, as a share of the width, within these bounds.
const NAMES_SHARE: f32 = 0.35;
const NAMES_MIN: f32 = 150.0;
const NAMES_MAX: f32 = 300.0;
/// A link's stroke, and a wrong one's.
const LINK_STROKE: f32 = 1.5;
const WRONG_STROKE: f32 = 2.5;
/// The lane meter's range, in dB.
const METER_FLOOR_DB: f32 = -60.0;

fn lane_colour(ui: &egui::Ui, kind: BusKind) -> Color32 {
    match kind {
        BusKind::Output => tone(ui, Tone::Good),
        BusKind::Input => tone(ui, Tone::Received),
        BusKind::Private => tone(ui, Tone::Note),
    }
}

/// Draws `model`; returns the bus of the lane the pointer is over. `level` is the lane
/// meter's bus and peak.
pub(super) fn draw(ui: &mut egui::Ui, model: &Model, level: Option<(u32, f32)>) -> Option<u32> {
    let row_h = ui.spacing().interact_size.y + theme::space::SMALL;
    let caption = theme::caption_font();
    let cap_h = ui.fonts_mut(|f| f.row_height(&caption));
    // Group words, bus numbers, the meter strip.
    let header_h = cap_h * 3.0 + theme::space::SMALL * 2.0;
    let names_w = (ui.available_width() * NAMES_SHARE).clamp(NAMES_MIN, NAMES_MAX);
    let lanes = model.lanes.len();
    let size = Vec2::new(
        names_w + lanes as f32 * LANE_WIDTH + theme::space::MEDIUM,
        header_h + model.rows.len() as f32 * row_h,
    );
    let mut hovered = None;
    egui::ScrollArea::both()
        .id_salt("flow-canvas")
        .auto_shrink([false, false])
        .show_viewport(ui, |ui, viewport| {
            ui.set_min_size(size);
            let origin = ui.max_rect().min;
            let painter = ui.painter().clone();
            let visuals = ui.visuals().clone();
            let text = visuals.text_color();
            let weak = visuals.weak_text_color();
            // On screen, in screen coordinates.
            let view = viewport.translate(origin.to_vec2());
            let names = Rect::from_min_size(view.min, Vec2::new(names_w, view.height()));
            let lane_area =
                Rect::from_min_max(Pos2::new(view.min.x + names_w, view.min.y), view.max);
            let body = Rect::from_min_max(Pos2::new(view.min.x, view.min.y + header_h), view.max);

            // What is on screen: rows below the header, lanes right of the names.
            let first_row = (((viewport.min.y) / row_h).floor().max(0.0)) as usize;
            let last_row = (((viewport.max.y - header_h) / row_h).ceil().max(0.0) as usize)
                .min(model.rows.len());
            let first_lane = ((viewport.min.x / LANE_WIDTH).floor().max(0.0)) as usize;
            let last_lane =
                ((((viewport.max.x - names_w) / LANE_WIDTH).ceil()).max(0.0) as usize).min(lanes);
            let row_y = |i: usize| origin.y + header_h + i as f32 * row_h;
            let lane_x = |j: usize| origin.x + names_w + j as f32 * LANE_WIDTH;
            let lane_mid = |j: usize| lane_x(j) + LANE_WIDTH / 2.0;

            let body_painter = painter.with_clip_rect(Rect::from_min_max(
                Pos2::new(lane_area.min.x, body.min.y),
                view.max,
            ));
            // The lanes, and which one the pointer is over.
            for j in first_lane..last_lane {
                let lane = &model.lanes[j];
                let rect = Rect::from_min_max(
                    Pos2::new(lane_x(j), view.min.y),
                    Pos2::new(lane_x(j) + LANE_WIDTH, view.max.y),
                )
                .intersect(lane_area);
                if rect.width() <= 0.0 {
                    continue;
                }
                let r = ui.interact(rect, Id::unique(("flow-lane", lane.bus)), Sense::hover());
                r.widget_info(|| WidgetInfo::labeled(egui::Role::Label, true, &lane.tip));
                let r = r.on_hover_text(lane.tip.as_str());
                let band = rect.shrink2(Vec2::new(theme::space::TIGHT, 0.0));
                if r.hovered() {
                    hovered = Some(lane.bus);
                    body_painter.rect_filled(
                        band,
                        theme::radius::SMALL,
                        visuals.selection.bg_fill.gamma_multiply(0.35),
                    );
                } else {
                    body_painter.rect_filled(band, theme::radius::SMALL, visuals.faint_bg_color);
                }
            }

            // The links on screen: those starting above the last row shown and ending below
            // the first (sorted by their top row).
            let from = model
                .links
                .partition_point(|l| l.span().0 + model.longest < first_row);
            let link_colour = tone(ui, Tone::Sent);
            let error = tone(ui, Tone::Error);
            for pass_wrong in [false, true] {
                for l in model.links[from..].iter() {
                    let (top, bottom) = l.span();
                    if top > last_row {
                        break;
                    }
                    if bottom < first_row
                        || l.lane < first_lane
                        || l.lane >= last_lane
                        || l.wrong != pass_wrong
                    {
                        continue;
                    }
                    let x = lane_mid(l.lane);
                    let y0 = row_y(l.from) + row_h / 2.0;
                    let y1 = row_y(l.to) + row_h / 2.0;
                    let (colour, width) = if l.wrong {
                        (error, WRONG_STROKE)
                    } else {
                        (link_colour, LINK_STROKE)
                    };
                    let stroke = Stroke::new(width, colour);
                    // Beside the marks, so both read.
                    let x = x + theme::space::SMALL;
                    body_painter.line_segment([Pos2::new(x, y0), Pos2::new(x, y1)], stroke);
                    // The arrow's head at the reader.
                    let dir = if y1 > y0 { 1.0 } else { -1.0 };
                    let tip = Pos2::new(x, y1 - dir * theme::space::SMALL);
                    let head = theme::space::SMALL;
                    body_painter.add(Shape::convex_polygon(
                        vec![
                            tip,
                            Pos2::new(x - head, tip.y - dir * head * 1.5),
                            Pos2::new(x + head, tip.y - dir * head * 1.5),
                        ],
                        colour,
                        Stroke::NONE,
                    ));
                }
            }

            // The rows on screen: marks on the lanes, then the names over their column.
            let names_painter = painter.with_clip_rect(Rect::from_min_max(
                Pos2::new(names.min.x, body.min.y),
                Pos2::new(names.max.x, view.max.y),
            ));
            let mark = theme::space::SMALL;
            let body_font = egui::TextStyle::Body.resolve(ui.style());
            for i in first_row..last_row {
                let row = &model.rows[i];
                let y = row_y(i);
                let mid = y + row_h / 2.0;
                for &(j, m) in &row.marks {
                    if j < first_lane || j >= last_lane {
                        continue;
                    }
                    let c = lane_colour(ui, model.lanes[j].kind);
                    let at = Pos2::new(lane_mid(j) - theme::space::TIGHT, mid);
                    if matches!(m, Mark::Writes | Mark::Both) {
                        body_painter.rect_filled(
                            Rect::from_center_size(at, Vec2::splat(mark * 2.0)),
                            theme::radius::SMALL,
                            c,
                        );
                    }
                    if matches!(m, Mark::Reads | Mark::Both) {
                        body_painter.circle_stroke(at, mark * 1.5, Stroke::new(LINK_STROKE, c));
                    }
                }
                let cell =
                    Rect::from_min_size(Pos2::new(names.min.x, y), Vec2::new(names_w, row_h));
                names_painter.rect_filled(cell, 0.0, visuals.panel_fill);
                if i % 2 == 1 {
                    names_painter.rect_filled(cell, 0.0, visuals.faint_bg_color);
                }
                let colour = if row.wrong {
                    error
                } else if row.paused {
                    weak
                } else {
                    text
                };
                let at = Pos2::new(cell.min.x + theme::space::SMALL, mid);
                let r = names_painter.text(
                    at,
                    Align2::LEFT_CENTER,
                    &row.name,
                    body_font.clone(),
                    colour,
                );
                let mut x = r.max.x + theme::space::SMALL;
                for (on, word, c) in [
                    (row.paused, "paused", tone(ui, Tone::Warning)),
                    (row.guessed, "guessed", tone(ui, Tone::Warning)),
                    (row.unknown, "buses unknown", weak),
                ] {
                    if on {
                        let r = names_painter.text(
                            Pos2::new(x, mid),
                            Align2::LEFT_CENTER,
                            word,
                            caption.clone(),
                            c,
                        );
                        x = r.max.x + theme::space::SMALL;
                    }
                }
                let hit = cell.intersect(body);
                if hit.height() > 0.0 {
                    let r = ui.interact(hit, Id::unique(("flow-row", row.id)), Sense::hover());
                    r.widget_info(|| WidgetInfo::labeled(egui::Role::Label, true, &row.label));
                    r.on_hover_text(row.tip.as_str());
                }
            }

            // The header, over whatever scrolled under it.
            let header = Rect::from_min_size(view.min, Vec2::new(view.width(), header_h));
            painter.rect_filled(header, 0.0, visuals.panel_fill);
            let head_painter = painter.with_clip_rect(Rect::from_min_max(
                Pos2::new(lane_area.min.x, header.min.y),
                header.max,
            ));
            for &(kind, start, end) in &model.groups {
                if end <= first_lane || start >= last_lane {
                    continue;
                }
                let x = lane_x(start.max(first_lane)) + theme::space::TIGHT;
                head_painter.text(
                    Pos2::new(x.max(lane_area.min.x), header.min.y),
                    Align2::LEFT_TOP,
                    group_word(kind),
                    caption.clone(),
                    lane_colour(ui, kind),
                );
                // A tick where the group starts.
                let gx = lane_x(start);
                head_painter.line_segment(
                    [Pos2::new(gx, header.min.y), Pos2::new(gx, header.max.y)],
                    Stroke::new(1.0, weak),
                );
            }
            for j in first_lane..last_lane {
                let lane = &model.lanes[j];
                head_painter.text(
                    Pos2::new(lane_mid(j), header.min.y + cap_h + theme::space::TIGHT),
                    Align2::CENTER_TOP,
                    &lane.number,
                    caption.clone(),
                    lane_colour(ui, lane.kind),
                );
                if let Some((bus, peak)) = level
                    && bus == lane.bus
                {
                    // The lane meter: a bar filling the lane's width with its level.
                    let well = Rect::from_min_size(
                        Pos2::new(
                            lane_x(j) + theme::space::TIGHT,
                            header.min.y + cap_h * 2.0 + theme::space::SMALL,
                        ),
                        Vec2::new(LANE_WIDTH - theme::space::TIGHT * 2.0, cap_h),
                    );
                    head_painter.rect_filled(well, theme::radius::SMALL, theme::METER_BACK);
                    let share = ((peak - METER_FLOOR_DB) / -METER_FLOOR_DB).clamp(0.0, 1.0);
                    let mut fill = well;
                    fill.set_width(well.width() * share);
                    head_painter.rect_filled(
                        fill,
                        theme::radius::SMALL,
                        theme::level_colour(peak, peak >= 0.0),
                    );
                }
            }
            // The corner over the names: what the columns are.
            let corner = Rect::from_min_size(view.min, Vec2::new(names_w, header_h));
            painter.rect_filled(corner, 0.0, visuals.panel_fill);
            painter.text(
                Pos2::new(
                    corner.min.x + theme::space::SMALL,
                    corner.max.y - theme::space::TIGHT,
                ),
                Align2::LEFT_BOTTOM,
                "synths, in the order they run",
                caption.clone(),
                weak,
            );
            painter.line_segment(
                [
                    Pos2::new(view.min.x, header.max.y),
                    Pos2::new(view.max.x, header.max.y),
                ],
                visuals.widgets.noninteractive.bg_stroke,
            );
        });
    hovered
}
