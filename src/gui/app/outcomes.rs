//! Running what the panels asked for, and taking in what came back: each result lands in
//! its session and in the panel that asked.

use super::{ScPanel, Tab};
use crate::gui::actions::{Action, Done, Outcome, Pick};
use crate::gui::session::BufferRow;

/// Where a boot or a connection goes, for the flight recorder's list of servers.
fn first_address(action: &Action) -> Option<String> {
    Some(match action {
        Action::Boot(o) => scpanel_core::client_address(&o.bind_address, o.port).to_string(),
        Action::Connect { options, .. } | Action::Watch(options) => options.addr.to_string(),
        Action::Join { addr, .. } => addr.clone(),
        _ => return None,
    })
}

impl ScPanel {
    /// Runs every action the frame's panels pushed, each against its own session. Called
    /// once per frame, after the panels are drawn.
    pub fn run_actions(&mut self) {
        for (id, action) in self.actions.take() {
            if let Action::StopJack = action {
                if let Some(j) = self.own_jack.take() {
                    self.bridge.spawn(async move { j.stop().await });
                }
                self.boot.audio.jack_changed(false);
                continue;
            }
            // A session closed since the click has nobody left to do it for.
            if let Some(s) = self.sessions.iter_mut().find(|s| s.id == id) {
                if !s.followed
                    && let (Some(flight), Some(address)) = (&self.flight, first_address(&action))
                {
                    s.followed = true;
                    let (flight, server, name) = (flight.clone(), s.server.clone(), s.name.clone());
                    let owned = matches!(action, Action::Boot(_));
                    let id = s.flight_id.clone();
                    let traffic = s.traffic.clone();
                    self.bridge.spawn(async move {
                        let followed = flight.follow(&server, &name, &address, owned);
                        flight.record_traffic(&server, followed, traffic);
                        if let Ok(mut id) = id.lock() {
                            *id = Some(followed);
                        }
                    });
                }
                s.dispatch(&self.bridge, action);
            }
        }
    }

    /// Takes in every result that came back since the last frame: session data, panel
    /// fields, notices. Called once per frame, before the panels are drawn.
    pub fn apply_finished(&mut self) {
        for i in 0..self.sessions.len() {
            for done in self.sessions[i].finished() {
                self.apply(i, done);
            }
        }
    }

