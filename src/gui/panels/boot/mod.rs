//! Boot options, drawn entirely from the core's option table: first what a musician chooses
//! (where the sound goes, channels, rate, block, port, presets), the rest under "All scsynth
//! options", grouped and searchable; each with its help as a tooltip, checked as you type,
//! with the exact command line. Once a server is online it folds to one line.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::gui::theme::{Tone, tone};

mod all_options;
mod audio_setup;
mod folded;
mod presets;

pub use audio_setup::AudioSetup;

use crate::gui::actions::{Action, ActionQueue, Pick};
use crate::gui::profiles;
use crate::gui::session::Session;
use scpanel_core::audio::pipewire::PipeWire;
use scpanel_core::options::{Kind, OPEN_NETWORK_RISK, OPTIONS, Options, TCP_PASSWORD_RISK, Value};

pub struct BootPanel {
    /// The options as last parsed from the fields (only valid fields are applied).
    pub options: Options,
    /// Each field's text, as typed.
    texts: HashMap<&'static str, String>,
    /// Per-field parse errors.
    field_errors: HashMap<&'static str, String>,
    pub executable_text: String,
    profile_name: String,
    profiles: Vec<String>,
    /// What the last preset applied is for, shown until other options are loaded.
    preset_note: Option<&'static str>,
    /// The 0.0.0.0 question is open (see [`BootPanel::ask_about_network`]).
    asking_network: bool,
    /// A preset (by its place in `PRESETS`; `None` inside for the defaults) waiting for Apply.
    pub preset_preview: Option<Option<usize>>,
    /// The rate the running JACK server has (scsynth runs at it whatever `-S` says).
    pub jack_rate: Option<u32>,
    jack_rate_checked: Option<std::time::Instant>,
    /// Which JACK to boot on, or to start: sound cards, PipeWire, JACK's state.
    pub audio: AudioSetup,
    /// The last boot's sample-rate mismatch, explained.
    pub rate_mismatch: Option<String>,
    /// The server program found for the path asked about (`None` inside: found
    /// automatically). Looked for on the runtime: the search reads the file system, and the
    /// status bar's Boot button wants the answer every frame.
    found: Option<(Option<PathBuf>, Result<PathBuf, String>)>,
    /// What was last asked for, and when.
    find_asked: Option<(Option<PathBuf>, std::time::Instant)>,
    /// The words typed in "All scsynth options"' search.
    search: String,
    /// Opened with "Edit…" while a server is online (it otherwise shows folded).
    editing: bool,
    /// The online server's program and version (for the folded line), by session.
    version: Option<(crate::gui::actions::SessionId, String)>,
    version_asked: Option<crate::gui::actions::SessionId>,
}

/// The options shown first, in this order; the others are under "All scsynth options".
/// On Linux the sound card is JACK's device, chosen in the audio setup above them; scsynth's
/// own `-H` there names a JACK server and client, which few need.
pub(crate) const ESSENTIALS: &[&str] = if cfg!(target_os = "linux") {
    &[
        "input_channels",
        "output_channels",
        "sample_rate",
        "block_size",
        "port",
    ]
} else {
    &[
        "device",
        "input_channels",
        "output_channels",
        "sample_rate",
        "block_size",
        "port",
    ]
};

/// How often the server program is looked for again: one installed or removed while the
/// window is open shows within this.
const FIND_AGAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// The warning for a `-S` JACK will not honour, if it differs from JACK's rate.
pub(crate) fn sample_rate_warning(asked: u32, jack: Option<u32>) -> Option<String> {
    let jack = jack?;
    (asked != 0 && asked != jack).then(|| {
        format!(
            "JACK runs at {jack} Hz: scsynth ignores -S {asked} under JACK and will run at \
             {jack} Hz. Restart JACK at {asked} Hz, or set 0 to follow JACK."
        )
    })
}

impl BootPanel {
    pub fn new(options: Options) -> Self {
        let mut p = BootPanel {
            executable_text: options
                .executable
                .as_ref()
                .map(|e| e.display().to_string())
                .unwrap_or_default(),
            options,
            texts: HashMap::new(),
            field_errors: HashMap::new(),
            profile_name: String::new(),
            profiles: profiles::list(),
            preset_note: None,
            asking_network: false,
            preset_preview: None,
            jack_rate: None,
            jack_rate_checked: None,
            audio: AudioSetup::default(),
            rate_mismatch: None,
            found: None,
            find_asked: None,
            search: String::new(),
            editing: false,
            version: None,
            version_asked: None,
        };
        p.reload_texts();
        p
    }

