//! The window: status bar on top, boot / connect on the left, the live views in tabs.
//! [`ScPanel`] holds the sessions, the panels and the window's own state; its work is split
//! by what it touches: `sessions` (adding, removing and picking servers, the roster),
//! `outcomes` (running actions, taking in their results), `lifecycle` (boot, quit and its
//! dialogs, signals, shutdown), `toasts` (notices and offers) and `frame` (one frame of the
//! window, and [`eframe::App`]).

use std::sync::{Arc, Mutex};

use crate::gui::actions::{ActionQueue, SessionId};
use crate::gui::bridge::Bridge;
use crate::gui::panels::boot::BootPanel;
use crate::gui::panels::buffers::BuffersPanel;
use crate::gui::panels::connect::ConnectPanel;
use crate::gui::panels::console::Console;
use crate::gui::panels::log::LogPanel;
use crate::gui::panels::mixer::MixerPanel;
use crate::gui::panels::plots::Plots;
use crate::gui::panels::wall::Wall;
use crate::gui::session::Session;
use crate::signals::Termination;
use scpanel_core::Options;
use scpanel_core::audio::jack::JackServer;

mod doctor;
pub mod flight;
mod frame;
mod lifecycle;
mod marks;
mod outcomes;
mod sessions;
mod shows;
mod toasts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Servers,
    Tree,
    Plots,
    Levels,
    Scope,
    Spectrum,
    Buffers,
    Console,
    Log,
    Flow,
    Shows,
}

impl Tab {
    pub const ALL: [Tab; 11] = [
        Tab::Servers,
        Tab::Tree,
        Tab::Plots,
        Tab::Levels,
        Tab::Scope,
        Tab::Spectrum,
        Tab::Buffers,
        Tab::Console,
        Tab::Log,
        Tab::Flow,
        Tab::Shows,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Tab::Servers => "Servers",
            Tab::Tree => "Node tree",
            Tab::Plots => "CPU & sample rate",
            Tab::Levels => "Levels & record",
            Tab::Scope => "Scope",
            Tab::Spectrum => "Spectrum",
            Tab::Buffers => "Buffers & buses",
            Tab::Console => "OSC console",
            Tab::Log => "Server log",
            Tab::Flow => "Flow",
            Tab::Shows => "Shows",
        }
    }
}

/// What a confirmed quit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitKind {
    /// Ctrl+Q: quit the server, the window stays.
    Server,
    /// The window's close button: quit the server and close the window.
    Window,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Boot,
    Connect,
}

