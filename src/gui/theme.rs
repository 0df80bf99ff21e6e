//! The window's colours, checked for contrast: text and the weaker text of hints, paths and
//! counts reach WCAG AA (4.5:1) against every background they sit on, in the dark and the
//! light theme, and a high-contrast choice goes further. Also the display settings kept
//! across starts (zoom, high contrast).

use egui::{Color32, Visuals};
use serde::{Deserialize, Serialize};

use scpanel_core::ServerState;

/// What the user chose for the display, saved beside the profiles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Display {
    /// egui's zoom factor (Ctrl + / Ctrl − / Ctrl 0).
    pub zoom: f32,
    pub high_contrast: bool,
    /// Follow the system, or always dark or light.
    pub theme: ThemeChoice,
    /// The projector's status bar: state, CPU and synths in large figures, to read from the
    /// back of a room.
    pub large_figures: bool,
}

/// The window's theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeChoice {
    #[default]
    System,
    Dark,
    Light,
}

impl Default for Display {
    fn default() -> Self {
        Display {
            zoom: 1.0,
            high_contrast: false,
            theme: ThemeChoice::System,
            large_figures: false,
        }
    }
}

/// The zoom factors egui's keys can reach; a file saying otherwise is clamped.
const ZOOM: std::ops::RangeInclusive<f32> = 0.5..=3.0;

impl Display {
    fn path() -> Option<std::path::PathBuf> {
        crate::gui::profiles::folder().map(|d| d.join("display.toml"))
    }

    /// The saved settings, or the defaults when there are none or they can't be read.
    pub fn load() -> Display {
        let Some(path) = Self::path() else {
            return Display::default();
        };
        Self::read_from(&path).unwrap_or_else(|e| {
            // No window is up yet to say it in; a missing file is the usual first run.
            if !e.is_missing() {
                eprintln!("scpanel: {e}; the default display settings are used");
            }
            Display::default()
        })
    }

    fn read_from(path: &std::path::Path) -> Result<Display, scpanel_core::files::FileError> {
        let bytes = scpanel_core::files::read_bounded(path, 64 * 1024, "settings file")?;
        let text = String::from_utf8_lossy(&bytes);
        let mut d: Display = toml::from_str(&text).unwrap_or_default();
        if !d.zoom.is_finite() {
            d.zoom = 1.0;
        }
        d.zoom = d.zoom.clamp(*ZOOM.start(), *ZOOM.end());
        Ok(d)
    }

    /// Writes the settings, whole or not at all.
    pub fn save(&self) -> Result<(), String> {
        let path = Self::path().ok_or("no folder for settings")?;
        let text = toml::to_string(self).map_err(|e| e.to_string())?;
        scpanel_core::files::write_atomic(&path, text.as_bytes(), false, "settings file")
            .map_err(|e| e.to_string())
    }
}

/// What coloured text means; each has a shade for the dark and one for the light theme, both
/// reaching 4.5:1 on every background (checked below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Failures, errors, a clip, recording.
    Error,
    /// Warnings, late bundles, "paused", something to look at.
    Warning,
    /// Running, online, connected.
    Good,
    /// OSC we sent.
    Sent,
    /// OSC we received.
    Received,
    /// scpanel's own notes in the server log.
    Note,
}

impl Tone {
    /// Every tone, for the contrast checks in the tests.
    #[cfg(test)]
    pub const ALL: [Tone; 6] = [
        Tone::Error,
        Tone::Warning,
        Tone::Good,
        Tone::Sent,
        Tone::Received,
        Tone::Note,
    ];

    pub fn colour(self, dark: bool) -> Color32 {
        let (d, l) = match self {
            Tone::Error => ((240, 110, 95), (180, 30, 20)),
            Tone::Warning => ((230, 170, 40), (140, 85, 0)),
            Tone::Good => ((70, 190, 90), (20, 115, 40)),
            Tone::Sent => ((120, 170, 240), (30, 85, 185)),
            Tone::Received => ((150, 210, 150), (25, 110, 45)),
            Tone::Note => ((150, 170, 210), (60, 75, 140)),
        };
        let (r, g, b) = if dark { d } else { l };
        Color32::from_rgb(r, g, b)
    }
}