    fn reload_texts(&mut self) {
        self.texts = OPTIONS
            .iter()
            .map(|d| (d.key, (d.get)(&self.options).to_string()))
            .collect();
        self.field_errors.clear();
        self.executable_text = self
            .options
            .executable
            .as_ref()
            .map(|e| e.display().to_string())
            .unwrap_or_default();
    }

    pub fn set_options(&mut self, options: Options) {
        self.options = options;
        self.preset_note = None;
        self.reload_texts();
    }

    /// Before booting on every interface without a password, asks once whether that is meant;
    /// the answer is kept in the options (and so in `last.toml` and profiles). True while the
    /// question is open: boot waits for [`BootPanel::network_question`].
    pub fn ask_about_network(&mut self) -> bool {
        self.asking_network = self.options.open_to_anyone() && !self.options.open_network_accepted;
        self.asking_network
    }

    /// Draws the 0.0.0.0 question while it is open; true in the frame the user agrees.
    pub fn network_question(&mut self, ctx: &egui::Context) -> bool {
        if !self.asking_network {
            return false;
        }
        let mut agreed = false;
        let mut cancel = false;
        let modal = egui::Modal::new(egui::Id::unique("open-network-question")).show(ctx, |ui| {
            ui.heading("Boot on every network?");
            ui.label(format!("{}.", capitalised(OPEN_NETWORK_RISK)));
            ui.label(
                "Do this only on a network you trust, such as a classroom's. \
                 You are asked once: the answer is kept with these options.",
            );
            ui.horizontal(|ui| {
                agreed = ui.button("Boot on every network").clicked();
                cancel = ui.button("Cancel").clicked();
            });
        });
        if agreed {
            self.options.open_network_accepted = true;
        }
        // Escape or a click beside the question is a "no", as Cancel.
        if agreed || cancel || modal.should_close() {
            self.asking_network = false;
        }
        agreed
    }

    /// Why Boot is not possible, if it isn't.
    pub fn blocker(&self) -> Option<String> {
        if let Some((key, e)) = self.field_errors.iter().next() {
            let label = Options::def(key).map_or(*key, |d| d.label);
            return Some(format!("{label}: {e}"));
        }
        if let Some(p) = self.options.problems().into_iter().next() {
            return Some(p.message);
        }
        if let Some(Err(e)) = self.found_executable() {
            return Some(e.clone());
        }
        None
    }

    /// The server program the boot would run, once looked for; `None` while the search
    /// for the path now in the field is under way (a boot then finds out for itself).
    pub fn found_executable(&self) -> Option<&Result<PathBuf, String>> {
        self.found
            .as_ref()
            .filter(|(asked, _)| *asked == self.options.executable)
            .map(|(_, found)| found)
    }

    /// Asks where the server program is when the path changed, and again every
    /// [`FIND_AGAIN`].
    pub fn find_executable(&mut self, actions: &mut ActionQueue) {
        let asked = &self.options.executable;
        if self
            .find_asked
            .as_ref()
            .is_some_and(|(a, t)| a == asked && t.elapsed() < FIND_AGAIN)
        {
            return;
        }
        self.find_asked = Some((asked.clone(), std::time::Instant::now()));
        actions.push(Action::FindExecutable(asked.clone()));
    }

    /// The answer to [`Self::find_executable`]. One for a path the field no longer holds
    /// (typed over while it was looked for) is dropped, not shown over a newer one.
    pub fn executable_found(&mut self, asked: Option<PathBuf>, found: Result<PathBuf, String>) {
        if asked == self.options.executable {
            self.found = Some((asked, found));
        }
    }

    /// What the user should know before booting, though it does not stop the boot.
    pub fn warning(&self) -> Option<String> {
        sample_rate_warning(self.options.sample_rate, self.jack_rate)
    }

