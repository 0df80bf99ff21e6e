//! Always visible: state, who we are on the server, load, counts, and the lifecycle buttons.

use std::time::Duration;

use egui::{Color32, RichText};

use crate::gui::format::{MASTER_FLOOR_DB, figures, rec_text};
use crate::gui::icons;
use crate::gui::session::XrunsShown;
use crate::gui::theme::{self, TextRole, Tone, state_colour, tone};

use scpanel_core::levels::{ChannelLevel, FLOOR_DB};
use scpanel_core::recording::Recording;
use scpanel_core::{Attachment, ServerState, StatusInfo};

/// The counts, with the user's synths and scpanel's own apart.
pub(crate) fn counts_text(st: &StatusInfo, own_synths: usize) -> String {
    let own = i32::try_from(own_synths).unwrap_or(i32::MAX);
    let user = st.synths.saturating_sub(own).max(0);
    let own = if own > 0 {
        format!(" (+{own} scpanel)")
    } else {
        String::new()
    };
    format!(
        "{} UGens  {user} synths{own}  {} groups  {} SynthDefs",
        st.ugens, st.groups, st.synthdefs
    )
}

/// What the user clicked this frame.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Actions {
    pub boot: bool,
    pub quit: bool,
    pub reboot: bool,
    pub reset: bool,
    pub toggle_side: bool,
    pub test_tone: bool,
    pub about: bool,
    /// "Why no sound?" or its badge.
    pub doctor: bool,
}

/// What the bar shows.
pub struct View<'a> {
    pub state: ServerState,
    pub session: Option<&'a Attachment>,
    pub status: Option<StatusInfo>,
    pub boot_blocker: Option<&'a str>,
    pub recording: Option<&'a Recording>,
    pub side_open: bool,
    /// How many of the server's synths are scpanel's own (meters, volume, recorder, tone).
    pub own_synths: usize,
    /// When the last `/status` reply came, for a server that stopped answering.
    pub last_reply: Option<std::time::Instant>,
    /// The CPU alert threshold, in percent.
    pub cpu_alert: Option<f32>,
    /// A second row of large figures, for a projector.
    pub large: bool,
    /// JACK's xruns since the server booted here.
    pub xruns: XrunsShown,
    /// The hardware outputs' levels while the meters run, for the master meter.
    pub master: Option<&'a [ChannelLevel]>,
    /// The doctor's badge: what a show brought by itself (its mark, and each finding for the
    /// tooltip).
    pub doctor_badge: Option<(String, String)>,
    /// The flight recorder, when its show is not being kept or lost records.
    pub show: Option<ShowCell<'a>>,
}

/// The notice's title, and the status bar's word, while the show can't be kept.
pub const SHOW_NOT_SAVED: &str = "Show not saved";

/// The show's trouble, for a small cell at the bar's right: "Show not saved" while the show
/// can't be kept, else how many records were lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowCell<'a> {
    /// Why the show is not being kept now, in a sentence.
    pub error: Option<&'a str>,
    /// Records that never reached the show.
    pub lost: u64,
}

impl ShowCell<'_> {
    /// The cell's word, and the sentence its tooltip (and a screen reader) gives.
    pub fn words(&self) -> (String, String) {
        let lost = match self.lost {
            0 => String::new(),
            1 => "1 record never reached the show.".to_string(),
            n => format!("{n} records never reached the show."),
        };
        match self.error {
            Some(why) => (
                SHOW_NOT_SAVED.to_string(),
                format!("{why}; saving resumes by itself when it can. {lost}")
                    .trim_end()
                    .to_string(),
            ),
            None => (
                format!("{} lost", self.lost),
                format!("The show is being saved. {lost}"),
            ),
        }
    }
}

/// The show's cell: its word in the warning colour, the reason on hover.
fn show_ui(ui: &mut egui::Ui, show: &ShowCell<'_>) {
    let (word, tip) = show.words();
    let colour = if show.error.is_some() {
        tone(ui, Tone::Error)
    } else {
        tone(ui, Tone::Warning)
    };
    let label = ui
        .add(
            egui::Label::new(RichText::new(&word).color(colour).strong())
                .truncate()
                .sense(egui::Sense::hover()),
        )
        .on_hover_text(&tip);
    icons::named(ui, &label, &format!("{word}: {tip}"));
}