/// The design tokens: every gap, text size, corner and meaning-bearing colour a panel draws
/// is one of these, so the window reads as one piece and a change here changes it everywhere
/// (`tests/headless/tokens.rs` keeps raw colours and sizes out of the panels).
pub(crate) mod space {
    /// Between the parts of one thing (a meter's bars, a dot and its word).
    pub const TIGHT: f32 = 2.0;
    /// Between things in a row.
    pub const SMALL: f32 = 4.0;
    /// Between groups of things.
    pub const MEDIUM: f32 = 8.0;
}

/// Type sizes, in points (egui's body text stays egui's).
pub(crate) mod size {
    /// Scales and tick labels.
    pub const CAPTION: f32 = 11.0;
    /// Figures read from across a room (the projector row, the wall's CPU).
    pub const FIGURE: f32 = 32.0;
    /// A reading over a picture (the spectrum's cursor).
    pub const READOUT: f32 = 13.0;
    /// A tile's own large figure.
    pub const TILE_FIGURE: f32 = 20.0;
}

/// Corner radii.
pub(crate) mod radius {
    /// Meters, bars, small marks.
    pub const SMALL: f32 = 2.0;
    /// Tiles.
    pub const MEDIUM: f32 = 6.0;
}

/// What a text is, and so how it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextRole {
    /// Scales, units, small print.
    Caption,
    /// A figure read from afar.
    Figure,
    /// A figure on a tile.
    TileFigure,
}

/// `text` in its role's look.
pub(crate) fn text(role: TextRole, text: impl Into<String>) -> egui::RichText {
    let t = egui::RichText::new(text);
    match role {
        TextRole::Caption => t.size(size::CAPTION),
        TextRole::Figure => t.size(size::FIGURE).strong(),
        TextRole::TileFigure => t.size(size::TILE_FIGURE).strong(),
    }
}

/// The font of a caption, for text painted straight onto a picture (meter scales).
pub(crate) fn caption_font() -> egui::FontId {
    egui::FontId::proportional(size::CAPTION)
}

/// Levels on every meter (the Levels tab, the status bar's master meter): calm, hot (above
/// −6 dBFS) and clipping, warmer as they get worse, as the CPU's peak is warmer than its
/// average; drawn on [`METER_BACK`] in both themes.
pub(crate) const LEVEL_OK: Color32 = Color32::from_rgb(70, 190, 90);
pub(crate) const LEVEL_HOT: Color32 = Color32::from_rgb(230, 170, 40);
pub(crate) const LEVEL_CLIP: Color32 = Color32::from_rgb(220, 40, 40);
/// A meter's held peak, and its instant one.
pub(crate) const LEVEL_HELD: Color32 = Color32::from_rgb(240, 200, 80);
pub(crate) const LEVEL_PEAK: Color32 = Color32::WHITE;
/// A meter's well, dark in both themes so the level colours read the same on it.
pub(crate) const METER_BACK: Color32 = Color32::from_gray(30);
/// The dB ticks over a meter.
pub(crate) const METER_TICK: Color32 = Color32::from_gray(110);
/// A clip light that is lit.
pub(crate) const CLIP_LIGHT: Color32 = Color32::from_rgb(190, 30, 30);
/// A level's colour: the alarm colours, by how loud.
pub(crate) fn level_colour(db: f32, clipping: bool) -> Color32 {
    if clipping {
        LEVEL_CLIP
    } else if db > -6.0 {
        LEVEL_HOT
    } else {
        LEVEL_OK
    }
}

/// A node that just started, behind its name in the tree.
pub(crate) const FRESH: Color32 = Color32::from_rgba_premultiplied(22, 47, 22, 70);

/// Xrun marks on the CPU plot: apart from the average, the peak and late lines.
pub(crate) fn xrun_colour(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(225, 100, 235)
    } else {
        Color32::from_rgb(150, 30, 160)
    }
}

