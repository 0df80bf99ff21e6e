//! Hover costs what it changes (src/gui/hover.rs): a pointer move within one widget or over
//! empty space asks egui for no frame, while moving onto another button still lights it up
//! and shows its tooltip, and a click after many held moves lands where it was aimed.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui::{Event, Pos2, Rect, ViewportId, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use scpanel::gui::hover;

/// What the two buttons' responses said in the last frame.
#[derive(Default, Clone, Copy)]
struct Seen {
    a_hovered: bool,
    b_hovered: bool,
    a_clicks: u32,
    b_clicks: u32,
}

const A: Rect = Rect::from_min_max(Pos2::new(20.0, 20.0), Pos2::new(180.0, 60.0));
const B: Rect = Rect::from_min_max(Pos2::new(220.0, 20.0), Pos2::new(380.0, 60.0));
/// Nothing is drawn here.
const EMPTY: Pos2 = Pos2::new(200.0, 240.0);

fn two_buttons() -> (Harness<'static>, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = seen.clone();
    let h = Harness::builder()
        .with_size(vec2(400.0, 300.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui(move |ui| {
            let a = ui
                .put(A, egui::Button::new("first"))
                .on_hover_text("the first tip");
            let b = ui
                .put(B, egui::Button::new("second"))
                .on_hover_text("the second tip");
            if let Ok(mut s) = s.lock() {
                s.a_hovered = a.hovered();
                s.b_hovered = b.hovered();
                s.a_clicks += u32::from(a.clicked());
                s.b_clicks += u32::from(b.clicked());
            }
        });
    hover::install(&h.ctx);
    (h, seen)
}

/// Whether the last frame asked for another one at once (egui's answer to input).
fn wants_frame<S>(h: &Harness<'static, S>) -> bool {
    h.output()
        .viewport_output
        .get(&ViewportId::ROOT)
        .is_some_and(|v| v.repaint_delay == Duration::ZERO)
}

fn seen(s: &Arc<Mutex<Seen>>) -> Seen {
    *s.lock().expect("seen")
}

/// Frames (a second at most) until the tooltip `tip` shows.
fn show_tip(h: &mut Harness<'static>, tip: &str) {
    for _ in 0..60 {
        if h.query_by_label(tip).is_some() {
            return;
        }
        h.step();
    }
    assert!(h.query_by_label(tip).is_some(), "the tooltip {tip:?} shows");
}

/// Moves to `at`, one frame, then frames until egui asks for none.
fn settle_at<S>(h: &mut Harness<'static, S>, at: Pos2) {
    h.hover_at(at);
    h.run();
}

#[test]
fn a_move_within_a_button_or_over_empty_space_asks_for_no_frame() {
    let (mut h, s) = two_buttons();
    h.run();
    settle_at(&mut h, A.center());
    assert!(seen(&s).a_hovered);
    // Its tooltip shows once the pointer is still (while egui waits for that, every move
    // counts); then moves within the button change nothing.
    show_tip(&mut h, "the first tip");
    for i in 1..=20 {
        h.hover_at(A.center() + vec2(i as f32 * 3.0 - 30.0, (i % 5) as f32 * 2.0 - 4.0));
        h.step();
        assert!(
            !wants_frame(&h),
            "move {i} within the first button asked for a frame"
        );
        assert!(seen(&s).a_hovered, "the first button is still lit");
        assert!(
            h.query_by_label("the first tip").is_some(),
            "its tooltip stays"
        );
    }
    settle_at(&mut h, EMPTY);
    assert!(!seen(&s).a_hovered);
    for i in 1..=20 {
        h.hover_at(EMPTY + vec2(i as f32 * 4.0 - 40.0, (i % 7) as f32 * 5.0));
        h.step();
        assert!(
            !wants_frame(&h),
            "move {i} over empty space asked for a frame"
        );
    }
    let counts = hover::counts(&h.ctx).expect("the gate is installed");
    assert!(counts.held >= 40, "{counts:?}");
}

#[test]
fn moving_onto_another_button_lights_it_and_shows_its_tooltip() {
    let (mut h, s) = two_buttons();
    h.run();
    settle_at(&mut h, A.center());
    for i in 0..30 {
        h.hover_at(A.center() + vec2((i % 10) as f32 * 5.0 - 25.0, 0.0));
        h.step();
    }
    h.hover_at(B.center() + vec2(-30.0, 5.0));
    h.step();
    let now = seen(&s);
    assert!(
        now.b_hovered,
        "the second button lights up on the first frame"
    );
    assert!(!now.a_hovered);
    // A few moves within it, then still: its tooltip shows, and only its.
    for i in 0..5 {
        h.hover_at(B.center() + vec2(i as f32 * 4.0, 0.0));
        h.step();
    }
    show_tip(&mut h, "the second tip");
    assert!(h.query_by_label("the first tip").is_none());
}

/// egui shows a tooltip once the pointer has been still for half a second: a pointer that
/// keeps moving within the button for longer shows none, however its moves were held.
#[test]
fn a_tooltip_waits_for_the_pointer_to_stop_within_its_button() {
    let (mut h, _) = two_buttons();
    h.run();
    settle_at(&mut h, EMPTY);
    h.hover_at(B.center());
    h.step();
    // A second and a half at 60 moves a second, a few points each, all within the button.
    for i in 0..90 {
        h.hover_at(B.center() + vec2((i % 20) as f32 * 3.0 - 30.0, (i % 4) as f32));
        h.step();
        assert!(
            h.query_by_label("the second tip").is_none(),
            "no tooltip while the pointer moves ({i} moves)"
        );
    }
    show_tip(&mut h, "the second tip");
}

#[test]
fn a_click_after_many_held_moves_lands() {
    let (mut h, s) = two_buttons();
    h.run();
    settle_at(&mut h, B.center());
    show_tip(&mut h, "the second tip");
    let mut at = B.center();
    for i in 0..50 {
        at = B.center() + vec2((i % 25) as f32 * 4.0 - 50.0, (i % 3) as f32 * 4.0 - 4.0);
        h.hover_at(at);
        h.step();
    }
    assert!(hover::counts(&h.ctx).expect("gate").held >= 50);
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        });
    }
    h.run();
    let now = seen(&s);
    assert_eq!(
        (now.a_clicks, now.b_clicks),
        (0, 1),
        "one click, on the second"
    );
    // The click handed egui the pointer's real position first.
    assert_eq!(h.ctx.input(|i| i.pointer.latest_pos()), Some(at));
}

