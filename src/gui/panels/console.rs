//! The OSC console: one line of OSC (`/addr arg…`, `@time` bundles), history, completion of
//! scsynth's commands with their arguments, and a filterable log of what went out and came in.

use crate::gui::theme::{Tone, tone};
use egui::RichText;

use crate::gui::actions::{Action, ActionQueue};
use crate::gui::bridge::TrafficLine;
use crate::gui::session::Session;
use crate::gui::traffic_text::line_text;
use scpanel_core::Direction;
use scpanel_core::osc;

/// The OSC line's id, so a shortcut can put the keyboard in it.
pub(crate) const CONSOLE_INPUT: &str = "console-input";

#[derive(Default)]
pub struct Console {
    pub line: String,
    pub error: Option<osc::ParseError>,
    history: Vec<String>,
    /// Position while walking the history with up / down.
    cursor: Option<usize>,
    pub filter: String,
    pub paused: bool,
    pub show_status: bool,
    /// Frozen copy while paused.
    frozen: Vec<TrafficLine>,
    /// The address of a message the user just sent, until its place in the log is known.
    sent_now: Option<String>,
    /// The user's own messages, by the log position they were sent after (counting lines
    /// that fell off the front): each and its reply are shown whatever the filters.
    own: std::collections::VecDeque<(u64, String)>,
    /// The session `own` belongs to: the positions are of its log.
    own_session: Option<crate::gui::actions::SessionId>,
    /// Where "Export" writes the log as text (typed, or chosen with "Browse…").
    pub export_path: String,
}

/// How many of the user's recent messages keep their replies in view.
const OWN_KEEP: usize = 8;

