//! The window's sessions and the roster: adding servers (booted here, joined, pasted,
//! loaded from a roster file), removing them, picking the one the panels draw.

use super::{ScPanel, Tab};
use crate::gui::actions::{Action, Pick, SessionId};
use crate::gui::panels::wall::WallRequest;
use crate::gui::panels::wall::summary;
use crate::gui::panels::wall::tile::TileAction;
use crate::gui::session::Session;
use scpanel_core::RejoinPolicy;
use scpanel_core::ServerState;
use scpanel_core::roster::{MAX_SERVERS, Roster, RosterEntry};

impl ScPanel {
    /// The session the panels draw.
    pub fn session(&self) -> &Session {
        &self.sessions[self.current]
    }

    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.sessions[self.current]
    }

    /// Adds a session with an offline server and returns its id; the current one stays.
    pub fn add_session(&mut self) -> SessionId {
        let id = self.next_session;
        self.next_session += 1;
        let session = Session::new(&self.bridge, id);
        session.traffic.set(self.traffic_default);
        if let Ok(mut all) = self.servers.lock() {
            all.push(session.server.clone());
        }
        self.sessions.push(session);
        id
    }

    /// Runs what the wall asked for: new servers, rosters, tiles opened or removed.
    pub fn wall_requests(&mut self, asked: Vec<WallRequest>) {
        for r in asked {
            match r {
                WallRequest::BootAnother => {
                    self.boot_another();
                }
                WallRequest::Add {
                    addr,
                    name,
                    protocol,
                    login,
                } => {
                    let mut entry = RosterEntry::watch(addr);
                    entry.name = name;
                    entry.protocol = protocol;
                    entry.login = login;
                    self.add_entry(entry);
                }
                WallRequest::Paste(text) => self.add_pasted(&text),
                WallRequest::SaveRoster(path) => self.save_roster(&path),
                WallRequest::LoadRoster(path) => self.load_roster(&path),
                WallRequest::PickRoster => self.actions.push(Action::PickFile(Pick::Roster)),
                WallRequest::Tile(TileAction::Open(id)) => {
                    if self.show_session(id) {
                        let late = summary::late_lines(self.session());
                        self.session_mut().late_seen = late;
                        self.tab = Tab::Tree;
                    }
                }
                WallRequest::Tile(TileAction::Remove(id)) => self.remove_session(id),
            }
        }
    }

    /// Adds a session that boots the boot panel's options on the next free port (and, under
    /// JACK, with a client name of its own); returns its id.
    pub fn boot_another(&mut self) -> SessionId {
        let mut options = self.boot.options.clone();
        // Ports this window's servers have or were given: booted, on the way, or crashed and
        // waiting to be booted again on theirs.
        let busiest = self
            .sessions
            .iter()
            .filter_map(|s| {
                let typed = s
                    .addr
                    .parse::<std::net::SocketAddr>()
                    .ok()
                    .map(|a| a.port());
                let live = s.server.attachment().map(|l| l.addr.port());
                let booted = s.booted.then(|| s.server.options().port);
                typed.max(live).max(booted)
            })
            .max()
            .unwrap_or(0);
        let start = options.port.max(busiest.saturating_add(1));
        // A short look: each probe binds a socket, and this runs on the UI thread.
        if let Some(port) =
            (start..=start.saturating_add(63)).find(|&p| scpanel_core::machine::port_is_free(p))
        {
            options.port = port;
        }
        if cfg!(target_os = "linux") && options.device.trim().is_empty() {
            options.device = scpanel_core::audio::jack::client_name_for_port(options.port);
        }
        let mut entry = RosterEntry::watch(
            scpanel_core::client_address(&options.bind_address, options.port).to_string(),
        );
        entry.protocol = options.protocol;
        entry.boot = Some(options);
        self.add_entry(entry)
    }

    /// Adds a session for the server at `addr` (`host:port`), watching unless `login`.
    pub fn add_server(&mut self, addr: String, name: String, login: bool) -> SessionId {
        let mut entry = RosterEntry::watch(addr);
        entry.name = name;
        entry.login = login;
        self.add_entry(entry)
    }

    /// Adds a session for a roster entry: booted here, or joined (watching unless the entry
    /// logs in), and rejoined when it goes away.
    pub fn add_entry(&mut self, entry: RosterEntry) -> SessionId {
        if self.sessions.len() >= MAX_SERVERS {
            self.session().notice(
                "Too many servers",
                format!("the window holds at most {MAX_SERVERS} servers: remove some first"),
                true,
            );
            return self.session().id;
        }
        // A session that never had a server (the one a window starts with) takes the first
        // entry, rather than staying on the wall as an empty tile.
        let unused = self.sessions.iter().find(|s| {
            s.server.state() == ServerState::Offline
                && s.addr.is_empty()
                && s.server_busy == 0
                && s.server.absence().offline_since.is_none()
                && s.server.with_log(|l| l.lines().next().is_none())
        });
        let id = match unused {
            Some(s) => s.id,
            None => self.add_session(),
        };
        let Some(s) = self.sessions.iter_mut().find(|s| s.id == id) else {
            return id;
        };
        s.addr = entry.addr.clone();
        s.name = entry.name.trim().to_string();
        s.server.set_rejoin_policy(RejoinPolicy {
            rejoin: true,
            reboot: entry.auto_reboot,
        });
        s.booted = entry.boot.is_some();
        let action = match entry.boot {
            Some(options) => Action::Boot(options),
            None => Action::Join {
                addr: entry.addr,
                protocol: entry.protocol,
                login: entry.login,
            },
        };
        self.actions.push_for(id, action);
        id
    }

    /// Every server in pasted `host:port` lines becomes a watching tile; bad lines are
    /// listed on the wall with what to fix.
    pub fn add_pasted(&mut self, text: &str) {
        let (entries, bad) = Roster::parse_list(text);
        self.wall.problems = bad
            .into_iter()
            .map(|(line, why)| format!("line {line}: {why}"))
            .collect();
        for e in entries {
            self.add_entry(e);
        }
    }

    /// The wall as a roster: each session that has (or had) a server.
    pub fn roster(&self) -> Roster {
        let servers = self
            .sessions
            .iter()
            .filter_map(|s| {
                let server = &s.server;
                let live = server.attachment();
                let booted = live.as_ref().is_some_and(|l| l.is_owner) || s.booted;
                let addr = match (&live, s.addr.is_empty()) {
                    (_, false) => s.addr.clone(),
                    (Some(l), true) => l.addr.to_string(),
                    (None, true) => return None,
                };
                let options = server.options();
                Some(RosterEntry {
                    name: s.name.clone(),
                    addr,
                    protocol: live.as_ref().map_or(options.protocol, |l| l.protocol),
                    login: live
                        .as_ref()
                        .is_some_and(|l| l.login.is_some() && !l.is_owner),
                    boot: booted.then_some(options),
                    auto_reboot: booted && server.rejoin_policy().reboot,
                })
            })
            .collect();
        Roster { servers }
    }

    /// Saves the wall to `path`; says where it went, or why it could not.
    pub fn save_roster(&mut self, path: &str) {
        let roster = self.roster();
        let n = roster.servers.len();
        match roster.save(std::path::Path::new(path)) {
            Ok(()) => {
                self.session()
                    .notice("Roster saved", format!("{n} server(s) in {path}"), false)
            }
            Err(e) => self.session().notice("Roster not saved", e, true),
        }
    }

    /// Adds every server of the roster at `path` to the wall (the servers already on it
    /// stay); a file that can't be used changes nothing and says why.
    pub fn load_roster(&mut self, path: &str) {
        match Roster::load(std::path::Path::new(path)) {
            Ok(roster) => {
                for e in roster.servers {
                    self.add_entry(e);
                }
            }
            Err(e) => self.session().notice("Roster not loaded", e, true),
        }
    }

    /// Takes a tile off the wall: a server this window booted is quit, any other is left
    /// (logged out of, when logged in). The window always keeps one session.
    pub fn remove_session(&mut self, id: SessionId) {
        let Some(i) = self.sessions.iter().position(|s| s.id == id) else {
            return;
        };
        let session = self.sessions.remove(i);
        self.wall.found.session_removed(id);
        let server = session.server.clone();
        if let Ok(mut all) = self.servers.lock() {
            all.retain(|s| !s.same_handle(&server));
        }
        server.stop_rejoining();
        self.bridge.spawn(async move { server.shutdown().await });
        if self.sessions.is_empty() {
            self.add_session();
        }
        // The same session stays current when another one goes.
        if i < self.current {
            self.current -= 1;
        }
        self.current = self.current.min(self.sessions.len() - 1);
    }

    /// Makes the session `id` the one the panels draw; false when there is none.
    pub fn show_session(&mut self, id: SessionId) -> bool {
        match self.sessions.iter().position(|s| s.id == id) {
            Some(i) => {
                self.current = i;
                true
            }
            None => false,
        }
    }

    /// Synths the user plays: scpanel's own meter, volume, recorder and tone synths left out.
    pub fn user_synths(&self) -> usize {
        let server = &self.session().server;
        server.with_tree(|t| {
            t.nodes()
                .filter(|n| !n.is_group() && !server.nodes().is_own(n.id))
                .count()
        })
    }

    /// scpanel's own synths on the server.
    pub fn own_synths(&self) -> usize {
        let server = &self.session().server;
        let Some(group) = server.nodes().own(scpanel_core::Own::Group) else {
            return 0;
        };
        server.with_tree(|t| t.children(group).filter(|n| !n.is_group()).count())
    }
}
