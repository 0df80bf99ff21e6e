//! Every key the window answers to, in one table: the shortcuts the app runs and the keys of
//! a focused tree row, which the Keyboard window (F1) lists as they are.

use egui::{Key, KeyboardShortcut, Modifiers};

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Boot,
    Quit,
    Reboot,
    Reset,
    ToggleSide,
    /// Show the tab at this place in the tab row, from 0.
    Tab(usize),
    /// Put the keyboard in the OSC console's line.
    ConsoleInput,
    /// Put the keyboard in the node tree's filter.
    TreeFilter,
    /// Open or close the Keyboard window.
    Help,
    /// scpanel's and the server's versions.
    About,
    /// "Why no sound?": run the doctor.
    Doctor,
    /// A mark in the show, at this moment.
    Mark,
}

pub struct Binding {
    pub shortcut: KeyboardShortcut,
    pub command: Command,
    pub text: &'static str,
}

const TAB_KEYS: [Key; 9] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
];

/// The window's shortcuts; `tabs` names the tab row, for Ctrl+1 … Ctrl+N.
pub(crate) fn bindings(tabs: &[&'static str]) -> Vec<Binding> {
    let cmd = |k| KeyboardShortcut::new(Modifiers::COMMAND, k);
    let mut all = vec![
        Binding {
            shortcut: cmd(Key::B),
            command: Command::Boot,
            text: "Boot the server",
        },
        Binding {
            shortcut: cmd(Key::Q),
            command: Command::Quit,
            text: "Quit the server (asks when synths or a recording would stop)",
        },
        Binding {
            shortcut: cmd(Key::R),
            command: Command::Reboot,
            text: "Reboot a server this window booted",
        },
        Binding {
            shortcut: cmd(Key::Period),
            command: Command::Reset,
            text: "Reset (Cmd-period): free every node; a guest frees its own",
        },
        Binding {
            shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::F9),
            command: Command::ToggleSide,
            text: "Show or hide the boot / connect panel",
        },
        Binding {
            shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::F8),
            command: Command::Doctor,
            text: "Why no sound? The doctor's findings and fixes",
        },
        Binding {
            shortcut: cmd(Key::M),
            command: Command::Mark,
            text: "A mark in tonight's show at this moment; type its name, or Escape",
        },
        Binding {
            shortcut: cmd(Key::L),
            command: Command::ConsoleInput,
            text: "Type in the OSC console",
        },
        Binding {
            shortcut: cmd(Key::F),
            command: Command::TreeFilter,
            text: "Filter the node tree",
        },
        // Before F1: egui matches F1 with Shift held too, so the more specific comes first.
        Binding {
            shortcut: KeyboardShortcut::new(Modifiers::SHIFT, Key::F1),
            command: Command::About,
            text: "About: scpanel's and the server's versions",
        },
        Binding {
            shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::F1),
            command: Command::Help,
            text: "This list of keys",
        },
    ];
    for (i, (key, name)) in TAB_KEYS.iter().zip(tabs).enumerate() {
        all.push(Binding {
            shortcut: cmd(*key),
            command: Command::Tab(i),
            text: name,
        });
    }
    all
}

/// Keys on a focused row of the node tree (handled by the tree panel).
pub(crate) const TREE_KEYS: [(&str, &str); 9] = [
    (
        "Up / Down",
        "the node above / below (on a control too: never a value)",
    ),
    ("Left", "collapse a group, or go to the parent"),
    ("Right", "expand a group, or go to its first node"),
    ("Enter, Shift+F10 or the menu key", "the node's menu"),
    ("Delete", "free the node"),
    ("Space", "pause or resume the node"),
    (
        "Tab / Shift+Tab",
        "from a row to its controls, left to right, then the next row / back",
    ),
    (
        "Enter on a control",
        "type a value: Enter sets it, Escape keeps the old one",
    ),
    ("Left / Right on a control", "back to its row"),
];

/// The README's table of keys, made from the table the app runs: `tests/headless/readme_keys.rs`
/// keeps the README's copy equal to it (run it to see the table to paste).
pub fn markdown(tabs: &[&'static str]) -> String {
    let mut out = String::from("| Keys | What they do |\n|---|---|\n");
    for b in bindings(tabs) {
        let keys = b
            .shortcut
            .format(&egui::ModifierNames::NAMES, false)
            .replace("Period", ".");
        let text = match b.command {
            Command::Tab(_) => format!("the {} tab", b.text),
            _ => b.text.to_string(),
        };
        out.push_str(&format!("| {keys} | {text} |\n"));
    }
    // egui's own zoom keys: not in the table the app runs.
    out.push_str("| Ctrl+Plus / Ctrl+Minus / Ctrl+0 | zoom, kept for the next start |\n");
    out.push_str("\nOn a focused row of the node tree:\n\n| Keys | What they do |\n|---|---|\n");
    for (keys, what) in TREE_KEYS {
        out.push_str(&format!("| {keys} | {what} |\n"));
    }
    out
}

/// The Keys and display window: the display settings, every shortcut and the tree's keys.
pub(crate) fn help_window(
    ctx: &egui::Context,
    open: &mut bool,
    tabs: &[&'static str],
    display: &mut crate::gui::theme::Display,
) {
    egui::Window::new("Keys and display")
        .open(open)
        .collapsible(false)
        .resizable(false)
        // A small window scrolls it rather than cut it off.
        .vscroll(true)
        .max_height((ctx.content_rect().height() - 60.0).max(120.0))
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.checkbox(&mut display.high_contrast, "High contrast");
                ui.separator();
                ui.label("Zoom");
                if ui.button("Smaller").clicked() {
                    display.zoom = (display.zoom - 0.1).max(0.5);
                }
                ui.label(format!("{:.0} %", display.zoom * 100.0));
                if ui.button("Larger").clicked() {
                    display.zoom = (display.zoom + 0.1).min(3.0);
                }
                if ui.button("100 %").clicked() {
                    display.zoom = 1.0;
                }
            });
            ui.horizontal(|ui| {
                use crate::gui::theme::ThemeChoice;
                ui.label("Theme");
                ui.radio_value(&mut display.theme, ThemeChoice::System, "as the system");
                ui.radio_value(&mut display.theme, ThemeChoice::Dark, "dark");
                ui.radio_value(&mut display.theme, ThemeChoice::Light, "light");
                ui.separator();
                ui.checkbox(&mut display.large_figures, "Large figures")
                    .on_hover_text("State, CPU and synths in large type, for a projector");
            });
            ui.label(
                egui::RichText::new(
                    "Ctrl + and Ctrl − zoom too, Ctrl 0 resets; all kept for the next start.",
                )
                .weak(),
            );
            ui.separator();
            egui::Grid::new("keys")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for b in bindings(tabs) {
                        ui.label(ctx.format_shortcut(&b.shortcut));
                        let text = match b.command {
                            Command::Tab(_) => format!("The {} tab", b.text),
                            _ => b.text.to_string(),
                        };
                        ui.label(text);
                        ui.end_row();
                    }
                });
            ui.separator();
            ui.label(egui::RichText::new("On a row of the node tree").strong());
            egui::Grid::new("tree-keys")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (k, what) in TREE_KEYS {
                        ui.label(k);
                        ui.label(what);
                        ui.end_row();
                    }
                });
        });
}