/// A colour of the Shows timeline: its servers' lanes and its markers take theirs from
/// `crate::timeline` (`lane_rgb`, `MarkerKind::rgb`), the one place the PNG paints from too.
pub(crate) fn timeline_colour([r, g, b]: [u8; 3]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

/// A CPU history's average line, everywhere it is drawn (the wall's tiles, the CPU plot):
/// the calm colour, so the warmer peak reads as the one to watch.
pub(crate) const CPU_AVERAGE: Color32 = Color32::from_rgb(90, 170, 240);
/// A CPU history's peak line: warmer than the average, as alarms are.
pub(crate) const CPU_PEAK: Color32 = Color32::from_rgb(240, 170, 60);

/// The tones channels 1, 2, … are drawn in, in the scope and the spectrum alike.
const CHANNELS: [Tone; 6] = [
    Tone::Sent,
    Tone::Warning,
    Tone::Good,
    Tone::Note,
    Tone::Error,
    Tone::Received,
];

/// Channel `i`'s colour (from 0): the tones in turn, so traces read apart in both themes.
pub(crate) fn channel_colour(i: usize, dark: bool) -> Color32 {
    CHANNELS[i % CHANNELS.len()].colour(dark)
}

/// The shade of `tone` for the theme `ui` is drawn in.
pub(crate) fn tone(ui: &egui::Ui, tone: Tone) -> Color32 {
    tone.colour(ui.visuals().dark_mode)
}

/// egui's visuals for a theme, with text colours that reach 4.5:1.
pub(crate) fn visuals(dark: bool, high_contrast: bool) -> Visuals {
    let mut v = if dark {
        Visuals::dark()
    } else {
        Visuals::light()
    };
    // egui's weak text is the text colour at 60 % alpha: 2.7:1 here. An opaque grey instead.
    v.weak_text_color = Some(if dark {
        Color32::from_gray(165)
    } else {
        Color32::from_gray(84)
    });
    v.code_bg_color = if dark {
        Color32::from_gray(32)
    } else {
        Color32::from_gray(235)
    };
    if high_contrast {
        let (fg, weak, bg) = if dark {
            (Color32::WHITE, Color32::from_gray(215), Color32::BLACK)
        } else {
            (Color32::BLACK, Color32::from_gray(40), Color32::WHITE)
        };
        v.override_text_color = Some(fg);
        v.weak_text_color = Some(weak);
        v.panel_fill = bg;
        v.window_fill = bg;
        v.extreme_bg_color = bg;
    }
    v
}

/// Applies the display settings to the window.
pub(crate) fn apply(ctx: &egui::Context, d: &Display) {
    ctx.set_visuals_of(egui::Theme::Dark, visuals(true, d.high_contrast));
    ctx.set_visuals_of(egui::Theme::Light, visuals(false, d.high_contrast));
    ctx.set_theme(match d.theme {
        ThemeChoice::System => egui::ThemePreference::System,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
        ThemeChoice::Light => egui::ThemePreference::Light,
    });
}

/// WCAG's contrast ratio of `fg` drawn over `bg` (a translucent `fg` blended first).
#[cfg(test)]
pub(crate) fn contrast(fg: Color32, bg: Color32) -> f32 {
    let a = f32::from(fg.a()) / 255.0;
    let blend = |f: u8, b: u8| {
        // Color32 is premultiplied: its channels already carry the alpha.
        (f32::from(f) + f32::from(b) * (1.0 - a)).min(255.0)
    };
    let lum = |r: f32, g: f32, b: f32| {
        let c = |v: f32| {
            let v = v / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b)
    };
    let f = lum(
        blend(fg.r(), bg.r()),
        blend(fg.g(), bg.g()),
        blend(fg.b(), bg.b()),
    );
    let b = lum(f32::from(bg.r()), f32::from(bg.g()), f32::from(bg.b()));
    let (hi, lo) = if f > b { (f, b) } else { (b, f) };
    (hi + 0.05) / (lo + 0.05)
}

/// The state's colour in the theme `ui` is drawn in (its word and its dot).
pub(crate) fn state_colour(ui: &egui::Ui, state: ServerState) -> Color32 {
    match state {
        ServerState::Online => tone(ui, Tone::Good),
        ServerState::Booting
        | ServerState::Connecting
        | ServerState::Unresponsive
        | ServerState::Quitting => tone(ui, Tone::Warning),
        ServerState::Offline => ui.visuals().weak_text_color(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Warmth as red less blue: an alarm colour is warmer than the calmer one below it.
    fn warmth(c: Color32) -> i32 {
        i32::from(c.r()) - i32::from(c.b()) - i32::from(c.g()) / 2
    }

    #[test]
    fn alarm_colours_get_warmer_as_things_get_worse() {
        assert!(warmth(LEVEL_HOT) > warmth(LEVEL_OK));
        assert!(warmth(LEVEL_CLIP) > warmth(LEVEL_HOT));
        assert_eq!(level_colour(-20.0, false), LEVEL_OK);
        assert_eq!(level_colour(-3.0, false), LEVEL_HOT);
        assert_eq!(level_colour(-20.0, true), LEVEL_CLIP);
        assert!(warmth(CPU_PEAK) > warmth(CPU_AVERAGE));
    }

    #[test]
    fn a_cpu_peak_is_warmer_than_its_average() {
        let (avg, peak) = (CPU_AVERAGE, CPU_PEAK);
        assert!(peak.r() > avg.r() && peak.b() < avg.b(), "{avg:?} {peak:?}");
    }

    #[test]
    fn a_pipe_where_the_settings_file_should_be_is_refused_at_once() {
        let dir = std::env::temp_dir().join(format!("scpanel-display-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("display.toml");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let started = std::time::Instant::now();
        let e = Display::read_from(&fifo).unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(
            e.contains(&format!(
                "{} is a named pipe (FIFO), not a settings file",
                fifo.display()
            )),
            "{e}"
        );
        std::fs::write(dir.join("ok.toml"), "zoom = 9.0\n").unwrap();
        assert_eq!(Display::read_from(&dir.join("ok.toml")).unwrap().zoom, 3.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_text_colour_reaches_aa_on_every_background_in_both_themes() {
        for dark in [true, false] {
            for high in [false, true] {
                let v = visuals(dark, high);
                // An additive colour (alpha 0) lightens the panel it is drawn on.
                let on_panel = |c: Color32| {
                    if c.a() == 0 {
                        let p = v.panel_fill;
                        Color32::from_rgb(
                            p.r().saturating_add(c.r()),
                            p.g().saturating_add(c.g()),
                            p.b().saturating_add(c.b()),
                        )
                    } else {
                        c
                    }
                };
                let backgrounds = [
                    ("panel", v.panel_fill),
                    ("window", v.window_fill),
                    ("field", on_panel(v.text_edit_bg_color())),
                    ("extreme", on_panel(v.extreme_bg_color)),
                    ("faint", on_panel(v.faint_bg_color)),
                    ("code", on_panel(v.code_bg_color)),
                ];
                let texts = [
                    ("text", v.text_color()),
                    ("weak text and hints", v.weak_text_color()),
                    ("strong text", v.strong_text_color()),
                ];
                // Buttons, check boxes and fields: their text on their own fill.
                for (wn, w) in [
                    ("inactive", v.widgets.inactive),
                    ("hovered", v.widgets.hovered),
                    ("active", v.widgets.active),
                    ("open", v.widgets.open),
                ] {
                    let fg = v.override_text_color.unwrap_or(w.fg_stroke.color);
                    let c = contrast(fg, w.weak_bg_fill);
                    assert!(
                        c >= 4.5,
                        "{} theme{}: {wn} widget text {c:.2}:1",
                        if dark { "dark" } else { "light" },
                        if high { " (high contrast)" } else { "" },
                    );
                }
                // High contrast overrides every text colour, these included.
                let tones: Vec<(String, Color32)> = if high {
                    Vec::new()
                } else {
                    Tone::ALL
                        .iter()
                        .map(|t| (format!("{t:?}"), t.colour(dark)))
                        .collect()
                };
                for (tn, t) in texts.iter().map(|(n, c)| (n.to_string(), *c)).chain(tones) {
                    for (bn, b) in backgrounds {
                        let c = contrast(t, b);
                        let need = if high { 7.0 } else { 4.5 };
                        assert!(
                            c >= need,
                            "{} theme{}: {tn} on {bn}: {c:.2}:1, below {need}:1",
                            if dark { "dark" } else { "light" },
                            if high { " (high contrast)" } else { "" },
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn egui_s_own_weak_text_was_too_faint() {
        let v = Visuals::dark();
        assert!(contrast(v.weak_text_color(), v.panel_fill) < 4.5);
    }

    #[test]
    fn contrast_matches_wcag_figures() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::from_gray(118), Color32::WHITE) - 4.54).abs() < 0.05);
    }
}