pub struct ScPanel {
    /// The runtime every session's work runs on.
    pub bridge: Bridge,
    /// One per server; panels draw the current one. Never empty.
    pub sessions: Vec<Session>,
    current: usize,
    next_session: SessionId,
    /// Every session's server, for a signal: it may come while the UI thread is busy, and
    /// must reach the sessions added after the handler was installed.
    servers: Arc<Mutex<Vec<scpanel_core::Server>>>,
    /// What the panels asked for this frame; run once the frame is drawn.
    pub actions: ActionQueue,
    /// A JACK server this app started (stopped when the app closes). It serves every
    /// session, so the app holds it.
    own_jack: Option<JackServer>,
    pub join: crate::gui::panels::join_box::JoinBox,
    pub boot: BootPanel,
    pub connect: ConnectPanel,
    pub plots: Plots,
    pub buffers: BuffersPanel,
    pub console: Console,
    pub log: LogPanel,
    pub mixer: MixerPanel,
    /// The flight recorder: this run's show (`None` when there is no folder for shows).
    pub flight: Option<crate::flight::Flight>,
    /// What of a new server's traffic the show keeps (`--record-traffic`).
    pub traffic_default: crate::traffic::TrafficMode,
    /// Whether the show is being kept, as the frame last heard it.
    pub show_watch: flight::ShowWatch,
    /// "Why no sound?": the doctor's window and the status bar's badge.
    pub doctor: crate::gui::panels::doctor::DoctorPanel,
    /// The Shows tab: the recorded shows and one show's timeline.
    pub shows: crate::gui::panels::shows::ShowsTab,
    shows_errands: shows::ShowsErrands,
    /// Ctrl+M's mark, waiting for its name.
    pub pending_mark: Option<marks::PendingMark>,
    pub scope: crate::gui::panels::scope::ScopePanel,
    pub spectrum: crate::gui::panels::spectrum::SpectrumPanel,
    /// What the Scope and Spectrum tabs look at.
    pub scope_source: crate::gui::widgets::scope_source::ScopeSource,
    pub wall: Wall,
    /// The About box (Shift+F1, or "About" in the status bar).
    pub about: crate::gui::panels::about::About,
    pub tab: Tab,
    pub side: Side,
    confirm_stop: Option<scpanel_core::PortHolder>,
    /// The signal that asked the app to end, once the server has been quit for it.
    pub terminated: Arc<Mutex<Option<Termination>>>,
    /// The window's context, for a signal that arrives between frames.
    window: Arc<Mutex<Option<egui::Context>>>,
    /// Whether the boot / connect side panel is shown (F9 or the status bar's button).
    pub side_open: bool,
    /// A quit that waits for the user's yes, because it would stop sound or a recording.
    pub confirm_quit: Option<QuitKind>,
    /// "Don't ask again", ticked in the quit confirmation.
    pub quit_without_asking: bool,
    /// The dialog's "don't ask again" box, kept while the dialog is open.
    dont_ask_ticked: bool,
    /// The user said yes to closing the window: the next close request goes through.
    close_confirmed: bool,
    /// The window title last sent, so a title is sent only when it changes.
    title: String,
    /// `SCPANEL_FRAME_DEBUG` set: log every frame and its cause to stderr.
    frame_debug: bool,
    /// The Keyboard window (F1) is open.
    pub keys_open: bool,
    /// What a screen reader is told without asking.
    pub announcer: crate::gui::announce::Announcer,
    /// Zoom and high contrast, kept across starts.
    pub display: crate::gui::theme::Display,
    /// The display settings as last applied to the window (`None` before the first frame).
    display_applied: Option<crate::gui::theme::Display>,
    /// A zoom set last frame, which egui applies a frame later.
    zoom_pending: bool,
    /// Hands display settings to the task that saves them.
    display_saver: Option<tokio::sync::watch::Sender<crate::gui::theme::Display>>,
}

impl ScPanel {
    /// Keeps `mode` of every server's traffic from now on: the servers there are and those
    /// added later (`--record-traffic`).
    pub fn set_traffic_default(&mut self, mode: crate::traffic::TrafficMode) {
        self.traffic_default = mode;
        for s in &self.sessions {
            s.traffic.set(mode);
        }
    }

    /// The pid of the JACK server this app started and stops when it quits, if any.
    pub fn own_jack_pid(&self) -> Option<u32> {
        self.own_jack.as_ref().map(JackServer::pid)
    }

