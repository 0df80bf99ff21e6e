//! Joining a server, booted by us or not: logging in, learning its sizes, the first read of
//! its tree, and the tasks that keep the mirror named while the connection lives.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rosc::{OscPacket, OscType};
use tokio::sync::mpsc;

use super::groups::{create_default_groups, guest_default_group, sclang_default_group};
use crate::error::{Result, ServerError};
use crate::link::{Attachment, ConnectOptions, Live, ServerEvent, ServerState};
use crate::model::alloc::{Allocators, ClientRanges};
use crate::model::options::Protocol;
use crate::ops::tree_read::{self, ReadOptions};
use crate::server::handle::{Inner, Server};
use crate::server::health;
use crate::wire::connection::{Connection, Login, REQUEST_TIMEOUT};
use crate::wire::protocol::{self, Expect, msg};

/// How `establish` joins a server.
pub(super) struct Joining {
    pub(super) login: bool,
    pub(super) monitor: bool,
    /// Ask the server for its sizes (as a guest that logs in).
    pub(super) ask_layout: bool,
    pub(super) client_id: Option<i32>,
    /// Max logins as we booted the server with them.
    pub(super) local_max_logins: Option<u32>,
}

/// Fills in the SynthDef names of synths other clients make: notifications carry none, so
/// each such synth's group is read with `/g_queryTree group 0`. Names alone cost ~16 bytes
/// a synth (a reply holds ~4,000); controls would overflow a group of ~1,000 and cost a
/// churning server's every read, so they are read only for the synths on screen
/// (`Server::controls`).
///
/// A group too big for one reply names none of its synths; on a server this process booted
/// they are read from the server's printout of its tree instead, at most one printout every
/// [`PRINTOUT_INTERVAL`] (another client making synths one by one in such a group would
/// otherwise have the server print it whole for each).
pub(super) async fn describe_synths(server: Weak<Inner>, mut groups: mpsc::Receiver<i32>) {
    let mut last_printout: Option<tokio::time::Instant> = None;
    while let Some(first) = groups.recv().await {
        let mut batch = vec![first];
        while let Ok(g) = groups.try_recv() {
            batch.push(g);
        }
        batch.sort_unstable();
        batch.dedup();
        let Some(server) = Server::from_weak(&server) else {
            return;
        };
        let mut too_big = Vec::new();
        for group in batch {
            // A group too big for one reply is left as it is ("def unknown") but for a
            // printout, below.
            let Ok(sub) =
                crate::ops::tree_query::query_group_once(server.link(), group, false).await
            else {
                continue;
            };
            if let Ok(mut t) = server.inner.link.shared.tree.lock() {
                for n in sub.nodes() {
                    let unknown = t
                        .get(n.id)
                        .is_some_and(|m| !m.is_group() && m.def_name().is_none());
                    if let (true, Some(def)) = (unknown, n.def_name()) {
                        t.describe_synth(n.id, def, n.controls.clone());
                    }
                }
            }
            server.inner.link.shared.changed();
            if server.is_owner()
                && server.with_tree(|t| !crate::ops::printout::unnamed_below(t, group).is_empty())
            {
                too_big.push(group);
            }
        }
        let Some(live) = server.live().filter(|l| l.attachment.is_owner) else {
            continue;
        };
        if too_big.is_empty() {
            continue;
        }
        if let Some(at) = last_printout {
            tokio::time::sleep_until(at + PRINTOUT_INTERVAL).await;
        }
        last_printout = Some(tokio::time::Instant::now());
        let _one_at_a_time = live.conn.tree_query_lock().await;
        crate::ops::printout::name_mirror_below(server.link(), &live, &too_big).await;
    }
}

/// How often at most the live mirror has the server print its tree for names.
pub(super) const PRINTOUT_INTERVAL: Duration = Duration::from_secs(1);

/// One default group per login, `id + 1` at the tail of the root, as supriya makes them.
/// Reads the whole tree for the live mirror, names and controls (`walk`: logged in, so an
/// overflowing group can be walked with `/n_query`).
pub(super) async fn read_whole_tree(conn: &Connection, walk: bool) -> Result<tree_read::TreeRead> {
    let _one_at_a_time = conn.tree_query_lock().await;
    let opts = ReadOptions {
        controls: true,
        walk,
        ..ReadOptions::default()
    };
    tree_read::read(conn, 0, &opts).await
}

