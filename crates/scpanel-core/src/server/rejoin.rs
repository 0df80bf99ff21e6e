//! Bringing a server back after it went away by itself: rejoining a connected server when it
//! answers again, or rebooting one this handle booted, with backoff between tries. A quit,
//! disconnect, boot or connect by the user ends any of this (the keeper's epoch changes).

use std::time::{Duration, SystemTime};

use crate::error::ServerError;
use crate::link::{ConnectOptions, ServerEvent, ServerState};
use crate::model::options::Options;
use crate::server::handle::Server;

/// The first wait before a try; it doubles after each failed try up to [`LONGEST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(250);
/// A student's laptop that restarts its server is back within this long of answering.
const LONGEST_WAIT: Duration = Duration::from_secs(4);
/// A reboot that keeps failing (a port taken, a broken executable) is tried this often at
/// most, so a crashing server can't make a crash loop of the machine.
const LONGEST_REBOOT_WAIT: Duration = Duration::from_secs(30);

/// How the server went away.
pub(crate) enum Loss {
    /// A server this handle booted ended by itself.
    Crashed {
        options: Box<Options>,
        addr: std::net::SocketAddr,
    },
    /// A server we connected to stopped answering or closed its port.
    Lost,
}

/// How a try ended without an error.
enum Tried {
    /// The server is back.
    Back,
    /// Nothing to do (the user acted, or the server is not offline).
    Skipped,
}

/// What a try does.
#[derive(Clone)]
enum Try {
    Boot(Box<Options>),
    Connect(ConnectOptions),
}

/// Records that the server went away by itself, before the handle goes offline, so that
/// whoever hears the handle's offline event finds the absence already told.
/// Returns the epoch the loss belongs to, for [`after_loss`]: a user action in between
/// (seen in the epoch) ends the rejoin before it starts.
pub(crate) fn record_loss(server: &Server, crashed: bool, reason: String) -> u64 {
    // A server that goes while the user quits it went because of the user.
    let quitting = server.state() == ServerState::Quitting;
    let Ok(mut k) = server.inner.keeper.lock() else {
        return u64::MAX;
    };
    if quitting {
        return k.epoch.wrapping_sub(1);
    }
    {
        let policy = k.policy;
        let a = &mut k.absence;
        a.offline_since = Some(SystemTime::now());
        a.reason = Some(reason);
        a.attempts = 0;
        a.last_error = None;
        a.next_try = None;
        if crashed {
            a.crashes = a.crashes.saturating_add(1);
        }
        // Said now for the same reason; cleared below when the policy brings nothing back.
        a.retrying = policy.rejoin || (crashed && policy.reboot);
    }
    k.epoch
}

/// Clears the "retrying" that [`record_loss`] said, when there is nothing to try.
pub(crate) fn nothing_to_bring_back(server: &Server) {
    if let Ok(mut k) = server.inner.keeper.lock() {
        k.absence.retrying = false;
    }
    server.inner.link.shared.changed();
}

