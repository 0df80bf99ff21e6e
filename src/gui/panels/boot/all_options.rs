//! "All scsynth options": every option the essentials leave out, grouped as the option
//! table groups them, and a search by flag or name across all of them.

use egui::RichText;
use scpanel_core::options::{OPTIONS, OptionDef, OptionGroup};

use super::{BootPanel, ESSENTIALS};
use crate::gui::session::Session;

/// Whether `def` answers the search `query`: its flag (`-z`, `z`), its label, its key or its
/// CLI name (`block-size`), case aside. An empty query matches everything.
pub(crate) fn matches(def: &OptionDef, query: &str) -> bool {
    let raw = query.trim();
    if raw.is_empty() {
        return true;
    }
    let bare = raw.strip_prefix('-').unwrap_or(raw);
    // Flags are case-sensitive (-z is the block size, -Z the hardware buffer); the protocol
    // and the port are -u and -t together.
    let by_flag = match def.key {
        "protocol" | "port" => bare == "u" || bare == "t",
        _ => !def.flag.is_empty() && def.flag.trim_start_matches('-') == bare,
    };
    // A dash or a lone letter asks for a flag, not every name with that letter in it.
    if raw.starts_with('-') || bare.chars().count() == 1 {
        return by_flag;
    }
    let q = raw.to_lowercase();
    by_flag
        || def.label.to_lowercase().contains(&q)
        || def.key.contains(&q.replace(['-', ' '], "_"))
}

/// Whether the boot panel shows `def` at all here: options of another platform are left out.
pub(crate) fn shown_here(def: &OptionDef) -> bool {
    !def.macos_only || cfg!(target_os = "macos")
}

impl BootPanel {
    /// The folded section; open, every group with its options, or only those the search
    /// finds (every group with a match open, a word when nothing matches).
    pub(super) fn all_options(&mut self, ui: &mut egui::Ui, session: &Session) {
        egui::CollapsingHeader::new("All scsynth options")
            .id_salt("all-options")
            .default_open(false)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let label = ui.label("Search");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.search)
                            .id(egui::Id::unique("boot options search"))
                            .hint_text("flag or name: -z, memory")
                            .desired_width(160.0),
                    )
                    .labelled_by(label.id);
                    if !self.search.is_empty() && ui.small_button("Clear").clicked() {
                        self.search.clear();
                    }
                });
                let query = self.search.clone();
                let searching = !query.trim().is_empty();
                let mut found = 0;
                for group in OptionGroup::ALL {
                    let defs: Vec<&'static OptionDef> = OPTIONS
                        .iter()
                        .filter(|d| d.group == group && shown_here(d))
                        .filter(|d| !ESSENTIALS.contains(&d.key))
                        .filter(|d| !searching || matches(d, &query))
                        .collect();
                    if defs.is_empty() {
                        continue;
                    }
                    found += defs.len();
                    // A search opens what it found; the ids differ so the groups' own
                    // open state comes back when the search is cleared.
                    let header = egui::CollapsingHeader::new(group.label());
                    let header = if searching {
                        header
                            .id_salt(("options-found", group.label()))
                            .open(Some(true))
                    } else {
                        header.id_salt(("options-group", group.label()))
                    };
                    header.show(ui, |ui| {
                        egui::Grid::new(("boot-grid", group.label(), searching))
                            .num_columns(2)
                            .spacing([8.0, 4.0])
                            .show(ui, |ui| {
                                for def in defs {
                                    self.field(ui, def, session);
                                }
                            });
                    });
                }
                // The essentials are above, shown already: the search says so.
                let above: Vec<&str> = OPTIONS
                    .iter()
                    .filter(|d| ESSENTIALS.contains(&d.key) && searching && matches(d, &query))
                    .map(|d| d.label)
                    .collect();
                if !above.is_empty() {
                    ui.weak(format!("Above, among the essentials: {}", above.join(", ")));
                } else if searching && found == 0 {
                    ui.weak(format!(
                        "No option matches \u{201C}{}\u{201D}.",
                        query.trim()
                    ));
                }
                ui.add_space(crate::gui::theme::space::SMALL);
                ui.label(RichText::new("Command line").strong());
                let mut preview = self.command_line();
                ui.add(
                    egui::TextEdit::multiline(&mut preview)
                        .code_editor()
                        .desired_rows(2)
                        .desired_width(f32::INFINITY)
                        .interactive(false),
                )
                .on_hover_text("Exactly what will be run");
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(key: &str) -> &'static OptionDef {
        scpanel_core::Options::def(key).expect("in the table")
    }

    #[test]
    fn an_option_is_found_by_its_flag_its_name_or_its_cli_name() {
        assert!(matches(def("block_size"), "-z"));
        assert!(matches(def("block_size"), "z"));
        assert!(
            !matches(def("hardware_buffer_size"), "-z"),
            "-Z is another flag"
        );
        assert!(matches(def("hardware_buffer_size"), "-Z"));
        assert!(matches(def("memory_kib"), "memory"));
        assert!(matches(def("memory_kib"), "Real-time"));
        assert!(matches(def("max_logins"), "max-logins"));
        assert!(matches(def("protocol"), "-t"));
        assert!(!matches(def("max_nodes"), "memory"));
    }

    #[test]
    fn options_of_another_platform_are_not_shown_here() {
        let streams = def("input_streams");
        assert!(streams.macos_only);
        assert_eq!(shown_here(streams), cfg!(target_os = "macos"));
        assert!(shown_here(def("block_size")));
    }
}