impl Server {
    /// Logs in (if asked), sets up default groups and the health monitor, and goes online.
    pub(super) async fn establish(
        &self,
        conn: Arc<Connection>,
        mut attachment: Attachment,
        joining: Joining,
    ) -> Result<()> {
        let Joining {
            login,
            monitor,
            ask_layout,
            client_id,
            local_max_logins,
        } = joining;
        // On a server we just booted no step needs another's answer: login, the default
        // groups, the first tree read and our SynthDefs go out in one flight and come back
        // within an audio period or two of the ready line, instead of a round trip each.
        let one_flight = login && monitor && attachment.is_owner;
        let mut first_read = None;
        let mut builtins_loaded = None;
        if one_flight {
            let groups = local_max_logins.unwrap_or(1);
            let (l, made, read, loaded) = tokio::join!(
                self.login(&conn, client_id, local_max_logins),
                create_default_groups(&conn, groups),
                read_whole_tree(&conn, true),
                self.load_builtins_on(&conn, &attachment),
            );
            attachment.login = Some(l?);
            made?;
            first_read = Some(read);
            builtins_loaded = Some(loaded);
        } else if login {
            let l = self.login(&conn, client_id, local_max_logins).await?;
            attachment.login = Some(l);
        }
        if let Some(l) = attachment.login
            && ask_layout
            && !attachment.is_owner
        {
            self.learn_layout(&conn, l, &mut attachment).await;
        }
        let alloc = attachment.login.map(|l| {
            let ranges =
                ClientRanges::new(l.client_id.max(0) as u32, l.max_logins, &attachment.layout);
            Mutex::new(Allocators::new(ranges))
        });
        self.emit(ServerEvent::Connected {
            client_id: attachment.login.map(|l| l.client_id),
            max_logins: attachment.login.map_or(0, |l| l.max_logins),
        });
        if let Some(l) = attachment.login
            && attachment.is_owner
            && !one_flight
        {
            create_default_groups(&conn, l.max_logins).await?;
        }
        if !monitor {
            // A one-shot command: it asks what it came for and leaves, changing nothing.
            attachment.default_group = attachment
                .login
                .map_or(1, |l| sclang_default_group(l.client_id));
            let live = Arc::new(Live {
                conn: conn.clone(),
                attachment,
                alloc,
            });
            self.inner.link.replace_live(Some(live));
            conn.clear_closed();
            self.set_state(ServerState::Online);
            self.emit(ServerEvent::Online);
            return Ok(());
        }
        // Seed the live tree; notifications keep it current from here on.
        let read = match first_read {
            Some(read) => read,
            None => read_whole_tree(&conn, attachment.login.is_some()).await,
        };
        let mut seeded = false;
        match read {
            Ok(mut read) => {
                if attachment.is_owner {
                    // We just booted it: nothing can have been paused yet.
                    read.tree.set_unknown_paused(false);
                }
                if !read.is_complete() {
                    let why = ServerError::TreeTooBig {
                        groups: read.unlisted.clone(),
                        synths: None,
                        subgroups: None,
                    };
                    self.inner.link.shared.note(format!("node tree: {why}"));
                }
                if let Some(l) = attachment.login {
                    attachment.default_group = if attachment.is_owner {
                        l.client_id + 1
                    } else {
                        guest_default_group(&read.tree, l)
                    };
                }
                if let Ok(mut t) = self.inner.link.shared.tree.lock() {
                    *t = read.tree;
                }
                seeded = true;
            }
            Err(e) => self
                .inner
                .link
                .shared
                .note(format!("could not read the node tree: {e}")),
        }
        if let Some(l) = attachment.login
            && !attachment.is_owner
        {
            if !seeded {
                attachment.default_group = sclang_default_group(l.client_id);
            }
            let group = attachment.default_group;
            if !self.with_tree(|t| t.get(group).is_some_and(|n| n.is_group())) {
                // As sclang makes its own: at the head of the root. It may exist after all
                // when the tree could not be read.
                match conn
                    .send_checked(OscPacket::Message(msg(
                        "/g_new",
                        [OscType::Int(group), OscType::Int(0), OscType::Int(0)],
                    )))
                    .await
                {
                    Err(ServerError::Fail { message, .. }) if message.contains("duplicate") => {}
                    r => r?,
                }
            }
        }
        conn.clear_closed();
        let live = Arc::new(Live {
            conn: conn.clone(),
            attachment,
            alloc,
        });
        self.inner.link.replace_live(Some(live.clone()));
        let monitor = tokio::spawn(health::monitor(self.weak(), Arc::downgrade(&live)));
        conn.add_task(monitor);
        let (tx, rx) = mpsc::channel(crate::link::shared::UNKNOWN_SYNTHS_QUEUE);
        if let Ok(mut slot) = self.inner.link.shared.unknown_synths.lock() {
            *slot = Some(tx);
        }
        conn.add_task(tokio::spawn(describe_synths(self.weak(), rx)));
        conn.add_task(tokio::spawn(crate::ops::control_watch::poll(
            Arc::downgrade(self.link()),
            self.inner.ops.controls.clone(),
        )));
        conn.add_task(tokio::spawn(crate::ops::own_nodes::keep_last(
            Arc::downgrade(self.link()),
        )));
        let loaded = match builtins_loaded {
            Some(loaded) => Some(loaded),
            None if live.attachment.login.is_some() => {
                Some(self.load_builtins(&live.attachment).await)
            }
            None => None,
        };
        if let Some(Err(e)) = loaded {
            self.inner
                .link
                .shared
                .note(format!("could not load scpanel's SynthDefs: {e}"));
        }
        self.set_state(ServerState::Online);
        self.emit(ServerEvent::Online);
        // Awaited, so the handle the caller gets has its meters and volume in place (the
        // process is watched already: a death here ends the wait at once).
        if live.attachment.login.is_some()
            && let Err(e) = self.mixer().restore().await
        {
            self.inner
                .link
                .shared
                .note(format!("could not restore the meters and volume: {e}"));
        }
        Ok(())
    }

