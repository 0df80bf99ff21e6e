//! A pointer move that changes nothing egui can see gets no frames of its own.
//!
//! egui runs a frame for each pointer move the window system reports, and the move it hands
//! to egui asks for two more (egui's "settle" frames): three frames a move, each laid out,
//! tessellated and (under software GL) painted, for a pointer crossing empty space. The
//! window system's frame cannot be refused from here, but the other two can: a move that
//! keeps the pointer over the same widgets as the position egui last saw is held back, and
//! egui keeps that earlier position, which hit-tests the same. The latest position is
//! handed over with the first event that is not a plain move (a click, a key, the pointer
//! leaving), before that event, and as soon as the positions stop hit-testing the same
//! (a move onto another widget, or the layout moving under a still pointer).
//!
//! "The same widgets" is judged from the last pass's widget rectangles, as egui's own hit
//! test is: every widget within the interaction radius of either position must contain
//! both, so the widget egui would pick is the same. Moves are never held while a button is
//! down, something is dragged, a popup or menu is open, or over a region that reads the
//! pointer's position itself ([`tracks_pointer`]: plots with a cursor readout).
//!
//! While egui waits to show a tooltip (it shows one once the pointer has been still for a
//! while), every move is handed over, so the wait starts again as before. What a held move
//! changes: egui's pointer position lags inside the one widget, and nothing in scpanel draws
//! from it outside [`tracks_pointer`] regions. Anything new that draws from the pointer's
//! position (a crosshair, a readout, a tooltip that follows the pointer) must call
//! [`tracks_pointer`] for its rectangle.
//! `SCPANEL_HOVER_GATE=0` turns it off, to compare (scripts/bench-draw.sh).

use egui::{Context, Event, Pos2, RawInput, Rect, ViewportId};

/// Installs the gate on a context, once; `SCPANEL_HOVER_GATE=0` leaves it out.
pub fn install(ctx: &Context) {
    if ctx.plugin_opt::<HoverGate>().is_some()
        || std::env::var("SCPANEL_HOVER_GATE").as_deref() == Ok("0")
    {
        return;
    }
    ctx.add_plugin(HoverGate::default());
}

/// Marks `rect` (in the layer of `ui`) as drawing from the pointer's exact position: moves
/// over it are always handed to egui. Called each pass the region is shown.
pub fn tracks_pointer(ui: &egui::Ui, rect: Rect) {
    let ctx = ui.ctx();
    let global = ctx
        .memory(|m| m.to_global.get(&ui.layer_id()).copied())
        .map_or(rect, |t| t * rect);
    let rect = global.intersect(ui.clip_rect());
    if let Some(p) = ctx.plugin_opt::<HoverGate>() {
        p.lock().tracking.push(rect);
    }
}

/// How many pointer moves were held back and how many handed over, or `None` without the
/// gate.
pub fn counts(ctx: &Context) -> Option<Counts> {
    ctx.plugin_opt::<HoverGate>().map(|p| p.lock().counts)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Input batches whose moves were held back.
    pub held: u64,
    /// Input batches whose moves egui was given.
    pub passed: u64,
}

#[derive(Default)]
struct HoverGate {
    /// The latest position egui has not been given.
    held: Option<Pos2>,
    /// Regions drawing from the pointer's position: this pass's and the last pass's.
    tracking: Vec<Rect>,
    tracked: Vec<Rect>,
    /// The pass before last asked for a frame to show a tooltip later.
    tooltip_waiting: bool,
    counts: Counts,
}

impl egui::Plugin for HoverGate {
    fn debug_name(&self) -> &'static str {
        "scpanel-hover-gate"
    }

    fn on_begin_pass(&mut self, ui: &mut egui::Ui) {
        self.tracked = std::mem::take(&mut self.tracking);
        // What asked for this pass: egui's tooltip code asks for a frame each pass while it
        // waits for the pointer to be still long enough, and for none once the tip shows.
        self.tooltip_waiting = ui
            .ctx()
            .repaint_causes()
            .iter()
            .any(|c| c.file.ends_with("tooltip.rs"));
    }

    fn input_hook(&mut self, ctx: &Context, input: &mut RawInput) {
        if input.viewport_id != ViewportId::ROOT {
            return;
        }
        let moves_only = input
            .events
            .iter()
            .all(|e| matches!(e, Event::PointerMoved(_) | Event::MouseMoved(_)));
        let latest = input.events.iter().rev().find_map(|e| match e {
            Event::PointerMoved(p) => Some(*p),
            _ => None,
        });
        if moves_only {
            let Some(to) = latest.or(self.held) else {
                return; // no move this frame and none held
            };
            if self.may_hold(ctx, to) {
                if latest.is_some() {
                    input.events.clear();
                    self.counts.held += 1;
                }
                self.held = Some(to);
                return;
            }
            if latest.is_none() {
                // The layout moved under a held position: egui must see where the pointer is.
                input.events.push(Event::PointerMoved(to));
            }
            self.counts.passed += 1;
            self.held = None;
            return;
        }
        // Anything else (a click, a key, the pointer leaving): egui first sees where the
        // pointer is, then the event.
        if let Some(at) = self.held.take() {
            input.events.insert(0, Event::PointerMoved(at));
        }
        if latest.is_some() {
            self.counts.passed += 1;
        }
    }
}