    /// Asks JACK for its rate now and then (every few seconds while the panel is drawn).
    fn check_jack_rate(&mut self, actions: &mut ActionQueue) {
        if self
            .jack_rate_checked
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(5))
        {
            return;
        }
        self.jack_rate_checked = Some(std::time::Instant::now());
        actions.push(Action::CheckJackRate);
    }

    fn problem_for(&self, key: &str) -> Option<String> {
        self.field_errors.get(key).cloned().or_else(|| {
            self.options
                .problems()
                .into_iter()
                .find(|p| p.key == key)
                .map(|p| p.message)
        })
    }

    /// The server program chosen in the Browse… dialog.
    pub fn picked(&mut self, path: PathBuf) {
        self.executable_text = path.display().to_string();
        self.options.executable = Some(path);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &Session, actions: &mut ActionQueue) {
        let online = session.server.state().is_online();
        if !online {
            // A reboot (or a crash) opens the panel again, on the options it will boot with.
            self.editing = false;
        }
        if online && !self.editing {
            self.folded(ui, session, actions);
            return;
        }
        // JACK's rate: what a rate of 0 will be, or what a rate asked for will not. Folded,
        // nothing shows it, and no `jack_samplerate` is run for it.
        if self.options.sample_rate != 0
            || matches!(
                self.audio.jack_status,
                Some(scpanel_core::audio::jack::JackStatus::Running { .. })
            )
        {
            self.check_jack_rate(actions);
        }
        if online {
            ui.horizontal_wrapped(|ui| {
                ui.weak("The running server keeps its options until it boots again.");
                if ui.small_button("Fold").clicked() {
                    self.editing = false;
                }
            });
        }
        self.presets_and_profiles(ui, session);
        ui.separator();
        self.audio.ui(ui, actions);
        ui.add_space(crate::gui::theme::space::SMALL);
        // Its own id too (see `field`): the audio setup above grows and shrinks.
        ui.scope_builder(
            egui::UiBuilder::new().scope_id(egui::Id::unique("boot essentials")),
            |ui| {
                egui::Grid::new("boot-essentials")
                    .num_columns(2)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        for key in ESSENTIALS.iter().copied() {
                            if let Some(def) =
                                Options::def(key).filter(|d| all_options::shown_here(d))
                            {
                                self.field(ui, def, session);
                            }
                        }
                    });
            },
        );
        ui.checkbox(
            &mut self.options.connect_jack_ports,
            "Connect to the system's speakers and inputs (JACK)",
        )
        .on_hover_text(
            "At boot, scsynth's outputs go to the system's playback ports and its \
             inputs come from the capture ports, as sclang does \
             (SC_JACK_DEFAULT_OUTPUTS / SC_JACK_DEFAULT_INPUTS). The log says \
             what was connected.",
        );
        ui.separator();
        self.executable(ui, actions);
        self.all_options(ui, session);
    }

    /// The command line the boot would run.
    fn command_line(&self) -> String {
        let program = self.executable_text.clone();
        let program = if program.is_empty() {
            match self.found_executable() {
                Some(Ok(p)) => p.display().to_string(),
                _ => "scsynth".into(),
            }
        } else {
            program
        };
        self.options.command_line(&program)
    }

    fn field(
        &mut self,
        ui: &mut egui::Ui,
        def: &'static scpanel_core::options::OptionDef,
        session: &Session,
    ) {
        let label = ui.label(def.label).on_hover_text(def.help);
        let supernova_only = def.supernova_only && !self.options.is_supernova();
        ui.horizontal(|ui| {
            ui.add_enabled_ui(!supernova_only, |ui| match def.kind {
                Kind::Bool => {
                    let mut on = matches!((def.get)(&self.options), Value::Bool(true));
                    if ui
                        .checkbox(&mut on, "")
                        .labelled_by(label.id)
                        .on_hover_text(def.help)
                        .changed()
                    {
                        let _ = (def.set)(&mut self.options, Value::Bool(on));
                        self.texts.insert(def.key, Value::Bool(on).to_string());
                    }
                }
                Kind::Protocol => {
                    let mut current = self.options.protocol;
                    let before = current;
                    egui::ComboBox::from_id_salt(def.key)
                        .selected_text(current.as_str().to_uppercase())
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut current, scpanel_core::Protocol::Udp, "UDP");
                            ui.selectable_value(&mut current, scpanel_core::Protocol::Tcp, "TCP");
                        })
                        .response
                        .labelled_by(label.id)
                        .on_hover_text(def.help);
                    if current != before {
                        self.options.protocol = current;
                        self.texts.insert(def.key, current.as_str().into());
                    }
                }
                Kind::Int { .. } | Kind::Text => {
                    let text = self.texts.entry(def.key).or_default();
                    let width = if matches!(def.kind, Kind::Int { .. }) {
                        90.0
                    } else {
                        180.0
                    };
                    // An id of its own, not one counted from the widgets above: those come and
                    // go (JACK's state, a warning), and a field whose id moved loses the
                    // keyboard in the middle of typing.
                    let edit = egui::TextEdit::singleline(text)
                        .id(egui::Id::unique(("boot option", def.key)))
                        .desired_width(width)
                        .password(def.secret);
                    let resp = ui.add(edit).labelled_by(label.id).on_hover_text(def.help);
                    if resp.changed() {
                        let text = text.clone();
                        match def
                            .parse(&text)
                            .and_then(|v| (def.set)(&mut self.options, v))
                        {
                            Ok(()) => {
                                self.field_errors.remove(def.key);
                            }
                            Err(e) => {
                                self.field_errors.insert(def.key, e);
                            }
                        }
                    }
                    let unset = match (def.get)(&self.options) {
                        Value::Int(0) => true,
                        Value::Text(t) => t.is_empty(),
                        _ => false,
                    };
                    if unset && let Some(means) = def.unset_means() {
                        // Zero is no fault: say what it stands for, with JACK's own rate
                        // when JACK is asked.
                        match self.jack_rate.filter(|_| def.key == "sample_rate") {
                            Some(rate) => ui.weak(format!("from JACK: {rate} Hz")),
                            None => ui.weak(means),
                        };
                    }
                    if def.key == "port" && ui.button("Find a free port").clicked() {
                        match scpanel_core::machine::find_free_port() {
                            Some(p) => {
                                self.options.port = p;
                                self.texts.insert("port", p.to_string());
                                self.field_errors.remove("port");
                            }
                            None => {
                                session.notice("No free port", "Could not find a free port", true)
                            }
                        }
                    }
                }
            });
        });
        ui.end_row();
        if let Some(problem) = self.problem_for(def.key) {
            ui.label("");
            ui.colored_label(tone(ui, Tone::Error), problem);
            ui.end_row();
        }
        if def.key == "bind_address" && self.options.open_to_anyone() {
            ui.label("");
            ui.colored_label(tone(ui, Tone::Warning), capitalised(OPEN_NETWORK_RISK));
            ui.end_row();
        }
        if def.key == "password" {
            ui.label("");
            ui.checkbox(&mut self.options.remember_password, "Remember password")
                .on_hover_text(
                    "Keep the password in the saved options (a file only you can read). \
                     Off: it is left out, and typed again after a restart.",
                );
            ui.end_row();
            if self.options.protocol == scpanel_core::Protocol::Tcp
                && !self.options.password.is_empty()
            {
                ui.label("");
                ui.colored_label(tone(ui, Tone::Warning), capitalised(TCP_PASSWORD_RISK));
                ui.end_row();
            }
        }
        if def.key == "sample_rate"
            && let Some(w) = self.warning()
        {
            ui.label("");
            ui.colored_label(tone(ui, Tone::Warning), w);
            ui.end_row();
        }
        if def.key == "sample_rate"
            && let Some(why) = &self.rate_mismatch
        {
            ui.label("");
            ui.colored_label(tone(ui, Tone::Warning), format!("Last boot: {why}"));
            ui.end_row();
            // Under PipeWire no jackd is started: its JACK takes the rate PipeWire is set to.
            if self
                .audio
                .pipewire
                .as_ref()
                .is_some_and(PipeWire::provides_jack)
                && self.options.sample_rate != 0
            {
                ui.label("");
                ui.weak(format!(
                    "With PipeWire, set its rate instead: pw-metadata -n settings 0 \
                     clock.force-rate {}",
                    self.options.sample_rate
                ));
                ui.end_row();
            }
        }
        if supernova_only {
            ui.label("");
            ui.weak("(supernova only)");
            ui.end_row();
        }
    }

    fn executable(&mut self, ui: &mut egui::Ui, actions: &mut ActionQueue) {
        self.find_executable(actions);
        let label = ui.label("Server program");
        ui.horizontal(|ui| {
            // The field takes what the Browse button leaves: the row fits a narrow panel.
            let browse = ui.spacing().interact_size.x * 2.0 + ui.spacing().item_spacing.x;
            let resp = ui
                .add(
                    egui::TextEdit::singleline(&mut self.executable_text)
                        .id(egui::Id::unique("boot option executable"))
                        .hint_text("found automatically")
                        .desired_width((ui.available_width() - browse).max(80.0)),
                )
                .labelled_by(label.id)
                .on_hover_text(
                    "scsynth or supernova; empty finds one ($SCPANEL_SCSYNTH, PATH, usual places)",
                );
            if resp.changed() {
                let t = self.executable_text.trim();
                self.options.executable = (!t.is_empty()).then(|| PathBuf::from(t));
            }
            if ui.button("Browse…").clicked() {
                actions.push(Action::PickFile(Pick::Executable));
            }
        });
        match self.found_executable() {
            None => {
                ui.weak("Looking for the server program…");
            }
            Some(Ok(p)) => {
                let kind = if p.to_string_lossy().contains("supernova") {
                    "supernova"
                } else {
                    "scsynth"
                };
                ui.weak(format!("Using {} ({kind})", p.display()));
            }
            Some(Err(e)) => {
                ui.colored_label(tone(ui, Tone::Error), e.as_str());
            }
        }
    }
}