    /// As a guest, asks the server for its sizes (`server::layout`) instead of assuming
    /// them; keeps the assumed ones, and says so, when it can't answer (audio stopped).
    pub(super) async fn learn_layout(
        &self,
        conn: &Connection,
        login: Login,
        attachment: &mut Attachment,
    ) {
        let ranges = ClientRanges::new(
            login.client_id.max(0) as u32,
            login.max_logins,
            &attachment.layout,
        );
        let probe = crate::ops::own_nodes::Own::LayoutProbe.id_in(&ranges);
        let note = match super::layout::ask(conn, probe).await {
            Ok(layout) => {
                let was = std::mem::replace(&mut attachment.layout, layout);
                let l = layout;
                format!(
                    "the server's sizes (asked it): {} outputs, {} inputs, {} audio buses, {} control buses, {} buffers{}",
                    l.output_channels,
                    l.input_channels,
                    l.audio_buses,
                    l.control_buses,
                    l.buffers,
                    if was == layout {
                        ""
                    } else {
                        " (not what the connect options assumed)"
                    }
                )
            }
            Err(e) => {
                let l = attachment.layout;
                format!(
                    "could not ask the server for its sizes ({e}); assuming {} outputs and {} inputs",
                    l.output_channels, l.input_channels
                )
            }
        };
        self.inner.link.shared.note(note);
    }

    /// Sound on the first try: a server we booted gets `default` and scpanel's own SynthDefs
    /// (as sclang loads its defaults at boot); one we only log in to gets just the
    /// `scpanel-…` ones, so no def someone else loaded is replaced.
    pub(super) fn builtins_for(attachment: &Attachment) -> Vec<crate::synthdef::SynthDef> {
        use crate::synthdef::builtins;
        let (ins, outs) = (
            attachment.layout.input_channels as usize,
            attachment.layout.output_channels as usize,
        );
        let mut names = vec!["scpanel-sine".to_string()];
        if attachment.is_owner {
            names.push("default".into());
        }
        for channels in [ins, outs].into_iter().filter(|c| *c > 0) {
            names.push(format!("scpanel-meter-{channels}"));
        }
        if outs > 0 {
            names.push(format!("scpanel-volume-{outs}"));
            names.push(format!("scpanel-recorder-{outs}"));
        }
        names.sort();
        names.dedup();
        names.iter().filter_map(|n| builtins::builtin(n)).collect()
    }

    pub(super) async fn load_builtins(&self, attachment: &Attachment) -> Result<()> {
        let defs = Self::builtins_for(attachment);
        self.synthdefs()
            .send(&defs, crate::synthdef::DefSource::BuiltIn)
            .await
    }

    /// [`Server::load_builtins`] before the handle is online (the one-flight login).
    pub(super) async fn load_builtins_on(
        &self,
        conn: &Connection,
        attachment: &Attachment,
    ) -> Result<()> {
        let defs = Self::builtins_for(attachment);
        self.synthdefs()
            .send_on(conn, &defs, crate::synthdef::DefSource::BuiltIn)
            .await
    }