/// As the policy says, starts bringing the server back. Called once the handle is offline,
/// after [`record_loss`].
pub(crate) fn after_loss(server: &Server, loss: Loss, epoch: u64) {
    let Some(policy) = server
        .inner
        .keeper
        .lock()
        .ok()
        .filter(|k| k.epoch == epoch)
        .map(|k| k.policy)
    else {
        return;
    };
    let last_connect = server
        .inner
        .last_connect
        .lock()
        .ok()
        .and_then(|c| c.clone());
    let attempt = match loss {
        Loss::Crashed { options, .. } if policy.reboot => Try::Boot(options),
        Loss::Crashed { options, addr } if policy.rejoin => {
            // Whoever starts a server on that port next is joined as a guest.
            let mut c = ConnectOptions::new(addr);
            c.protocol = options.protocol;
            Try::Connect(c)
        }
        Loss::Lost if policy.rejoin && last_connect.is_some() => match last_connect {
            Some(c) => Try::Connect(c),
            None => return,
        },
        _ => {
            nothing_to_bring_back(server);
            return;
        }
    };
    server.inner.link.shared.changed();
    let weak = server.weak();
    tokio::spawn(async move {
        let mut wait = FIRST_WAIT;
        loop {
            let Some(server) = Server::from_weak(&weak) else {
                return;
            };
            let due = tokio::time::Instant::now() + wait;
            if !server.still(epoch, |a| a.next_try = Some(due.into_std())) {
                return;
            }
            drop(server);
            tokio::time::sleep_until(due).await;
            let Some(server) = Server::from_weak(&weak) else {
                return;
            };
            // The policy may have been turned off meanwhile (a tile's box unticked).
            let wanted = server.rejoin_policy();
            let still_wanted = match attempt {
                Try::Boot(_) => wanted.reboot,
                Try::Connect(_) => wanted.rejoin,
            };
            if !still_wanted {
                let _ = server.still(epoch, |a| a.retrying = false);
                return;
            }
            if !server.still(epoch, |a| a.attempts = a.attempts.saturating_add(1)) {
                return;
            }
            let result = server.try_once(&attempt, epoch).await;
            match result {
                Ok(Tried::Skipped) => return,
                Ok(Tried::Back) => {
                    let rebooted = matches!(attempt, Try::Boot(_));
                    let mut ours = false;
                    if let Ok(mut k) = server.inner.keeper.lock()
                        && k.epoch == epoch
                    {
                        let crashes = k.absence.crashes;
                        let returns = k.absence.returns.saturating_add(1);
                        k.absence = crate::model::absence::Absence {
                            crashes,
                            returns,
                            ..Default::default()
                        };
                        ours = true;
                    }
                    if ours {
                        server.inner.link.shared.note(if rebooted {
                            "rebooted the server after it crashed".to_string()
                        } else {
                            "the server answers again: rejoined".to_string()
                        });
                        server.emit(ServerEvent::Rejoined { rebooted });
                        server.inner.link.shared.changed();
                    }
                    return;
                }
                Err(e) => {
                    let _ = server.still(epoch, |a| a.last_error = Some(e.to_string()));
                    let longest = match attempt {
                        Try::Boot(_) => LONGEST_REBOOT_WAIT,
                        Try::Connect(_) => LONGEST_WAIT,
                    };
                    wait = (wait * 2).min(longest);
                }
            }
        }
    });
}

impl Server {
    /// Applies `f` to the absence if no user action came since `epoch`; false otherwise.
    fn still(&self, epoch: u64, f: impl FnOnce(&mut crate::model::absence::Absence)) -> bool {
        let alive = match self.inner.keeper.lock() {
            Ok(mut k) if k.epoch == epoch => {
                f(&mut k.absence);
                true
            }
            _ => false,
        };
        self.inner.link.shared.changed();
        alive
    }

    /// One try: a boot, or a connect that asks for the old client id first and settles for
    /// any id, or for watching when every login is taken.
    async fn try_once(&self, attempt: &Try, epoch: u64) -> Result<Tried, ServerError> {
        let _lifecycle = self.inner.lifecycle.lock().await;
        let moved_on = |s: &Server| s.inner.keeper.lock().map_or(true, |k| k.epoch != epoch);
        // The user may have acted while we waited for the lock.
        if moved_on(self) || self.state() != ServerState::Offline {
            return Ok(Tried::Skipped);
        }
        let result = match attempt {
            Try::Boot(options) => self.boot_locked(Options::clone(options)).await,
            Try::Connect(options) => {
                let result = self.connect_locked(options.clone()).await;
                match result {
                    Err(ServerError::Fail { .. }) if options.client_id.is_some() => {
                        let mut any = options.clone();
                        any.client_id = None;
                        self.connect_locked(any).await
                    }
                    Err(ServerError::TooManyClients { .. }) if options.login => {
                        let mut watch = options.clone();
                        watch.login = false;
                        self.connect_locked(watch).await
                    }
                    other => other,
                }
            }
        };
        result?;
        // The user acted while this try ran (a quit, Stop retrying, a tile removed): what it
        // brought up goes again, rather than stay up against the user's wish.
        if moved_on(self) {
            let undone = if self.is_owner() {
                self.quit_locked(false).await
            } else {
                self.disconnect_locked().await
            };
            if let Err(e) = undone {
                self.inner
                    .link
                    .shared
                    .note(format!("could not undo a rejoin the user overtook: {e}"));
            }
            return Ok(Tried::Skipped);
        }
        Ok(Tried::Back)
    }

    /// Ends any rejoin or reboot under way and forgets the absence (the crash count
    /// stays). Booting, connecting, quitting and disconnecting do this themselves.
    pub fn stop_rejoining(&self) {
        self.user_took_over();
    }

    /// Ends any rejoin under way and forgets the absence: the user took over.
    pub(crate) fn user_took_over(&self) {
        if let Ok(mut k) = self.inner.keeper.lock() {
            k.epoch = k.epoch.wrapping_add(1);
            let crashes = k.absence.crashes;
            let returns = k.absence.returns;
            k.absence = crate::model::absence::Absence {
                crashes,
                returns,
                ..Default::default()
            };
        }
    }
}