    pub fn new(options: Options) -> Result<ScPanel, String> {
        let bridge = Bridge::new()?;
        let first = Session::new(&bridge, 0);
        // This run's show; its old shows past the retention are dropped on the runtime.
        let flight = crate::flight::Flight::start(None);
        // Whether the show is kept is said by the first frame (and at every change after).
        let show_watch = match &flight {
            Some(f) => {
                let pruner = f.clone();
                bridge.spawn(async move { pruner.prune_hourly() });
                flight::ShowWatch::start(&bridge, f)
            }
            None => flight::ShowWatch::default(),
        };
        Ok(ScPanel {
            bridge,
            servers: Arc::new(Mutex::new(vec![first.server.clone()])),
            sessions: vec![first],
            current: 0,
            next_session: 1,
            actions: ActionQueue::default(),
            own_jack: None,
            join: Default::default(),
            boot: BootPanel::new(options),
            connect: ConnectPanel::default(),
            plots: Plots::default(),
            buffers: BuffersPanel::default(),
            console: Console::default(),
            log: LogPanel::default(),
            mixer: MixerPanel::default(),
            flight,
            traffic_default: Default::default(),
            show_watch,
            doctor: Default::default(),
            shows: Default::default(),
            shows_errands: Default::default(),
            pending_mark: None,
            scope: Default::default(),
            spectrum: Default::default(),
            scope_source: Default::default(),
            wall: Wall::default(),
            about: Default::default(),
            tab: Tab::Tree,
            side: Side::Boot,
            confirm_stop: None,
            terminated: Arc::new(Mutex::new(None)),
            window: Arc::new(Mutex::new(None)),
            side_open: true,
            confirm_quit: None,
            quit_without_asking: false,
            dont_ask_ticked: false,
            close_confirmed: false,
            title: String::new(),
            frame_debug: std::env::var_os("SCPANEL_FRAME_DEBUG").is_some(),
            keys_open: false,
            announcer: Default::default(),
            display: crate::gui::theme::Display::load(),
            display_applied: None,
            zoom_pending: false,
            display_saver: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use egui_kittest::Harness;

    use super::*;
    use crate::gui::actions::Action;
    use std::time::Duration;

    fn app() -> Harness<'static, ScPanel> {
        Harness::builder()
            .with_size(egui::vec2(1200.0, 800.0))
            .build_eframe(|_cc| ScPanel::new(Options::default()).expect("app"))
    }

    /// Steps until `done` holds, for results that come back from the runtime.
    fn step_until(h: &mut Harness<'static, ScPanel>, done: impl Fn(&ScPanel) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(h.state()) {
            assert!(Instant::now() < deadline, "timed out");
            h.step();
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn titles(s: &Session) -> Vec<String> {
        s.inbox
            .lock()
            .unwrap()
            .notices
            .iter()
            .map(|n| n.title.clone())
            .collect()
    }

    #[test]
    fn the_frame_runs_what_was_queued_once_and_its_failure_becomes_one_notice() {
        let mut h = app();
        h.step();
        h.state_mut().actions.push(Action::RefreshTree);
        h.step();
        assert!(h.state().actions.is_empty(), "the frame took the queue");
        step_until(&mut h, |a| a.session().busy == 0);
        h.step();
        h.step();
        // Offline, the read fails: one notice, with the panel's title, not one per frame.
        assert_eq!(titles(h.state().session()), vec!["Reading the tree"]);
    }

    #[test]
    fn a_result_lands_in_the_panel_that_asked() {
        let mut h = app();
        h.step();
        h.state_mut()
            .actions
            .push(Action::LookUpHost("localhost".into()));
        h.step();
        step_until(&mut h, |a| a.session().busy == 0);
        // Connect's form now knows the name: the frame that draws it asks for no lookup
        // and says nothing about looking it up.
        h.state_mut().connect.host = "localhost".into();
        h.state_mut().side = Side::Connect;
        h.step();
        assert_eq!(h.state().session().busy, 0, "a name already looked up");
        use egui_kittest::kittest::Queryable;
        assert!(h.query_by_label_contains("looking up").is_none());
        assert!(titles(h.state().session()).is_empty());
    }

    #[test]
    fn actions_go_to_the_session_the_panels_drew() {
        let mut h = app();
        let first = h.state().session().id;
        let second = h.state_mut().add_session();
        assert_ne!(first, second);
        assert!(h.state_mut().show_session(second));
        h.step();
        h.state_mut().actions.push(Action::RefreshTree);
        h.step();
        step_until(&mut h, |a| a.sessions.iter().all(|s| s.busy == 0));
        h.step();
        let by_id = |id| {
            let a = h.state();
            titles(a.sessions.iter().find(|s| s.id == id).expect("session"))
        };
        assert_eq!(by_id(second), vec!["Reading the tree"]);
        assert!(by_id(first).is_empty(), "the other server was not asked");
        assert!(!h.state_mut().show_session(99), "no such session");
    }
}
