//! Leaving a server: quitting one we booted, disconnecting from one we visited (taking what
//! we made), rebooting, and resetting (Cmd-period for an owner, our own nodes for a guest).

use std::time::Duration;

use rosc::{OscPacket, OscType};

use super::groups::create_default_groups;
use crate::error::{Result, ServerError};
use crate::link::{ServerEvent, ServerState};
use crate::server::handle::Server;
use crate::wire::connection::SYNC_TIMEOUT;
use crate::wire::protocol::bundle_of;
use crate::wire::protocol::{Expect, msg};

impl Server {
    /// Quits the server. Quitting a server we did not boot needs `force`.
    pub async fn quit(&self, force: bool) -> Result<()> {
        self.user_took_over();
        let _lifecycle = self.inner.lifecycle.lock().await;
        self.quit_locked(force).await
    }

    /// [`Server::quit`] for a caller that holds the lifecycle lock.
    pub(crate) async fn quit_locked(&self, force: bool) -> Result<()> {
        let live = self.online()?;
        if !live.attachment.is_owner && !force {
            return Err(ServerError::UnownedServerShutdown);
        }
        self.set_state(ServerState::Quitting);
        self.emit(ServerEvent::Quitting);
        self.finish_recording().await;
        let process = self.inner.link.process();
        if let Some(p) = &process {
            p.expect_exit();
        }
        let done = live
            .conn
            .request(
                OscPacket::Message(msg("/quit", [])),
                Expect::Done {
                    command: "/quit".into(),
                    id: None,
                },
                Duration::from_secs(1),
            )
            .await;
        if let Err(e) = done {
            self.inner
                .link
                .shared
                .note(format!("no /done for /quit ({e}); stopping the process"));
        }
        if let Some(p) = process {
            // A big server takes a second or two to exit after /done /quit.
            if tokio::time::timeout(Duration::from_secs(3), p.wait())
                .await
                .is_err()
            {
                self.inner
                    .link
                    .shared
                    .note("the server did not exit after /quit: terminating it");
                p.terminate(Duration::from_secs(1)).await;
            }
        }
        self.go_offline(None);
        Ok(())
    }

    /// Logs out and closes the connection; the server keeps running.
    pub async fn disconnect(&self) -> Result<()> {
        self.user_took_over();
        let _lifecycle = self.inner.lifecycle.lock().await;
        self.disconnect_locked().await
    }

    /// [`Server::disconnect`] for a caller that holds the lifecycle lock.
    pub(crate) async fn disconnect_locked(&self) -> Result<()> {
        let live = self.online()?;
        if live.attachment.is_owner {
            return Err(ServerError::OwnedServerShutdown);
        }
        self.finish_recording().await;
        if live.attachment.login.is_some() {
            // What only watched goes with us: meters would go on sending their levels to
            // every client that listens. A volume the user set stays (as sclang's
            // `s.volume` does), and scpanel's group with it; an empty group goes.
            self.mixer().free_bus_meter_synths().await;
            self.mixer().stop_meter_synths().await;
            crate::ops::own_nodes::free_group_if_empty(self.link()).await;
            let _ = live
                .conn
                .request(
                    OscPacket::Message(msg("/notify", [OscType::Int(0)])),
                    Expect::Done {
                        command: "/notify".into(),
                        id: None,
                    },
                    Duration::from_millis(500),
                )
                .await;
        }
        self.go_offline(Some(ServerEvent::Disconnected));
        Ok(())
    }

    /// Quits and boots again with the same options, holding the lifecycle from the quit
    /// through the boot: nothing else can boot or connect in between.
    pub async fn reboot(&self) -> Result<()> {
        self.user_took_over();
        let _lifecycle = self.inner.lifecycle.lock().await;
        let live = self.online()?;
        if !live.attachment.is_owner {
            return Err(ServerError::UnownedServerShutdown);
        }
        drop(live);
        let options = self.options();
        self.quit_locked(false).await?;
        self.boot_locked(options).await
    }

    /// Closes a running recording's file before the server or the connection goes away.
    pub(super) async fn finish_recording(&self) {
        if self.recorder().recording().is_some()
            && let Err(e) = self.recorder().stop().await
        {
            self.inner
                .link
                .shared
                .note(format!("could not finish the recording: {e}"));
        }
    }

    /// SuperCollider's Cmd-period. As owner: clear the schedule, free every node, re-create the
    /// default groups. As a connected client: free only this client's nodes.
    pub async fn reset(&self) -> Result<()> {
        let live = self.online()?;
        let conn = &live.conn;
        let Some(login) = live.attachment.login else {
            return Err(ServerError::NotLoggedIn);
        };
        let mut bundle = Vec::new();
        if live.attachment.is_owner {
            bundle.push(msg("/clearSched", []));
            bundle.push(msg("/g_freeAll", [OscType::Int(0)]));
            conn.send(bundle_of(bundle)).await?;
            create_default_groups(conn, login.max_logins).await?;
        } else {
            let group = live.attachment.default_group();
            let range = live
                .alloc
                .as_ref()
                .and_then(|a| a.lock().ok().map(|a| a.ranges.nodes.clone()))
                .unwrap_or(0..0);
            // Our nodes outside our default group, topmost only (their children go with them).
            let ours: Vec<i32> = self.with_tree(|t| {
                t.nodes()
                    .filter(|n| {
                        range.contains(&n.id) && !range.contains(&n.parent) && n.parent != group
                    })
                    .map(|n| n.id)
                    .collect()
            });
            // Some of ours may have ended since the mirror saw them: no failure lines.
            bundle.push(msg("/error", [OscType::Int(-1)]));
            bundle.push(msg("/g_freeAll", [OscType::Int(group)]));
            if !ours.is_empty() {
                bundle.push(msg("/n_free", ours.into_iter().map(OscType::Int)));
            }
            conn.send(bundle_of(bundle)).await?;
        }
        if let Some(a) = &live.alloc
            && let Ok(mut a) = a.lock()
        {
            a.nodes.clear();
        }
        conn.sync(SYNC_TIMEOUT).await?;
        // Cmd-period freed the meter and volume synths with everything else.
        self.mixer().restore().await?;
        Ok(())
    }

    /// Quits a server we own, or logs out of one we don't. For app shutdown.
    pub async fn shutdown(&self) {
        self.user_took_over();
        // After any boot or connect under way (a rejoin's included): what it brings up is
        // quit too, rather than found missing and left running.
        let _lifecycle = self.inner.lifecycle.lock().await;
        match self.attachment() {
            Some(s) if s.is_owner => {
                let _ = self.quit_locked(false).await;
            }
            Some(_) => {
                let _ = self.disconnect_locked().await;
            }
            None => {}
        }
    }
}