impl Console {
    /// Parses the line and sends it; a bad line (or no server) leaves it in place with the error.
    pub fn submit(&mut self, actions: &mut ActionQueue, online: bool) {
        let line = self.line.trim().to_string();
        match osc::parse(&line) {
            Ok(_) if !online => {
                self.error = Some(osc::ParseError {
                    column: 0,
                    message: "offline: boot or connect first".into(),
                });
            }
            Ok(packet) => {
                self.error = None;
                self.sent_now = match &packet {
                    rosc::OscPacket::Message(m) => Some(m.addr.clone()),
                    rosc::OscPacket::Bundle(_) => None,
                };
                if self.history.last() != Some(&line) {
                    self.history.push(line);
                }
                self.cursor = None;
                self.line.clear();
                actions.push(Action::SendOsc(packet));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// `shows`: whether this run keeps a show (the traffic can be recorded into it).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &mut Session,
        actions: &mut ActionQueue,
        shows: bool,
    ) {
        let online = session.server.state().is_online();
        // Send is laid out first, from the right, and the line takes what is left: Send stays
        // on screen however narrow the window.
        ui.horizontal(|ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let send = ui.add_enabled(online, egui::Button::new("Send"));
                let resp = ui
                    .with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                        let label = ui.label("OSC");
                        let edit = egui::TextEdit::singleline(&mut self.line)
                            .hint_text("/g_new 2000 0 1   or   @0.5 /n_set 2000 freq 220")
                            .code_editor()
                            // Tab leaves the line for the next widget, as everywhere else.
                            .lock_focus(false)
                            .id(egui::Id::unique(CONSOLE_INPUT))
                            .desired_width(ui.available_width().max(40.0));
                        ui.add(edit).labelled_by(label.id)
                    })
                    .inner;
                if resp.changed() {
                    self.error = None;
                }
                let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if resp.has_focus() {
                    self.walk_history(ui);
                }
                if enter || send.clicked() {
                    self.submit(actions, online);
                    resp.request_focus();
                }
            });
        });
        if let Some(e) = &self.error {
            ui.horizontal(|ui| {
                // Point at the column with a caret under the line.
                let caret = format!("{}^", " ".repeat(e.column));
                ui.label(
                    RichText::new(caret)
                        .monospace()
                        .color(tone(ui, Tone::Error)),
                );
                ui.colored_label(tone(ui, Tone::Error), e.to_string());
            });
        } else {
            self.hints(ui);
        }
        ui.horizontal(|ui| {
            let label = ui.label("Show only");
            ui.add(egui::TextEdit::singleline(&mut self.filter).desired_width(140.0))
                .labelled_by(label.id);
            if ui.checkbox(&mut self.paused, "Pause").changed() && self.paused {
                self.frozen = session
                    .inbox
                    .lock()
                    .map(|i| i.traffic.iter().cloned().collect())
                    .unwrap_or_default();
            }
            ui.checkbox(&mut self.show_status, "Show /status.reply");
            let dump = ui
                .add_enabled(
                    online,
                    egui::Checkbox::new(&mut session.dump_osc, "Dump OSC"),
                )
                .on_hover_text("The server prints every message it receives (see the Log)");
            if dump.changed() {
                actions.push(Action::DumpOsc(session.dump_osc));
            }
            if ui.button("Clear").clicked() {
                if let Ok(mut i) = session.inbox.lock() {
                    // Cleared lines count as dropped, so positions stay positions.
                    i.traffic_dropped += i.traffic.len() as u64;
                    i.traffic.clear();
                }
                self.frozen.clear();
            }
        });
        self.record_and_export(ui, session, actions, shows);
        if let Some(text) = self.losses_line(session) {
            ui.weak(text);
        }
        ui.separator();
        // The last lines, for the offer to load a missing built-in.
        let recent: Vec<TrafficLine> = session
            .inbox
            .lock()
            .map(|i| i.traffic.iter().rev().take(64).rev().cloned().collect())
            .unwrap_or_default();
        if let Some(def) =
            missing_builtin(&recent).filter(|d| online && !session.server.synthdefs().knows(d))
        {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    tone(ui, Tone::Warning),
                    format!("The server has no SynthDef \"{def}\"; scpanel has it built in."),
                );
                if ui.button(format!("Load {def}")).clicked() {
                    actions.push(Action::LoadBuiltin(def));
                }
            });
        }
        let filter = self.filter.to_lowercase();
        // The user's own messages and their replies, by log position.
        let mut own_lines: std::collections::HashSet<u64> = Default::default();
        // The latest reply to the user's own message, pinned above the log: the log moves
        // on with meters and notifications, and the answer must stay in view.
        let mut last_reply: Option<TrafficLine> = None;
        if self.own_session != Some(session.id) {
            self.own.clear();
            self.own_session = Some(session.id);
        }
        if let Ok(inbox) = session.inbox.lock() {
            let first = inbox.traffic_dropped;
            // Messages whose place fell off the front of the log have nothing left to show.
            self.own.retain(|(after, _)| *after >= first);
            if let Some(addr) = self.sent_now.take() {
                if self.own.len() == OWN_KEEP {
                    self.own.pop_front();
                }
                self.own
                    .push_back((first + inbox.traffic.len() as u64, addr));
            }
            for (after, addr) in &self.own {
                let start = after.saturating_sub(first) as usize;
                let reply = format!("{addr}.reply");
                let mut sent_at = None;
                for (i, t) in inbox.traffic.iter().enumerate().skip(start) {
                    let word = t.text.split_whitespace().next().unwrap_or("");
                    match (sent_at, t.direction) {
                        (None, Direction::Sent) if word == addr => {
                            sent_at = Some(i);
                            own_lines.insert(first + i as u64);
                        }
                        (Some(_), Direction::Received) if word == reply => {
                            own_lines.insert(first + i as u64);
                            last_reply = Some(t.clone());
                            break;
                        }
                        _ => {}
                    }
                }
            }
        }
        if let Some(t) = &last_reply {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Reply:").strong());
                traffic_row(ui, t);
            });
        }
        let keep = |t: &TrafficLine| {
            (self.show_status || !t.text.starts_with("/status"))
                && (filter.is_empty() || t.text.to_lowercase().contains(&filter))
        };
        // Only the rows on screen are cloned: the log holds thousands of lines and this runs
        // every frame while traffic flows.
        let rows = |ui: &mut egui::Ui, lines: &[&TrafficLine]| {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .stick_to_bottom(true)
                .show_rows(ui, 18.0, lines.len(), |ui, range| {
                    for t in lines.get(range).unwrap_or(&[]) {
                        traffic_row(ui, t);
                    }
                });
        };
        if self.paused {
            let lines: Vec<&TrafficLine> = self.frozen.iter().filter(|t| keep(t)).collect();
            rows(ui, &lines);
        } else if let Ok(inbox) = session.inbox.lock() {
            let first = inbox.traffic_dropped;
            let lines: Vec<&TrafficLine> = inbox
                .traffic
                .iter()
                .enumerate()
                .filter(|(i, t)| own_lines.contains(&(first + *i as u64)) || keep(t))
                .map(|(_, t)| t)
                .collect();
            rows(ui, &lines);
        }
    }

    /// "Record traffic" (into the show) and "Export" (the log as text).
    fn record_and_export(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        actions: &mut ActionQueue,
        shows: bool,
    ) {
        use crate::traffic::TrafficMode;
        ui.horizontal_wrapped(|ui| {
            let mode = session.traffic.mode();
            let mut on = mode.is_on();
            let record = ui
                .add_enabled(shows, egui::Checkbox::new(&mut on, "Record traffic"))
                .on_hover_text(
                    "Keep what this server was sent and what it answered, with times, in this \
                     run's show (`scpanel replay` sends it again); without the /status poll, \
                     meters and scope unless \"with status, meters, scope\" is ticked",
                )
                .on_disabled_hover_text("This run keeps no show (no folder for shows)");
            if record.changed() {
                session.traffic.set(if on {
                    TrafficMode::Filtered
                } else {
                    TrafficMode::Off
                });
            }
            if on {
                let mut all = mode == TrafficMode::All;
                if ui
                    .checkbox(&mut all, "with status, meters, scope")
                    .changed()
                {
                    session.traffic.set(if all {
                        TrafficMode::All
                    } else {
                        TrafficMode::Filtered
                    });
                }
                let missed = session.traffic.missed();
                let mut text = format!(
                    "Recording into the show: {} packet{} kept",
                    session.traffic.kept(),
                    if session.traffic.kept() == 1 { "" } else { "s" }
                );
                if missed > 0 {
                    text.push_str(&format!(", {missed} missed (too many at once)"));
                }
                ui.colored_label(tone(ui, Tone::Error), text);
            }
            ui.separator();
            let label = ui.label("Export to");
            ui.add(
                egui::TextEdit::singleline(&mut self.export_path)
                    .hint_text("traffic.txt")
                    .desired_width(180.0),
            )
            .labelled_by(label.id);
            if ui
                .button("Browse…")
                .on_hover_text("Choose where the console's traffic is saved, and save it")
                .clicked()
            {
                actions.push(Action::PickFile(crate::gui::actions::Pick::TrafficExport));
            }
            let path = self.export_path.trim().to_string();
            let export = ui
                .add_enabled(!path.is_empty(), egui::Button::new("Export"))
                .on_hover_text(
                    "Save the console's traffic as text: one line per packet, with its time",
                );
            if export.clicked() {
                let (lines, dropped) = session
                    .inbox
                    .lock()
                    .map(|i| (i.traffic.iter().cloned().collect(), i.traffic_dropped))
                    .unwrap_or_default();
                actions.push(Action::ExportTraffic {
                    path: path.into(),
                    lines,
                    dropped,
                });
            }
        });
    }

    /// "1,200 older lines dropped · 3 malformed packets ignored": what the log does not show.
    fn losses_line(&self, session: &Session) -> Option<String> {
        let mut parts = Vec::new();
        if let Ok(i) = session.inbox.lock() {
            if i.traffic_dropped > 0 {
                parts.push(format!(
                    "{} older line{} dropped (the console keeps the last {})",
                    i.traffic_dropped,
                    if i.traffic_dropped == 1 { "" } else { "s" },
                    crate::gui::bridge::TRAFFIC_KEEP
                ));
            }
            if i.traffic_skipped > 0 {
                parts.push(format!(
                    "{} packet{} skipped (too many at once)",
                    i.traffic_skipped,
                    if i.traffic_skipped == 1 { "" } else { "s" }
                ));
            }
        }
        parts.extend(session.server.losses().summary());
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    fn walk_history(&mut self, ui: &egui::Ui) {
        if self.history.is_empty() {
            return;
        }
        let (up, down) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::ArrowDown),
            )
        });
        if up {
            let i = self
                .cursor
                .map_or(self.history.len() - 1, |c| c.saturating_sub(1));
            self.cursor = Some(i);
            self.line = self.history[i].clone();
        } else if down {
            match self.cursor {
                Some(c) if c + 1 < self.history.len() => {
                    self.cursor = Some(c + 1);
                    self.line = self.history[c + 1].clone();
                }
                _ => {
                    self.cursor = None;
                    self.line.clear();
                }
            }
        }
    }

    fn hints(&mut self, ui: &mut egui::Ui) {
        let word = self
            .line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        let word = word.as_str();
        if word.is_empty() || word.starts_with('@') {
            return;
        }
        let matches = osc::complete(word);
        ui.horizontal_wrapped(|ui| match matches.as_slice() {
            [] => {
                ui.weak(format!(
                    "{word}: not a scsynth command (it will be sent anyway)"
                ));
            }
            [(name, args)] if *name == word => {
                ui.weak(format!("{name} {args}"));
            }
            many => {
                for (name, args) in many.iter().take(8) {
                    if ui.small_button(*name).on_hover_text(*args).clicked() {
                        let rest = self
                            .line
                            .trim_start()
                            .split_once(' ')
                            .map_or(String::new(), |(_, r)| r.to_string());
                        self.line = format!("{name} {rest}");
                    }
                }
            }
        });
    }
}