impl HoverGate {
    /// Whether egui, at the position it last saw, hit-tests as it would at `to`, and nothing
    /// is under way that follows the pointer itself.
    fn may_hold(&self, ctx: &Context, to: Pos2) -> bool {
        let busy = ctx.input(|i| {
            i.pointer.any_down() || i.pointer.any_released() || i.pointer.is_decidedly_dragging()
        }) || ctx.dragged_id().is_some()
            || ctx.egui_is_using_pointer()
            || egui::Popup::is_any_open(ctx)
            || self.tooltip_waiting;
        if busy {
            return false;
        }
        let Some(from) = ctx.input(|i| i.pointer.latest_pos()) else {
            return false; // the pointer was outside the window: egui must see it arrive
        };
        if self
            .tracked
            .iter()
            .any(|r| r.contains(from) || r.contains(to))
        {
            return false;
        }
        if ctx.layer_id_at(from) != ctx.layer_id_at(to) {
            return false;
        }
        same_widgets(ctx, from, to)
    }
}

/// Whether the same widgets lie within the interaction radius of `a` and of `b`, each
/// containing both: then egui's hit test (the closest of the topmost) picks the same one.
fn same_widgets(ctx: &Context, a: Pos2, b: Pos2) -> bool {
    let radius = ctx.global_style().interaction.interact_radius;
    let transforms = ctx.memory(|m| m.to_global.clone());
    ctx.viewport(|v| {
        for (layer, widgets) in v.prev_pass.widgets.layers() {
            if !layer.order.allow_interaction() {
                continue;
            }
            let inverse = transforms.get(layer).map(|t| t.inverse());
            let local = |p: Pos2| inverse.map_or(p, |t| t * p);
            let (la, lb) = (local(a), local(b));
            for w in widgets {
                let r = w.interact_rect;
                if r.is_negative() || r.any_nan() {
                    continue;
                }
                let near_a = r.distance_sq_to_pos(la) <= radius * radius;
                let near_b = r.distance_sq_to_pos(lb) <= radius * radius;
                if (near_a || near_b) && !(r.contains(la) && r.contains(lb)) {
                    return false;
                }
            }
        }
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ctx: &Context, events: Vec<Event>, ui: &mut impl FnMut(&mut egui::Ui)) -> RawInput {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, egui::vec2(400.0, 300.0))),
            events,
            ..Default::default()
        };
        let seen = std::sync::Arc::new(std::sync::Mutex::new(RawInput::default()));
        let mut out = ctx.run_ui(input, |root| {
            if let Ok(mut s) = seen.lock() {
                *s = root.ctx().input(|i| i.raw.clone());
            }
            ui(root);
        });
        out.textures_delta.clear();
        seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    #[test]
    fn moves_within_a_widget_are_held_and_handed_over_before_a_click() {
        let ctx = Context::default();
        install(&ctx);
        let mut clicks = 0;
        let mut ui = |ui: &mut egui::Ui| {
            let b = ui.put(
                Rect::from_min_size(Pos2::new(100.0, 100.0), egui::vec2(120.0, 40.0)),
                egui::Button::new("a button"),
            );
            if b.clicked() {
                clicks += 1;
            }
        };
        run(&ctx, vec![], &mut ui);
        run(
            &ctx,
            vec![Event::PointerMoved(Pos2::new(110.0, 110.0))],
            &mut ui,
        );
        run(&ctx, vec![], &mut ui);
        let seen = run(
            &ctx,
            vec![Event::PointerMoved(Pos2::new(150.0, 120.0))],
            &mut ui,
        );
        assert!(seen.events.is_empty(), "a move within the button is held");
        assert_eq!(
            ctx.input(|i| i.pointer.latest_pos()),
            Some(Pos2::new(110.0, 110.0))
        );
        let press = |pressed| Event::PointerButton {
            pos: Pos2::new(150.0, 120.0),
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        };
        let seen = run(&ctx, vec![press(true)], &mut ui);
        assert_eq!(
            seen.events.first(),
            Some(&Event::PointerMoved(Pos2::new(150.0, 120.0))),
            "the held position comes before the press"
        );
        run(&ctx, vec![press(false)], &mut ui);
        assert_eq!(clicks, 1);
    }
}
