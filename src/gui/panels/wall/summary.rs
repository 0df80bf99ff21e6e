//! What the wall says about one server, in words: its name, address, role, state line and
//! alerts. Pure (a session in, text out): the tiles, the wall's sorting and the window title
//! all use it.

use crate::gui::session::Session;
use scpanel_core::ServerState;

/// What is wrong with a server right now, as its tile and the window title count it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alerts {
    /// Went away by itself (not quit, not disconnected) and is not back.
    pub offline: bool,
    /// Average CPU above the wall's threshold.
    pub cpu: bool,
    /// Late-bundle lines since the tile was last opened.
    pub late: u64,
}

impl Alerts {
    pub fn any(&self) -> bool {
        self.offline || self.cpu || self.late > 0
    }

    /// The alerts in words, for the tile and for a screen reader.
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if self.offline {
            parts.push("offline".to_string());
        }
        if self.cpu {
            parts.push("CPU high".to_string());
        }
        match self.late {
            0 => {}
            1 => parts.push("1 late message".to_string()),
            n => parts.push(format!("{n} late messages")),
        }
        parts.join(", ")
    }
}

/// A session's alerts against the CPU `threshold` (percent).
pub(crate) fn alerts(session: &Session, threshold: f32) -> Alerts {
    let server = &session.server;
    let online = server.state().is_online();
    Alerts {
        offline: !online && server.absence().offline_since.is_some(),
        cpu: online
            && server
                .latest_status()
                .is_some_and(|s| s.average_cpu >= threshold),
        late: late_lines(session).saturating_sub(session.late_seen),
    }
}

/// Late-bundle lines the server has printed (only a server this window booted prints to us).
pub(crate) fn late_lines(session: &Session) -> u64 {
    session.server.with_log(|l| l.late)
}

/// What the tile calls its server: the name given, else the address.
pub fn label(session: &Session) -> String {
    if !session.name.is_empty() {
        return session.name.clone();
    }
    address(session)
}

/// The server's address: as typed or booted, else as connected, else nothing yet.
pub(crate) fn address(session: &Session) -> String {
    if !session.addr.is_empty() {
        return session.addr.clone();
    }
    match session.server.attachment() {
        Some(s) => s.addr.to_string(),
        None => "no server yet".to_string(),
    }
}

/// One line on the server's role: owner, which client, or watching.
pub(crate) fn role(session: &Session) -> String {
    let server = &session.server;
    match server.attachment() {
        Some(s) if s.is_owner => match s.login {
            Some(l) => format!("owner · {} logins", l.max_logins),
            None => "owner".into(),
        },
        Some(s) => match s.login {
            Some(l) => format!("client {} of {}", l.client_id, l.max_logins),
            None => "watching".into(),
        },
        None => String::new(),
    }
}

/// The tile's state line: the state, or how long it has been away and what is being done.
pub(crate) fn state_line(session: &Session) -> String {
    let server = &session.server;
    let away = server.absence();
    let state = server.state();
    if state == ServerState::Offline
        && let Some(since) = away.offline_since
    {
        let mut text = format!(
            "offline since {}",
            scpanel_core::clock::hours_minutes(since)
        );
        if away.retrying {
            text.push_str(", retrying");
            if away.attempts > 0 {
                text.push_str(&format!(" (try {})", away.attempts));
            }
        }
        return text;
    }
    state.label().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_say_what_they_are() {
        let a = Alerts {
            offline: true,
            cpu: true,
            late: 3,
        };
        assert!(a.any());
        assert_eq!(a.text(), "offline, CPU high, 3 late messages");
        assert!(!Alerts::default().any());
    }
}