    pub(super) async fn login(
        &self,
        conn: &Connection,
        client_id: Option<i32>,
        local_max: Option<u32>,
    ) -> Result<Login> {
        let mut args = vec![OscType::Int(1)];
        if let Some(id) = client_id {
            args.push(OscType::Int(id));
        }
        let reply = conn
            .request(
                OscPacket::Message(msg("/notify", args)),
                Expect::Done {
                    command: "/notify".into(),
                    id: None,
                },
                REQUEST_TIMEOUT,
            )
            .await;
        match reply {
            Ok(m) => {
                let id = protocol::int_arg(&m, 1).unwrap_or(0);
                // supernova does not report max logins: fall back to what we booted with.
                let max = protocol::int_arg(&m, 2)
                    .and_then(|v| u32::try_from(v).ok())
                    .or(local_max)
                    .unwrap_or(1);
                Ok(Login {
                    client_id: id,
                    max_logins: max,
                })
            }
            Err(ServerError::Fail { message, .. }) if message.contains("too many users") => {
                Err(ServerError::TooManyClients {
                    max_logins: local_max,
                })
            }
            Err(ServerError::Fail { message, .. }) if message.contains("already registered") => {
                let message = if conn.transport.protocol == Protocol::Tcp {
                    // scsynth 3.13 takes every TCP client for the same address.
                    "scsynth lets only one TCP client log in, and one already has: \
                     watch without logging in, or use a UDP server"
                } else {
                    "this address is already logged in: disconnect the other client first"
                };
                Err(ServerError::Fail {
                    command: "/notify".into(),
                    message: message.into(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Connects to a running server (which we then don't own).
    pub async fn connect(&self, options: ConnectOptions) -> Result<()> {
        self.user_took_over();
        let _lifecycle = self.inner.lifecycle.lock().await;
        self.connect_locked(options).await
    }

    /// [`Server::connect`] for a caller that holds the lifecycle lock.
    pub(crate) async fn connect_locked(&self, options: ConnectOptions) -> Result<()> {
        self.ensure_offline()?;
        self.set_state(ServerState::Connecting);
        self.emit(ServerEvent::Connecting);
        let result = self.connect_inner(&options).await;
        match &result {
            Ok(()) => {
                // A rejoin asks for the same client id (scsynth gives it back when free).
                let mut again = options;
                again.client_id = self.client_id().or(again.client_id);
                again.login = self.client_id().is_some();
                if let Ok(mut c) = self.inner.last_connect.lock() {
                    *c = Some(again);
                }
            }
            Err(_) => self.go_offline(None),
        }
        result
    }

    /// [`Server::connect`] to each of `addrs` in turn (a name's addresses, as the resolver
    /// sorted them: `localhost` may be 127.0.0.1 and ::1) until one answers. Only a silent
    /// or closed address moves on to the next; a server that answered and refused ends it.
    /// `options.addr` is left at the address tried last: the one that answered, if any.
    pub async fn connect_any(
        &self,
        options: &mut ConnectOptions,
        addrs: &[SocketAddr],
    ) -> Result<()> {
        let mut failures: Vec<(String, String)> = Vec::new();
        for addr in addrs {
            options.addr = *addr;
            match self.connect(options.clone()).await {
                Err(ServerError::Unreachable { addr, reason }) => failures.push((addr, reason)),
                other => return other,
            }
        }
        match failures.len() {
            0 => Err(ServerError::Unreachable {
                addr: "no address".into(),
                reason: "the name has no addresses".into(),
            }),
            1 => {
                let (addr, reason) = failures.remove(0);
                Err(ServerError::Unreachable { addr, reason })
            }
            n => Err(ServerError::Unreachable {
                addr: format!(
                    "any of its {n} addresses ({})",
                    failures
                        .iter()
                        .map(|(a, _)| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                reason: failures
                    .iter()
                    .map(|(a, r)| format!("{a}: {r}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
        }
    }

    pub(super) async fn connect_inner(&self, options: &ConnectOptions) -> Result<()> {
        let shared = self.inner.link.shared.clone();
        let conn = Connection::open(
            shared.clone(),
            self.subscribers(),
            options.addr,
            options.protocol,
            options.password.as_deref(),
        )
        .await?;
        // Make sure something answers before logging in.
        let probe = conn
            .request(
                OscPacket::Message(msg("/status", [])),
                Expect::Address("/status.reply"),
                Duration::from_millis(1500),
            )
            .await;
        if let Err(e) = probe {
            if options.protocol == Protocol::Tcp && options.password.is_some() {
                if let Ok(mut p) = self.inner.parked.lock() {
                    p.push(conn);
                }
                return Err(ServerError::Unreachable {
                    addr: format!("tcp://{}", options.addr),
                    reason: "no answer after the password: it is probably wrong (scsynth gives no error). \
                             The connection stays open, because closing it would stop scsynth"
                        .into(),
                });
            }
            return Err(ServerError::Unreachable {
                addr: format!("{}://{}", options.protocol.as_str(), options.addr),
                reason: e.to_string(),
            });
        }
        let attachment = Attachment {
            addr: options.addr,
            protocol: options.protocol,
            is_owner: false,
            login: None,
            default_group: 1,
            layout: options.layout,
            pid: None,
        };
        let joining = Joining {
            login: options.login,
            monitor: options.monitor,
            ask_layout: options.ask_layout,
            client_id: options.client_id,
            local_max_logins: None,
        };
        self.establish(conn, attachment, joining).await
    }
}
