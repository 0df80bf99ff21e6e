//! The window's icons: glyphs of Phosphor Regular (MIT), only those named here, in a font of
//! a few kilobytes made by `scripts/icons-font.sh` from this list. A button shows its icon
//! before its word; what it is called (by a screen reader, by a test) stays the word.

/// The icon font's family name.
const FAMILY: &str = "scpanel-icons";
const FONT: &[u8] = include_bytes!("../../assets/fonts/scpanel-icons.ttf");

pub const SIDEBAR: &str = "\u{EAB6}";
pub const POWER: &str = "\u{E3DA}";
pub const STOP: &str = "\u{E46C}";
pub const ARROW_CLOCKWISE: &str = "\u{E036}";
pub const HAND_PALM: &str = "\u{E57E}";
pub const SPEAKER_HIGH: &str = "\u{E44A}";
pub const INFO: &str = "\u{E2CE}";
pub const TRASH: &str = "\u{E4A6}";
pub const PAUSE: &str = "\u{E39E}";
pub const PLAY: &str = "\u{E3D0}";
pub const SIGN_OUT: &str = "\u{E42A}";
pub const ARROWS_OUT_CARDINAL: &str = "\u{E0A4}";
pub const GAUGE: &str = "\u{E628}";
pub const WAVE_SINE: &str = "\u{EA9A}";
pub const STETHOSCOPE: &str = "\u{E7EA}";

/// Every icon, for the check that the font has them all.
#[cfg(test)]
pub const ALL: [&str; 15] = [
    SIDEBAR,
    POWER,
    STOP,
    ARROW_CLOCKWISE,
    HAND_PALM,
    SPEAKER_HIGH,
    INFO,
    TRASH,
    PAUSE,
    PLAY,
    SIGN_OUT,
    ARROWS_OUT_CARDINAL,
    GAUGE,
    WAVE_SINE,
    STETHOSCOPE,
];

/// Adds the icon font to `ctx`, as a family of its own and after the text fonts of the
/// proportional family (so an icon in a label draws, and letters never come from it).
pub fn install(ctx: &egui::Context) {
    ctx.add_font(egui::epaint::text::FontInsert::new(
        FAMILY,
        egui::FontData::from_static(FONT),
        vec![
            egui::epaint::text::InsertFontFamily {
                family: egui::FontFamily::Proportional,
                priority: egui::epaint::text::FontPriority::Lowest,
            },
            egui::epaint::text::InsertFontFamily {
                family: egui::FontFamily::Name(FAMILY.into()),
                priority: egui::epaint::text::FontPriority::Highest,
            },
        ],
    ));
}

/// A button with `icon` before `word`, known by `word` alone.
pub fn button(ui: &mut egui::Ui, enabled: bool, icon: &str, word: &str) -> egui::Response {
    shown(ui, enabled, icon, word, true)
}

/// A button showing `icon`, and `word` after it when `with_word`; known by `word` either way
/// (and its tooltip, which callers give, says it too).
pub fn shown(
    ui: &mut egui::Ui,
    enabled: bool,
    icon: &str,
    word: &str,
    with_word: bool,
) -> egui::Response {
    let resp = ui.add_enabled(enabled, egui::Button::new(text(icon, word, with_word)));
    named(ui, &resp, word);
    resp
}

/// A selectable button with `icon` before `word` (when `with_word`), known by `word` alone.
pub fn selectable(
    ui: &mut egui::Ui,
    selected: bool,
    icon: &str,
    word: &str,
    with_word: bool,
) -> egui::Response {
    let resp = ui.selectable_label(selected, text(icon, word, with_word));
    named(ui, &resp, word);
    resp
}

/// What a button shows: its icon, and its word after it when `with_word`.
fn text(icon: &str, word: &str, with_word: bool) -> String {
    if with_word {
        format!("{icon} {word}")
    } else {
        icon.to_string()
    }
}

/// Gives `resp` the name a screen reader and a test know it by: the word, as an icon's
/// private-use character means nothing spoken.
pub fn named(ui: &egui::Ui, resp: &egui::Response, word: &str) {
    let word = word.to_string();
    ui.ctx()
        .accesskit_node_builder(resp.id, move |n| n.set_label(word));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_font_has_every_icon_named_here() {
        let ctx = egui::Context::default();
        install(&ctx);
        ctx.run_ui(egui::RawInput::default(), |_| {})
            .textures_delta
            .clear();
        let font = egui::FontId::new(14.0, egui::FontFamily::Name(FAMILY.into()));
        let text = egui::FontId::proportional(14.0);
        for icon in ALL {
            assert!(ctx.fonts_mut(|f| f.has_glyphs(&font, icon)), "{icon:?}");
            assert!(
                ctx.fonts_mut(|f| f.has_glyphs(&text, icon)),
                "{icon:?} in labels"
            );
        }
        // The font holds these and no letters.
        assert!(!ctx.fonts_mut(|f| f.has_glyph(&font, 'a')));
        assert!(FONT.len() < 16 * 1024, "a subset: {} bytes", FONT.len());
    }

    #[test]
    fn a_button_is_known_by_its_word() {
        let mut h = egui_kittest::Harness::new_ui(|ui| {
            install(ui.ctx());
            button(ui, true, POWER, "Boot");
        });
        h.run();
        use egui_kittest::kittest::Queryable;
        assert!(h.query_by_label("Boot").is_some());
    }
}