/// The master meter: each output channel's peak as a thin bar, red while it clips, on
/// every tab. A screen reader hears it as a meter with every channel's level in words.
pub(crate) fn master_meter(ui: &mut egui::Ui, outputs: &[ChannelLevel]) {
    let now = std::time::Instant::now();
    let n = outputs.len().min(8);
    let gap = 1.0;
    let bar = ((14.0 - gap * (n as f32 - 1.0)) / n as f32).max(1.0);
    let width = -MASTER_FLOOR_DB;
    let (rect, resp) = ui.allocate_exact_size(
        egui::vec2(width, 14.0),
        egui::Sense::focusable_noninteractive(),
    );
    let words: Vec<String> = outputs
        .iter()
        .enumerate()
        .map(|(i, l)| format!("out {}: {}", i + 1, l.describe(now)))
        .collect();
    let value = words.join("; ");
    let loudest = outputs.iter().map(|l| l.peak_db).fold(FLOOR_DB, f32::max);
    ui.ctx().accesskit_node_builder(resp.id, |b| {
        b.set_role(egui::accesskit::Role::Meter);
        b.set_label("Master level");
        b.set_value(value.clone());
        b.set_min_numeric_value(f64::from(FLOOR_DB));
        b.set_max_numeric_value(0.0);
        b.set_numeric_value(f64::from(loudest));
    });
    let p = ui.painter();
    p.rect_filled(rect, 1.0, theme::METER_BACK);
    for (i, l) in outputs.iter().take(n).enumerate() {
        let frac = ((l.peak_db - MASTER_FLOOR_DB) / -MASTER_FLOOR_DB).clamp(0.0, 1.0);
        if frac <= 0.0 {
            continue;
        }
        let colour = theme::level_colour(l.peak_db, l.clipping(now));
        let top = rect.top() + i as f32 * (bar + gap);
        p.rect_filled(
            egui::Rect::from_min_size(egui::pos2(rect.left(), top), egui::vec2(width * frac, bar)),
            0.0,
            colour,
        );
    }
    resp.on_hover_text(format!("Master (hardware outputs): {value}"));
}

/// The widths of the bar's fixed cells, in points: what is in them changes with the server,
/// where they are does not.
const STATE_CELL: f32 = 104.0;
const XRUNS_CELL: f32 = 150.0;
/// The show's cell, there only while it has something to say.
const SHOW_CELL: f32 = 116.0;
/// The doctor's badge beside its button: there, empty, when there is nothing to say.
const BADGE_CELL: f32 = 28.0;
/// The narrowest bar whose buttons show their words beside their icons.
const WORDS_FROM: f32 = 1100.0;

/// A cell of a fixed width: its contents are laid out left to right and cut at its edge.
fn cell(ui: &mut egui::Ui, width: f32, add: impl FnOnce(&mut egui::Ui)) {
    let height = ui.spacing().interact_size.y;
    ui.allocate_ui_with_layout(
        egui::vec2(width, height),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_size(egui::vec2(width, height));
            ui.set_max_width(width);
            add(ui);
        },
    );
}

/// One piece of the bar's running text, in its colour.
fn piece(
    job: &mut egui::text::LayoutJob,
    ui: &egui::Ui,
    text: &str,
    colour: Color32,
    strike: bool,
) {
    if !job.text.is_empty() {
        push(job, ui, "  \u{B7}  ", ui.visuals().weak_text_color(), false);
    }
    push(job, ui, text, colour, strike);
}

fn push(job: &mut egui::text::LayoutJob, ui: &egui::Ui, text: &str, colour: Color32, strike: bool) {
    let mut format = egui::TextFormat::simple(egui::TextStyle::Body.resolve(ui.style()), colour);
    if strike {
        format.strikethrough = egui::Stroke::new(1.0, colour);
    }
    job.append(text, 0.0, format);
}

