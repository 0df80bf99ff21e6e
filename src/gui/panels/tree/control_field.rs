//! One control of a synth in the tree: a number that changes only while it is being edited.
//! Enter or a click starts typing into it, Enter sets the value and Escape (or leaving the
//! field) keeps it as it was; a drag with the mouse changes it as it goes. The arrow keys on
//! it go back to the rows (Up and Down to the row above and below, Left and Right to its own
//! row) and never change it: egui's drag value took Up and Down as steps, and a keyboard user
//! walking the rows changed a playing synth without knowing.

use crate::gui::tree_view::ControlEdit;

/// What the field asks for this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Field {
    Nothing,
    /// A new value for the control.
    Set(f32),
    /// The keyboard goes to a row: -1 the one above, 0 this one, 1 the one below.
    ToRow(i8),
}

/// The control's value as shown: up to four decimals, no trailing zeros.
pub(crate) fn shown(x: f32) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Draws the control `name` of `node`, labelled by `label`. `edit` is the tree's one value
/// being typed, if any. Returns the response (for "being edited") and what it asks.
pub(super) fn ui(
    ui: &mut egui::Ui,
    node: i32,
    name: &str,
    value: f32,
    label: egui::Id,
    edit: &mut Option<ControlEdit>,
) -> (egui::Response, Field) {
    let typing = edit
        .as_ref()
        .is_some_and(|e| e.node == node && e.name == name);
    if typing && let Some(e) = edit.as_mut() {
        let field_id = ui.scope_id().with("typing");
        let resp = ui
            .add(
                egui::TextEdit::singleline(&mut e.text)
                    .id(field_id)
                    .desired_width(64.0)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label);
        if std::mem::take(&mut e.focus) {
            resp.request_focus();
        }
        if resp.lost_focus() {
            let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
            let parsed = e.text.trim().parse::<f32>().ok().filter(|v| v.is_finite());
            let out = match (enter, parsed) {
                (true, Some(v)) => Field::Set(v),
                // Enter on what is no number: keep typing, and say so.
                (true, None) => {
                    e.focus = true;
                    return (
                        resp.on_hover_text("Not a number: type one, or Escape"),
                        Field::Nothing,
                    );
                }
                _ => Field::Nothing,
            };
            *edit = None;
            // The keyboard comes back to the value, where Tab and the arrows go on.
            ui.memory_mut(|m| m.request_focus(ui.scope_id().with("value")));
            return (resp, out);
        }
        return (resp, Field::Nothing);
    }
    let value_id = ui.scope_id().with("value");
    let galley = egui::WidgetText::from(egui::RichText::new(shown(value)).monospace()).into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        egui::TextStyle::Monospace,
    );
    let padding = ui.spacing().button_padding;
    let size = (galley.size() + 2.0 * padding).max(egui::vec2(0.0, ui.spacing().interact_size.y));
    let (_, rect) = ui.allocate_space(size);
    let resp = ui.interact(rect, value_id, egui::Sense::click_and_drag());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name));
    if ui.is_rect_visible(rect) {
        let look = ui.style().interact(&resp);
        ui.painter().rect(
            rect,
            look.corner_radius,
            look.weak_bg_fill,
            look.bg_stroke,
            egui::StrokeKind::Inside,
        );
        let at = rect.center() - galley.size() / 2.0;
        ui.painter().galley(at, galley, look.text_color());
    }
    let resp = resp.labelled_by(label).on_hover_text(
        "Drag to change; click or Enter to type a value (Enter sets it, Escape keeps it)",
    );
    ui.ctx().accesskit_node_builder(resp.id, |n| {
        n.set_value(shown(value));
        n.set_numeric_value(f64::from(value));
    });
    let mut out = Field::Nothing;
    if resp.dragged() {
        let d = resp.drag_delta();
        let speed = (value.abs() * 0.01).max(0.001);
        let moved = d.x - d.y;
        if moved != 0.0 {
            out = Field::Set(value + moved * speed);
        }
    }
    let mut typing = resp.clicked();
    if resp.has_focus() {
        // The arrows stay with this field (egui would move the keyboard to the next widget
        // in their direction, another control) and go to the rows from here.
        ui.memory_mut(|m| {
            m.set_focus_lock_filter(
                resp.id,
                egui::EventFilter {
                    horizontal_arrows: true,
                    vertical_arrows: true,
                    tab: false,
                    escape: false,
                },
            )
        });
        ui.input_mut(|i| {
            use egui::{Key, Modifiers};
            if i.consume_key(Modifiers::NONE, Key::ArrowUp) {
                out = Field::ToRow(-1);
            } else if i.consume_key(Modifiers::NONE, Key::ArrowDown) {
                out = Field::ToRow(1);
            } else if i.consume_key(Modifiers::NONE, Key::ArrowLeft)
                || i.consume_key(Modifiers::NONE, Key::ArrowRight)
            {
                out = Field::ToRow(0);
            } else if i.consume_key(Modifiers::NONE, Key::Enter) {
                typing = true;
            }
        });
    }
    if typing {
        start(edit, node, name, value);
    }
    (resp, out)
}

fn start(edit: &mut Option<ControlEdit>, node: i32, name: &str, value: f32) {
    *edit = Some(ControlEdit {
        node,
        name: name.to_string(),
        text: shown(value),
        focus: true,
    });
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn values_show_as_short_as_they_are() {
        assert_eq!(shown(440.0), "440");
        assert_eq!(shown(0.05), "0.05");
        assert_eq!(shown(-0.5), "-0.5");
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(-0.00001), "0");
        assert_eq!(shown(1_234.567_9), "1234.5679");
    }
}