fn capitalised(sentence: &str) -> String {
    let mut chars = sentence.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;
    use scpanel_core::audio::alsa;
    use scpanel_core::audio::alsa::Card;
    use scpanel_core::audio::jack::{JackDevice, JackSettings, JackStatus};
    use scpanel_core::audio::pipewire::PROVIDES_JACK;

    /// A laptop's cards as the kernel lists them: speakers and HDMI on one, a USB interface.
    fn laptop_cards() -> Vec<Card> {
        alsa::join(
            alsa::parse_cards(
                " 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 32
 1 [USB            ]: USB-Audio - Scarlett 2i2 USB
                      Focusrite Scarlett 2i2 USB at usb-0000:00:14.0-2, high speed
",
            ),
            alsa::parse_pcm(
                "00-00: ALC3232 Analog : ALC3232 Analog : playback 1 : capture 1
00-03: HDMI 0 : HDMI 0 : playback 1
01-00: USB Audio : USB Audio : playback 1 : capture 1
",
            ),
        )
    }

    /// Whether a text is shown (a static label's text is its accessible value).
    fn shows(h: &Harness<'_>, text: &str) -> bool {
        // A label and its text run both carry it.
        h.query_all(egui_kittest::kittest::By::new().predicate(|n| {
            n.value().is_some_and(|v| v.contains(text))
                || n.label().is_some_and(|l| l.contains(text))
        }))
        .next()
        .is_some()
    }

    fn pick(h: &mut Harness<'_>, combo: &str, item: &str) {
        h.get_by_label(combo).click();
        h.run();
        h.get_by_label(item).click();
        h.run();
    }

    #[test]
    fn jack_starts_on_the_device_rate_and_period_picked() {
        let mut audio = AudioSetup::default();
        audio.found(Ok(laptop_cards()), PipeWire::default());
        audio.jack_status = Some(JackStatus::NotRunning);
        let mut actions = ActionQueue::default();
        let mut h = Harness::new_ui(|ui| audio.ui(ui, &mut actions));
        h.run();
        h.get_by_label("Device").click();
        h.run();
        for item in [
            "dummy (no sound card)",
            "hw:0: HDA Intel PCH",
            "hw:0,0: ALC3232 Analog",
            "hw:0,3: HDMI 0 (playback only)",
            "hw:1: Scarlett 2i2 USB",
        ] {
            assert!(h.query_by_label(item).is_some(), "{item} is offered");
        }
        h.get_by_label("hw:0,3: HDMI 0 (playback only)").click();
        h.run();
        pick(&mut h, "Rate", "44100 Hz");
        pick(&mut h, "Period", "128 frames");
        pick(&mut h, "Periods per buffer", "3");
        h.get_by_label("Start JACK").click();
        h.run();
        drop(h);
        let started: Vec<Action> = actions
            .take()
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| matches!(a, Action::StartJack(_)))
            .collect();
        let expected = JackSettings {
            device: JackDevice::Alsa {
                hw: Some("hw:0,3".into()),
                playback: true,
                capture: false,
            },
            rate: 44_100,
            period: 128,
            periods: 3,
        };
        assert_eq!(started, vec![Action::StartJack(expected)]);
    }

    #[test]
    fn no_sound_card_leaves_the_dummy_driver_and_says_why() {
        let mut audio = AudioSetup::default();
        audio.found(Ok(Vec::new()), PipeWire::default());
        audio.jack_status = Some(JackStatus::NotRunning);
        let mut actions = ActionQueue::default();
        let mut h = Harness::new_ui(|ui| audio.ui(ui, &mut actions));
        h.run();
        assert!(shows(&h, "No sound card found"));
        h.get_by_label("Device").click();
        h.run();
        assert!(h.query_by_label("dummy (no sound card)").is_some());
        assert!(h.query_by_label_contains("hw:").is_none());
    }

    /// PipeWire runs, JACK programs load JACK's libjack (Debian's desktop): no sound card is
    /// offered (PipeWire holds them), the dummy is, and the way to PipeWire's JACK is said.
    #[test]
    fn a_pipewire_daemon_without_its_jack_leaves_only_the_dummy() {
        let mut audio = AudioSetup::default();
        let pipewire = PipeWire {
            daemon: Some("/run/user/1000/pipewire-0".into()),
            ..PipeWire::default()
        };
        audio.found(Ok(laptop_cards()), pipewire);
        audio.jack_status = Some(JackStatus::NotRunning);
        let mut actions = ActionQueue::default();
        let mut h = Harness::new_ui(|ui| audio.ui(ui, &mut actions));
        h.run();
        assert!(shows(
            &h,
            "PipeWire runs here, but JACK programs don't reach it"
        ));
        assert!(!shows(&h, PROVIDES_JACK));
        h.get_by_label("Device").click();
        h.run();
        assert!(h.query_by_label("dummy (no sound card)").is_some());
        assert!(h.query_by_label_contains("hw:").is_none());
        assert!(h.query_by_label("Start JACK").is_some());
    }

    #[test]
    fn pipewires_jack_is_named_and_no_jackd_is_offered() {
        let mut audio = AudioSetup::default();
        let pipewire = PipeWire {
            library: Some("/usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjack.so.0".into()),
            daemon: Some("/run/user/1000/pipewire-0".into()),
            ..PipeWire::default()
        };
        audio.found(Ok(laptop_cards()), pipewire);
        audio.jack_status = Some(JackStatus::Running { playback_ports: 2 });
        let mut actions = ActionQueue::default();
        let mut h = Harness::new_ui(|ui| audio.ui(ui, &mut actions));
        h.run();
        assert!(shows(&h, PROVIDES_JACK));
        assert!(h.query_by_label("Start JACK").is_none());
        assert!(h.query_by_label("Device").is_none());
    }

    /// The last boot's mismatch stays beside the rate field; under PipeWire, with the command
    /// that sets PipeWire's rate (checked by hand against PipeWire 0.3.65: after it
    /// `jack_samplerate` and scsynth's `SC_AudioDriver` line both say 44100).
    #[test]
    fn the_last_boots_mismatch_is_shown_with_pipewires_own_fix() {
        let bridge = crate::gui::bridge::Bridge::new().unwrap();
        let session = Session::new(&bridge, 0);
        let options = Options {
            sample_rate: 44_100,
            ..Options::default()
        };
        let mut panel = BootPanel::new(options);
        let why = "You asked for 44100 Hz; JACK runs at 48000 Hz and scsynth follows it.";
        panel.rate_mismatch = Some(why.into());
        let mut actions = ActionQueue::default();
        {
            let mut h = Harness::new_ui(|ui| panel.ui(ui, &session, &mut actions));
            h.run();
            assert!(shows(&h, &format!("Last boot: {why}")));
            assert!(!shows(&h, "pw-metadata"));
        }
        panel.audio.found(
            Ok(Vec::new()),
            PipeWire {
                config: Some("/etc/ld.so.conf.d/pipewire-jack-x86_64.conf".into()),
                ..PipeWire::default()
            },
        );
        let mut h = Harness::new_ui(|ui| panel.ui(ui, &session, &mut actions));
        h.run();
        assert!(shows(
            &h,
            "pw-metadata -n settings 0 clock.force-rate 44100"
        ));
    }

    /// An offline panel opens on the essentials; "All scsynth options" holds the rest, folded,
    /// and its search finds an option by flag or name; macOS's streams are not offered here.
    #[test]
    fn the_panel_opens_on_the_essentials_and_finds_the_rest_by_flag_or_name() {
        let bridge = crate::gui::bridge::Bridge::new().unwrap();
        let session = Session::new(&bridge, 0);
        let mut panel = BootPanel::new(Options::default());
        let mut actions = ActionQueue::default();
        let mut h = Harness::new_ui(|ui| panel.ui(ui, &session, &mut actions));
        h.run();
        for shown in [
            "Input channels",
            "Output channels",
            "Sample rate",
            "Block size",
            "Port",
        ] {
            assert!(h.query_by_label(shown).is_some(), "{shown} is shown first");
        }
        for folded in [
            "Max nodes",
            "Real-time memory (KiB)",
            "Verbosity",
            "Protocol",
        ] {
            assert!(
                h.query_by_label(folded).is_none(),
                "{folded} waits under All"
            );
        }
        // Zero is not a fault: it says what it means.
        assert!(shows(&h, "the driver's rate"));
        h.get_by_label("All scsynth options").click();
        h.run();
        assert!(h.query_by_label("Search").is_some());
        h.get_by_label("Search").click();
        h.run();
        h.get_by_label("Search").type_text("-m");
        h.run();
        assert!(h.query_by_label("Real-time memory (KiB)").is_some());
        assert!(h.query_by_label("Max nodes").is_none());
        h.get_by_label("Search").focus();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_label("Search").type_text("streams");
        h.run();
        assert!(shows(&h, "No option matches"));
        assert!(
            !shows(&h, "Input streams"),
            "a macOS option is not offered on Linux"
        );
        drop(h);
        assert_eq!(ESSENTIALS.contains(&"device"), !cfg!(target_os = "linux"));
    }

    #[test]
    fn jack_is_asked_every_few_seconds_and_the_cards_once() {
        let mut audio = AudioSetup::default();
        let mut actions = ActionQueue::default();
        let mut h = Harness::new_ui(|ui| audio.ui(ui, &mut actions));
        h.run();
        h.run();
        drop(h);
        let asked: Vec<Action> = actions.take().into_iter().map(|(_, a)| a).collect();
        assert_eq!(asked, vec![Action::CheckAudioDevices, Action::CheckJack]);
    }

    #[test]
    fn the_program_is_asked_for_once_per_path_and_a_stale_answer_is_dropped() {
        let mut panel = BootPanel::new(Options {
            executable: Some("/opt/b/scsynth".into()),
            ..Options::default()
        });
        let mut actions = ActionQueue::default();
        panel.find_executable(&mut actions);
        panel.find_executable(&mut actions);
        let asked: Vec<Action> = actions.take().into_iter().map(|(_, a)| a).collect();
        assert_eq!(
            asked,
            vec![Action::FindExecutable(Some("/opt/b/scsynth".into()))]
        );
        assert!(panel.found_executable().is_none() && panel.blocker().is_none());
        // The answer for a path typed over comes last: the current path's stays.
        panel.executable_found(Some("/opt/b/scsynth".into()), Ok("/opt/b/scsynth".into()));
        panel.executable_found(Some("/opt/a".into()), Err("cannot run /opt/a".into()));
        assert_eq!(
            panel.found_executable(),
            Some(&Ok(PathBuf::from("/opt/b/scsynth")))
        );
        assert!(panel.blocker().is_none());
        panel.executable_found(Some("/opt/b/scsynth".into()), Err("gone".into()));
        assert_eq!(panel.blocker().as_deref(), Some("gone"));
    }
}