/// One line that never wraps: the buttons first at fixed places, the server's state in a cell
/// of its own, then what changes (a recording, a reason Boot is off, load, counts, who we
/// are) cut with an ellipsis where it runs out, and at the right edge the xruns and the master meter in cells
/// that are there, empty, before their figures come. Nothing below it moves when a figure
/// arrives; the whole text is in the tooltip and in what a screen reader hears.
pub(crate) fn ui(ui: &mut egui::Ui, v: View<'_>) -> Actions {
    // The running text reads the rest of the view.
    let View {
        state,
        session,
        status,
        boot_blocker,
        side_open,
        cpu_alert,
        large,
        ref xruns,
        master,
        ..
    } = v;
    let mut a = Actions::default();
    // Below this width the buttons show their icons alone (their words in tooltips and to a
    // screen reader), so the figures keep their room. It follows the window, never the data.
    let words = ui.available_width() >= WORDS_FROM;
    ui.horizontal(|ui| {
        let online = state.is_online();
        let owner = session.is_some_and(|s| s.is_owner);
        if icons::selectable(ui, side_open, icons::SIDEBAR, "Options", words)
            .on_hover_text("Show or hide the boot and connect panel (F9)")
            .clicked()
        {
            a.toggle_side = true;
        }
        ui.separator();
        let can_boot = state == ServerState::Offline && boot_blocker.is_none();
        let boot = icons::shown(ui, can_boot, icons::POWER, "Boot", words);
        let boot = match (state, boot_blocker) {
            (ServerState::Offline, Some(why)) => {
                boot.on_disabled_hover_text(format!("Can't boot: {why}"))
            }
            (ServerState::Offline, None) => boot.on_hover_text("Boot the server (Ctrl+B)"),
            _ => boot.on_disabled_hover_text("The server is already running"),
        };
        if boot.clicked() {
            a.boot = true;
        }
        if icons::shown(ui, online, icons::STOP, "Quit", words)
            .on_hover_text(
                "Quit the server (Ctrl+Q asks first when synths play or a recording runs)",
            )
            .clicked()
        {
            a.quit = true;
        }
        if icons::shown(ui, online && owner, icons::ARROW_CLOCKWISE, "Reboot", words)
            .on_hover_text("Quit and boot again with the same options (Ctrl+R)")
            .clicked()
        {
            a.reboot = true;
        }
        if icons::shown(ui, online, icons::HAND_PALM, "Reset", words)
            .on_hover_text("Reset, as Cmd-period: free nodes and clear the schedule (Ctrl+.)")
            .clicked()
        {
            a.reset = true;
        }
        let logged_in = session.is_some_and(|s| s.login.is_some());
        if icons::shown(ui, online && logged_in, icons::SPEAKER_HIGH, "Test tone", words)
            .on_hover_text(
                "Test tone: a quiet sine (-20 dBFS), one second on the left output, then one on the right",
            )
            .on_disabled_hover_text("Boot or log in to a server first")
            .clicked()
        {
            a.test_tone = true;
        }
        if icons::shown(ui, true, icons::STETHOSCOPE, "Why no sound?", words)
            .on_hover_text(
                "Why no sound? The doctor looks for the classic mistakes (outputs not \
                 connected, a reader before its writer, amp 0, a paused group…) and offers fixes (F8)",
            )
            .clicked()
        {
            a.doctor = true;
        }
        cell(ui, BADGE_CELL, |ui| {
            if let Some((mark, tip)) = &v.doctor_badge {
                let badge = ui
                    .add(
                        egui::Label::new(
                            RichText::new(mark).color(tone(ui, Tone::Warning)).strong(),
                        )
                        .sense(egui::Sense::click()),
                    )
                    .on_hover_text(format!("{tip}\n\nClick for the doctor's findings."));
                // One line for a screen reader (and a test's query), the tooltip's lines
                // joined.
                let spoken = tip.lines().collect::<Vec<_>>().join(" ");
                icons::named(ui, &badge, &format!("Doctor's findings: {spoken}"));
                if badge.clicked() {
                    a.doctor = true;
                }
            }
        });
        if icons::shown(ui, true, icons::INFO, "About", words)
            .on_hover_text("About: scpanel's version, and the server's (Shift+F1)")
            .clicked()
        {
            a.about = true;
        }
        ui.separator();
        cell(ui, STATE_CELL, |ui| {
            ui.add(
                egui::Label::new(
                    RichText::new(state.label().to_uppercase())
                        .color(state_colour(ui, state))
                        .strong(),
                )
                .truncate(),
            );
        });
        ui.separator();
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            cell(ui, -MASTER_FLOOR_DB, |ui| {
                if let Some(outputs) = master.filter(|o| !o.is_empty()) {
                    master_meter(ui, outputs);
                }
            });
            cell(ui, XRUNS_CELL, |ui| xruns_ui(ui, xruns));
            if let Some(show) = &v.show {
                cell(ui, SHOW_CELL, |ui| show_ui(ui, show));
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                running_text(ui, &v);
            });
        });
    });
    if large {
        ui.horizontal(|ui| {
            let big = |t: String| theme::text(TextRole::Figure, t);
            ui.label(big(state.label().to_uppercase()).color(state_colour(ui, state)));
            if let Some(st) = status.filter(|_| state.is_online()) {
                let over = cpu_alert.is_some_and(|t| st.average_cpu >= t);
                let cpu = big(format!("CPU {:.0}%", st.average_cpu));
                ui.label(if over {
                    cpu.color(tone(ui, Tone::Error))
                } else {
                    cpu
                });
                ui.label(big(format!("{} synths", st.synths)));
            }
        });
    }
    a
}