    pub(super) fn apply(&mut self, i: usize, done: Done) {
        let session = &mut self.sessions[i];
        let outcome = match done.result {
            Ok(o) => o,
            Err(f) => {
                // A lookup that ended early still ends the wait for it.
                if let Action::LookUpHost(host) = &done.action {
                    self.connect.looked(host.clone(), Err(f.text.clone()));
                }
                // The Found list shows its own failures where they happened.
                match &done.action {
                    Action::Scan { .. } => {
                        self.wall.found.scan_done(Err(f.text));
                        return;
                    }
                    Action::Browse => {
                        self.wall.found.browsing = false;
                        self.wall.found.error = Some(f.text);
                        return;
                    }
                    Action::Version => {
                        self.about.answered(session.id, Err(f.text));
                        return;
                    }
                    // The doctor's window says why, where the answer was awaited.
                    Action::Examine(_) => {
                        self.doctor.failed(session.id, f.text);
                        return;
                    }
                    Action::Boot(_) => session.boot_failure = f.error.as_deref().cloned(),
                    Action::ApplyFix(_) => self.doctor.awaiting_fix = false,
                    Action::ReadFlow(_) | Action::FlowMeter(_) => {
                        session.flow.failed(&done.action, f.text);
                        return;
                    }
                    _ => {}
                }
                if done.action.tells_failure() {
                    if let Some(o) = f.offer
                        && let Ok(mut inbox) = session.inbox.lock()
                    {
                        inbox.offers.push(o);
                    }
                    session.notice(done.action.title(), f.text, true);
                }
                return;
            }
        };
        match outcome {
            Outcome::Done => {}
            Outcome::Buffer { info, file } => {
                session.buffers.insert(info.id, BufferRow { info, file });
            }
            Outcome::BufferFreed(id) => {
                session.buffers.remove(&id);
            }
            Outcome::BusValues(v) => session.bus_values.extend(v),
            Outcome::ScopeSource(spec) => {
                self.scope_source = crate::gui::widgets::scope_source::ScopeSource {
                    bus: spec.bus,
                    channels: spec.channels.clamp(1, scpanel_core::scope::MAX_CHANNELS),
                    label: Some(match spec.note {
                        Some(note) => format!("{} ({note})", spec.name),
                        None => spec.name,
                    }),
                    chosen: true,
                };
                self.tab = Tab::Scope;
            }
            Outcome::RecordingSaved(path) => {
                session.notice("Recording saved", path.display().to_string(), false)
            }
            Outcome::SpeakersConnected(pairs) => {
                let text = pairs
                    .iter()
                    .map(|(a, b)| format!("{a} -> {b}"))
                    .collect::<Vec<_>>()
                    .join("\n");
                session.notice("Connected", text, false);
            }
            Outcome::Jack(status) => {
                self.boot.audio.jack_status = Some(status);
            }
            Outcome::JackRate(rate) => self.boot.jack_rate = rate,
            Outcome::Executable { asked, found } => self.boot.executable_found(asked, found),
            Outcome::JackStarted(j) => {
                self.own_jack = Some(j.0);
                self.boot.audio.jack_changed(true);
            }
            Outcome::AudioDevices { cards, pipewire } => {
                self.boot.audio.found(cards, pipewire);
            }
            Outcome::Booted {
                rate_mismatch,
                started_jack,
            } => {
                session.boot_failure = None;
                if let Some((j, said)) = started_jack {
                    if let Some(old) = self.own_jack.replace(j.0) {
                        self.bridge.spawn(async move { old.stop().await });
                    }
                    self.boot.audio.jack_changed(true);
                    session.notice("JACK started", said, false);
                }
                if let Some(why) = &rate_mismatch {
                    session.notice("Sample rate", why.clone(), false);
                }
                self.boot.rate_mismatch = rate_mismatch;
            }
            Outcome::Looked { host, result } => self.connect.looked(host, result),
            Outcome::Picked { path: None, .. } => {}
            Outcome::Picked {
                pick,
                path: Some(p),
            } => match pick {
                Pick::Executable => self.boot.picked(p),
                Pick::SoundFile => self.buffers.path = p.display().to_string(),
                Pick::Recording { .. } => self.mixer.record_path = p.display().to_string(),
                Pick::Roster => self.wall.roster_path = p.display().to_string(),
                // Saved at once, from the log of the session that asked: not on some later
                // frame of whichever console is shown then.
                Pick::TrafficExport => {
                    self.console.export_path = p.display().to_string();
                    let (lines, dropped) = session
                        .inbox
                        .lock()
                        .map(|i| (i.traffic.iter().cloned().collect(), i.traffic_dropped))
                        .unwrap_or_default();
                    self.actions.push_for(
                        session.id,
                        Action::ExportTraffic {
                            path: p,
                            lines,
                            dropped,
                        },
                    );
                }
            },
            Outcome::TrafficExported(path, n) => session.notice(
                "Traffic exported",
                format!(
                    "{n} packet{} written to {}",
                    if n == 1 { "" } else { "s" },
                    path.display()
                ),
                false,
            ),
            Outcome::Browsing(b) => {
                let mut changes = b.0.watch();
                let waker = self.bridge.waker();
                // Ends when the browser is dropped (its threads end, and the sender with them).
                self.bridge.spawn(async move {
                    while changes.changed().await.is_ok() {
                        waker.wake();
                    }
                });
                self.wall.found.browser_started(b.0);
            }
            Outcome::Scanned(found) => self.wall.found.scan_done(Ok(found)),
            Outcome::Version(info) => {
                let short = format!(
                    "{} {}.{}{}",
                    info.program, info.major, info.minor, info.patch
                );
                self.boot.version_known(session.id, short);
                self.about.answered(session.id, Ok(info));
            }
            Outcome::Flow(read) => session.flow.landed(*read),
            Outcome::FlowMeter(want) => session.flow.meter_set(want),
            Outcome::ProcessStopped { pid } => {
                // The boot it stopped is free to run now.
                if matches!(
                    &session.boot_failure,
                    Some(scpanel_core::ServerError::PortInUse { holder: Some(h), .. }) if h.pid == pid
                ) {
                    session.boot_failure = None;
                }
                session.notice("Stopped", format!("pid {pid} is gone: boot again"), false)
            }
            Outcome::Diagnosis(report) => {
                // What the doctor found is part of the show too.
                if let (Some(flight), Ok(Some(id))) =
                    (&self.flight, session.flight_id.lock().map(|g| *g))
                {
                    for f in &report.findings {
                        flight.event(
                            id,
                            scpanel_core::journal::Event::Doctor {
                                kind: f.kind.as_str().to_string(),
                                message: f.message.clone(),
                            },
                        );
                    }
                }
                self.doctor.diagnosed(session.id, *report)
            }
            Outcome::Fixed(what) => session.notice("Fixed", what, false),
        }
        // A fix the doctor's window asked for landed (or JACK started, or the old server
        // stopped, for the fixes the app carries out): look again.
        if self.doctor.awaiting_fix
            && matches!(
                done.action,
                Action::ApplyFix(_) | Action::StartJack(_) | Action::StopProcess(_)
            )
        {
            self.doctor.awaiting_fix = false;
            let exam = self.examination(i);
            self.doctor.started();
            self.actions
                .push_for(self.sessions[i].id, Action::Examine(exam));
        }
    }
}