fn traffic_row(ui: &mut egui::Ui, t: &TrafficLine) {
    let colour = match t.direction {
        _ if t.text.starts_with("/fail") => tone(ui, Tone::Error),
        Direction::Sent => tone(ui, Tone::Sent),
        Direction::Received => tone(ui, Tone::Received),
    };
    ui.label(RichText::new(line_text(t)).monospace().color(colour));
}

/// The built-in SynthDef the last `/s_new` asked for, when the server answered that it has no
/// such SynthDef: the console then offers to load it.
pub(crate) fn missing_builtin(traffic: &[TrafficLine]) -> Option<String> {
    if traffic.is_empty() {
        return None;
    }
    // Only the latest lines matter: the failure comes right after its /s_new.
    let recent = &traffic[traffic.len().saturating_sub(64)..];
    let fail = recent.iter().rposition(|t| {
        t.direction == Direction::Received
            && t.text.starts_with("/fail /s_new")
            && t.text.contains("SynthDef not found")
    })?;
    let sent = recent[..fail]
        .iter()
        .rev()
        .find(|t| t.direction == Direction::Sent && t.text.starts_with("/s_new "))?;
    let name = sent.text.split_whitespace().nth(1)?.trim_matches('"');
    scpanel_core::synthdef::builtins::builtin(name).map(|_| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::traffic_text::line;

    #[test]
    fn a_missing_builtin_is_offered_only_after_its_failure() {
        let mut t = vec![line(Direction::Sent, "/s_new default 1000 0 1")];
        assert_eq!(missing_builtin(&t), None, "no failure yet");
        t.push(line(
            Direction::Received,
            "/fail /s_new \"SynthDef not found\"",
        ));
        assert_eq!(missing_builtin(&t).as_deref(), Some("default"));
        t.push(line(Direction::Sent, "/s_new mydef 1001 0 1"));
        t.push(line(
            Direction::Received,
            "/fail /s_new \"SynthDef not found\"",
        ));
        assert_eq!(missing_builtin(&t), None, "not a built-in");
    }
}