/// The bar's middle: recording, why Boot is off, load and counts, then who we are on the
/// server (the first to be cut in a narrow window); one label cut to the room there is, whole in its tooltip.
fn running_text(ui: &mut egui::Ui, v: &View<'_>) {
    let View {
        state,
        session,
        status,
        boot_blocker,
        recording,
        own_synths,
        last_reply,
        cpu_alert,
        ..
    } = *v;
    let text = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    let mut job = egui::text::LayoutJob::default();
    let mut tips: Vec<String> = Vec::new();
    if let Some(r) = recording {
        piece(
            &mut job,
            ui,
            &rec_text(r, r.file_size()),
            tone(ui, Tone::Error),
            false,
        );
        tips.push(format!("Recording to {}", r.options.path.display()));
    }
    if state == ServerState::Offline
        && let Some(why) = boot_blocker
    {
        piece(
            &mut job,
            ui,
            &format!("Boot is disabled: {why}"),
            tone(ui, Tone::Error),
            false,
        );
    }
    if state == ServerState::Unresponsive {
        // Frozen figures must not pass for live ones, and the age of the last reply shows
        // even when the server stalled before its first status reply.
        if let Some(st) = status {
            let [load, _] = figures(&st);
            piece(&mut job, ui, &load, weak, true);
            piece(&mut job, ui, &counts_text(&st, own_synths), weak, false);
        }
        let ago = last_reply.map_or("no reply yet".to_string(), |t| {
            format!("last reply {} s ago", t.elapsed().as_secs())
        });
        piece(&mut job, ui, &ago, state_colour(ui, state), false);
        ui.ctx().request_repaint_after(Duration::from_secs(1));
    } else if let Some(st) = status.filter(|_| state.is_online()) {
        let [load, _] = figures(&st);
        // Over the threshold set on the Servers tab: the figure says so in words too.
        let high = cpu_alert.is_some_and(|t| st.average_cpu >= t);
        if high {
            piece(
                &mut job,
                ui,
                &format!("{load}: CPU HIGH"),
                tone(ui, Tone::Error),
                false,
            );
        } else {
            piece(&mut job, ui, &load, text, false);
        }
        tips.push(format!(
            "CPU: average {:.2}%, peak {:.2}% of the audio thread's time; \
             the \"CPU & sample rate\" tab plots them",
            st.average_cpu, st.peak_cpu
        ));
        if high {
            tips.push(format!(
                "at or above the alert threshold of {:.0}% (set on the Servers tab)",
                cpu_alert.unwrap_or_default()
            ));
        }
        piece(&mut job, ui, &counts_text(&st, own_synths), text, false);
    }
    if let Some(s) = session {
        piece(
            &mut job,
            ui,
            if s.is_owner { "owner" } else { "connected" },
            text,
            false,
        );
        piece(
            &mut job,
            ui,
            &format!("{}://{}", s.protocol.as_str(), s.addr),
            text,
            false,
        );
        let who = match s.login {
            Some(l) => format!("client {} / {}", l.client_id, l.max_logins),
            None => "watching (not logged in)".to_string(),
        };
        piece(&mut job, ui, &who, text, false);
    }
    if job.text.is_empty() {
        return;
    }
    let whole = job.text.clone();
    let resp = ui.add(
        egui::Label::new(job)
            .truncate()
            .show_tooltip_when_elided(false),
    );
    if tips.is_empty() {
        resp.on_hover_text(whole);
    } else {
        resp.on_hover_text(format!("{whole}\n\n{}", tips.join("; ")));
    }
}

/// `12 s`, `3 min`, `2 h`, and how long until that text changes.
pub(crate) fn ago(d: Duration) -> (String, Duration) {
    let s = d.as_secs();
    let (text, unit) = if s < 60 {
        (format!("{s} s"), 1)
    } else if s < 3600 {
        (format!("{} min", s / 60), 60)
    } else {
        (format!("{} h", s / 3600), 3600)
    };
    let next = Duration::from_secs(unit - s % unit)
        .saturating_sub(Duration::from_nanos(u64::from(d.subsec_nanos())));
    (text, next.max(Duration::from_millis(100)))
}

/// `xruns 3 · last 12 s ago`, `xruns 0`.
pub(crate) fn xruns_text(count: u64, last_ago: Option<Duration>) -> String {
    match last_ago {
        Some(d) if count > 0 => format!("xruns {count} \u{B7} last {} ago", ago(d).0),
        _ => format!("xruns {count}"),
    }
}