/// The real app: the pointer crossing the empty part of the node tree tab asks for no
/// frames, and a click on a tab after many held moves over it switches to it.
#[test]
fn the_app_holds_moves_that_change_nothing_and_its_clicks_land() {
    let mut h = common::gui::app(scpanel_core::Options::default(), "hover");
    h.run_steps(4);
    let levels = h.get_by_label("Levels & record").rect();
    settle_at(&mut h, levels.center());
    // The app has work of its own that asks for frames (a booting check, its inbox), so
    // here each move is seen not to reach egui; the two-button tests see the frames.
    for i in 0..40 {
        let held = hover::counts(&h.ctx)
            .expect("the app installs the gate")
            .held;
        h.hover_at(levels.center() + vec2((i % 8) as f32 - 4.0, (i % 3) as f32 - 1.0));
        h.step();
        assert_eq!(
            hover::counts(&h.ctx).map(|c| c.held),
            Some(held + 1),
            "move {i} over the Levels tab was held"
        );
        assert_eq!(h.ctx.input(|i| i.pointer.delta()), egui::Vec2::ZERO);
    }
    h.get_by_label("Levels & record").click();
    h.run_steps(1);
    assert_eq!(
        h.state().tab.label(),
        "Levels & record",
        "one click on the tab"
    );
    let held = hover::counts(&h.ctx)
        .expect("the app installs the gate")
        .held;
    assert!(held >= 40, "{held} moves held");
}

/// A held position is handed over when the layout moves under it: the button that was
/// under both positions moves away from the pointer's real one, and stops being lit.
#[test]
fn a_button_moving_away_from_a_held_pointer_stops_being_lit() {
    let shift = Arc::new(Mutex::new(0.0f32));
    let lit = Arc::new(Mutex::new(false));
    let (sh, l) = (shift.clone(), lit.clone());
    let mut h = Harness::builder()
        .with_size(vec2(400.0, 300.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui(move |ui| {
            let dx = sh.lock().map_or(0.0, |s| *s);
            let b = ui.put(A.translate(vec2(dx, 0.0)), egui::Button::new("moving"));
            if let Ok(mut l) = l.lock() {
                *l = b.hovered();
            }
        });
    hover::install(&h.ctx);
    h.run();
    settle_at(&mut h, A.left_center() + vec2(10.0, 0.0));
    let real = A.right_center() - vec2(10.0, 0.0);
    h.hover_at(real);
    h.step();
    assert_eq!(hover::counts(&h.ctx).map(|c| c.held), Some(1));
    assert!(*lit.lock().expect("lit"));
    // The button moves 150 points left: the position egui holds (near its left end) is
    // still on it, the real one (near its right end) no longer.
    *shift.lock().expect("shift") = -150.0;
    h.step(); // laid out at the new place
    h.step(); // hit-tested against it
    h.step();
    assert_eq!(h.ctx.input(|i| i.pointer.latest_pos()), Some(real));
    assert!(!*lit.lock().expect("lit"), "the button left the pointer");
}