/// JACK's xruns since the server booted here; nothing while no server of ours runs, a quiet
/// "xruns: no JACK" when there is no JACK to ask.
pub(crate) fn xruns_ui(ui: &mut egui::Ui, shown: &XrunsShown) {
    let x = match shown {
        XrunsShown::Off => return,
        XrunsShown::NoJack(why) => {
            ui.separator();
            ui.label(RichText::new("xruns: no JACK").weak())
                .on_hover_text(format!("Xruns can't be counted: {why}"));
            return;
        }
        XrunsShown::Counting(x) => x,
    };
    ui.separator();
    let count = x.count();
    let last_ago = x.last().map(|t| {
        std::time::SystemTime::now()
            .duration_since(t)
            .unwrap_or_default()
    });
    let mut text = xruns_text(count, last_ago);
    if x.jack_stopped() {
        text.push_str(" \u{B7} JACK stopped");
    }
    let since = scpanel_core::clock::hours_minutes(x.since());
    let tip = format!(
        "JACK reported {count} xrun{} since the server booted at {since}: an audio cycle \
         that missed its deadline, heard as a click or a gap. The CPU plot marks them.",
        if count == 1 { "" } else { "s" }
    );
    let text = if count > 0 {
        RichText::new(text).color(tone(ui, Tone::Warning))
    } else {
        RichText::new(text)
    };
    ui.label(text).on_hover_text(tip);
    if let Some(d) = last_ago {
        // The "ago" moves on when its text would change, not every frame.
        ui.ctx().request_repaint_after(ago(d).1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every symbol the window draws, beyond plain letters: each must be in egui's shipped
    /// fonts, or it renders as a box.
    /// Drawn in the proportional font (labels, buttons).
    pub const SYMBOLS: &[&str] = &["\u{B7}", "\u{2026}", "\u{2014}", "\u{2013}", "\u{D7}"];
    /// Drawn in the monospace font (the log's catch-up button, the log and console lines).
    pub const MONO_SYMBOLS: &[&str] = &["\u{2193}", "\u{2192}"];

    #[test]
    fn the_show_cell_says_why_and_what_was_lost() {
        let why = "the show can't be saved: /shows is read-only: choose another folder for shows";
        let cell = ShowCell {
            error: Some(why),
            lost: 0,
        };
        assert_eq!(
            cell.words(),
            (
                "Show not saved".to_string(),
                format!("{why}; saving resumes by itself when it can.")
            )
        );
        let cell = ShowCell {
            error: None,
            lost: 12,
        };
        assert_eq!(
            cell.words(),
            (
                "12 lost".to_string(),
                "The show is being saved. 12 records never reached the show.".to_string()
            )
        );
    }

    #[test]
    fn the_shipped_fonts_have_every_symbol_the_window_draws() {
        let ctx = egui::Context::default();
        ctx.run_ui(egui::RawInput::default(), |_| {})
            .textures_delta
            .clear();
        let sets = [
            (egui::FontId::proportional(14.0), SYMBOLS),
            (egui::FontId::monospace(14.0), SYMBOLS),
            (egui::FontId::monospace(14.0), MONO_SYMBOLS),
        ];
        for (family, symbols) in sets {
            for s in symbols {
                assert!(
                    ctx.fonts_mut(|f| f.has_glyphs(&family, s)),
                    "{s:?} is missing from {family:?}"
                );
            }
        }
        // The arrow that rendered as a box: not in the proportional font, so never used there.
        let arrow = ctx.fonts_mut(|f| f.has_glyph(&egui::FontId::proportional(14.0), '\u{2192}'));
        assert!(
            !arrow,
            "the proportional font now has U+2192: it may be used again"
        );
    }

    #[test]
    fn xruns_read_as_a_count_and_how_long_ago_the_last_was() {
        assert_eq!(xruns_text(0, None), "xruns 0");
        assert_eq!(
            xruns_text(3, Some(Duration::from_millis(12_400))),
            "xruns 3 \u{B7} last 12 s ago"
        );
        assert_eq!(
            xruns_text(1, Some(Duration::from_secs(185))),
            "xruns 1 \u{B7} last 3 min ago"
        );
        // The text changes at the next whole second, minute or hour, not before.
        assert_eq!(
            ago(Duration::from_millis(12_400)).1,
            Duration::from_millis(600)
        );
        assert_eq!(ago(Duration::from_secs(185)).1, Duration::from_secs(55));
        assert_eq!(ago(Duration::from_secs(7200)).0, "2 h");
    }
}
