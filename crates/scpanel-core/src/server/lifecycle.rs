//! Booting, connecting, quitting, rebooting and resetting: how a [`Server`] comes online and
//! goes offline.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use rosc::{OscPacket, OscType};
use tokio::sync::mpsc;

use crate::ops::tree_read::{self, ReadOptions};
use crate::error::{Result, ServerError};
use crate::link::{Attachment, ConnectOptions, Live, ServerEvent, ServerState, client_address};
use crate::model::options::{Options, Protocol};
use crate::server::handle::{Inner, Server};
use crate::wire::protocol::bundle_of;
use crate::host::find;
use crate::host::output::LineKind;
use crate::host::ports;
use crate::host::process::ServerProcess;
use crate::model::alloc::{Allocators, ClientRanges, ServerLayout};
use crate::model::tree::NodeTree;
use crate::server::{health, rejoin};
use crate::wire::connection::{Connection, Login, REQUEST_TIMEOUT, SYNC_TIMEOUT};
use crate::wire::protocol::{self, Expect, msg};
use crate::wire::transport;

/// How `establish` joins a server.
struct Joining {
    login: bool,
    monitor: bool,
    /// Ask the server for its sizes (as a guest that logs in).
    ask_layout: bool,
    client_id: Option<i32>,
    /// Max logins as we booted the server with them.
    local_max_logins: Option<u32>,
}

impl Server {
    // ---- lifecycle ----

    /// Boots a server with `options` and waits until it is online and we are logged in.
    pub async fn boot(&self, options: Options) -> Result<()> {
        self.user_took_over();
        let _lifecycle = self.inner.lifecycle.lock().await;
        self.boot_locked(options).await
    }

    /// [`Server::boot`] for a caller that holds the lifecycle lock.
    pub(crate) async fn boot_locked(&self, options: Options) -> Result<()> {
        self.ensure_offline()?;
        options.validate().map_err(ServerError::InvalidOptions)?;
        check_port_free(&options)?;
        let program = find::find_executable(options.executable.as_deref())?;
        if let Ok(mut o) = self.inner.options.lock() {
            *o = options.clone();
        }
        self.set_state(ServerState::Booting);
        self.emit(ServerEvent::Booting);
        match self.boot_inner(&options, &program).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.inner.link.shared.note(format!("boot failed: {e}"));
                self.note_rate_mismatch();
                let process = self.inner.link.replace_process(None);
                if let Some(p) = process {
                    p.terminate(Duration::from_secs(1)).await;
                }
                self.go_offline(None);
                Err(e)
            }
        }
    }

    async fn boot_inner(&self, options: &Options, program: &std::path::Path) -> Result<()> {
        let shared = self.inner.link.shared.clone();
        let argv = options.argv();
        let (line_tx, mut lines) = mpsc::unbounded_channel();
        let env = jack_connection_env(options);
        let process = ServerProcess::spawn(program, &argv, &env, shared.log.clone(), line_tx)?;
        // The run's separator, then its command line, ahead of the first line it prints.
        if let Ok(mut l) = shared.log.lock() {
            l.run_started(process.pid, &program.display().to_string());
        }
        shared.note(format!(
            "$ {}",
            options.command_line(&program.display().to_string())
        ));
        self.inner.link.replace_process(Some(process.clone()));
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + options.boot_timeout;
        let addr = client_address(&options.bind_address, options.port);
        // Over UDP we can ask /status before the ready line: that is how `-V -1` boots.
        let mut conn = match options.protocol {
            Protocol::Udp => Some(
                Connection::open(
                    shared.clone(),
                    self.subscribers(),
                    addr,
                    Protocol::Udp,
                    None,
                )
                .await?,
            ),
            Protocol::Tcp => None,
        };
        let password = Some(options.password.as_str()).filter(|p| !p.is_empty());
        let mut probe = tokio::time::interval(Duration::from_millis(50));
        probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ready_line = false;
        loop {
            tokio::select! {
                line = lines.recv() => {
                    if let Some((LineKind::Ready, _)) = line {
                        ready_line = true;
                        break;
                    }
                    if line.is_none() {
                        // Both pipes closed: the process is ending; its exit is reported below.
                        let exit = process.wait().await;
                        return Err(self.classify_boot_failure(&process, options, exit).await);
                    }
                }
                exit = process.wait() => {
                    return Err(self.classify_boot_failure(&process, options, exit).await);
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let last_lines = shared.log.lock().map(|l| l.tail(8)).unwrap_or_default();
                    return Err(ServerError::BootTimeout { after: options.boot_timeout, last_lines });
                }
                _ = probe.tick() => {
                    if let Some(c) = &conn {
                        if c.last_heard().is_some() {
                            break;
                        }
                        let _ = c.send_msg(msg("/status", [])).await;
                    } else if started.elapsed() > Duration::from_millis(300)
                        && let Ok(c) = Connection::open(shared.clone(), self.subscribers(), addr, Protocol::Tcp, password).await
                    {
                        // A TCP listener that accepted us is up (password, if any, sent first).
                        conn = Some(c);
                        break;
                    }
                }
            }
        }
        self.emit(ServerEvent::ProcessBooted);
        shared.note(format!(
            "server process {} is up after {} ms{}",
            process.pid,
            started.elapsed().as_millis(),
            if ready_line {
                ""
            } else {
                " (answered /status)"
            }
        ));
        let conn = match conn {
            Some(c) => c,
            None => {
                Connection::open(
                    shared.clone(),
                    self.subscribers(),
                    addr,
                    Protocol::Tcp,
                    password,
                )
                .await?
            }
        };
        // Keep the server's output flowing into the log (and repaint) after boot.
        let drain_shared = shared.clone();
        conn.add_task(tokio::spawn(async move {
            while lines.recv().await.is_some() {
                drain_shared.changed();
            }
        }));
        let layout = ServerLayout::from_options(options);
        let attachment = Attachment {
            addr,
            protocol: options.protocol,
            is_owner: true,
            login: None,
            default_group: 1,
            layout,
            pid: Some(process.pid),
        };
        // Watched from here on: a death while we log in and set up is a panic like any other,
        // and ends what waits on the server at once.
        self.watch_process(process.clone());
        let joining = Joining {
            login: true,
            monitor: true,
            ask_layout: false,
            client_id: None,
            local_max_logins: Some(options.max_logins),
        };
        self.establish(conn, attachment, joining).await?;
        if options.connect_jack_ports {
            self.note_jack_connections(&process);
        }
        self.note_rate_mismatch();
        Ok(())
    }

    async fn classify_boot_failure(
        &self,
        process: &ServerProcess,
        options: &Options,
        exit: crate::host::process::ExitInfo,
    ) -> ServerError {
        process.drained(Duration::from_millis(500)).await;
        let (kinds, last_lines): (Vec<(LineKind, String)>, Vec<String>) = self.with_log(|l| {
            let kinds = l
                .lines()
                .filter(|l| l.at >= process.started)
                .map(|l| (l.kind, l.text.clone()))
                .collect();
            (kinds, l.tail(8))
        });
        if kinds.iter().any(|(k, _)| *k == LineKind::PortInUse) {
            return port_in_use(options);
        }
        let audio: Vec<String> = kinds
            .iter()
            .filter(|(k, _)| *k == LineKind::NoAudio)
            .map(|(_, t)| t.clone())
            .collect();
        if !audio.is_empty() {
            return ServerError::NoAudio {
                detail: audio.join(" / "),
            };
        }
        ServerError::ProcessExited {
            exit: exit.to_string(),
            last_lines,
        }
    }

    /// Logs in (if asked), sets up default groups and the health monitor, and goes online.
    async fn establish(
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
                .inner.link.shared
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
        conn.add_task(tokio::spawn(crate::ops::control_watch::poll(Arc::downgrade(self.link()), self.inner.ops.controls.clone())));
        conn.add_task(tokio::spawn(crate::ops::own_nodes::keep_last(Arc::downgrade(self.link()))));
        let loaded = match builtins_loaded {
            Some(loaded) => Some(loaded),
            None if live.attachment.login.is_some() => Some(self.load_builtins(&live.attachment).await),
            None => None,
        };
        if let Some(Err(e)) = loaded {
            self.inner.link.shared
                .note(format!("could not load scpanel's SynthDefs: {e}"));
        }
        self.set_state(ServerState::Online);
        self.emit(ServerEvent::Online);
        // Awaited, so the handle the caller gets has its meters and volume in place (the
        // process is watched already: a death here ends the wait at once).
        if live.attachment.login.is_some()
            && let Err(e) = self.mixer().restore().await
        {
            self.inner.link.shared
                .note(format!("could not restore the meters and volume: {e}"));
        }
        Ok(())
    }

    /// As a guest, asks the server for its sizes (`server::layout`) instead of assuming
    /// them; keeps the assumed ones, and says so, when it can't answer (audio stopped).
    async fn learn_layout(&self, conn: &Connection, login: Login, attachment: &mut Attachment) {
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
    fn builtins_for(attachment: &Attachment) -> Vec<crate::synthdef::SynthDef> {
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

    async fn load_builtins(&self, attachment: &Attachment) -> Result<()> {
        let defs = Self::builtins_for(attachment);
        self.synthdefs().send(&defs, crate::synthdef::DefSource::BuiltIn)
            .await
    }

    /// [`Server::load_builtins`] before the handle is online (the one-flight login).
    async fn load_builtins_on(&self, conn: &Connection, attachment: &Attachment) -> Result<()> {
        let defs = Self::builtins_for(attachment);
        self.synthdefs().send_on(conn, &defs, crate::synthdef::DefSource::BuiltIn)
            .await
    }

    async fn login(
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

    fn watch_process(&self, process: Arc<ServerProcess>) {
        let weak = self.weak();
        let task = tokio::spawn(async move {
            let exit = process.wait().await;
            let Some(server) = Server::from_weak(&weak) else {
                return;
            };
            let current = server.inner.link.process()
                .is_some_and(|p| Arc::ptr_eq(&p, &process));
            // An exit we asked for, or of a process already replaced (a reboot), is no panic.
            if process.exit_expected() || !current {
                return;
            }
            process.drained(Duration::from_millis(200)).await;
            let last_lines = server.with_log(|l| l.tail(8));
            if let Ok(mut l) = server.inner.link.shared.log.lock() {
                l.crash(format!("the server process ended by itself ({exit})"));
            }
            let addr = server.attachment().map(|s| s.addr);
            let epoch = rejoin::record_loss(
                &server,
                true,
                format!("the server process ended by itself ({exit})"),
            );
            server.go_offline(Some(ServerEvent::ProcessPanicked { exit, last_lines }));
            match addr {
                Some(addr) => {
                    let options = Box::new(server.options());
                    rejoin::after_loss(&server, rejoin::Loss::Crashed { options, addr }, epoch);
                }
                // It died while coming up: the boot reports that failure itself, and nothing
                // is retried behind the user's back.
                None => rejoin::nothing_to_bring_back(&server),
            }
        });
        // Not tied to the connection: it must outlive a connection that is shut down.
        drop(task);
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

    async fn connect_inner(&self, options: &ConnectOptions) -> Result<()> {
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
            self.inner.link.shared
                .note(format!("no /done for /quit ({e}); stopping the process"));
        }
        if let Some(p) = process {
            // A big server takes a second or two to exit after /done /quit.
            if tokio::time::timeout(Duration::from_secs(3), p.wait())
                .await
                .is_err()
            {
                self.inner.link.shared
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
    async fn finish_recording(&self) {
        if self.recorder().recording().is_some()
            && let Err(e) = self.recorder().stop().await
        {
            self.inner.link.shared
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

/// Fills in the SynthDef names of synths other clients make: notifications carry none, so
/// each such synth's group is read with `/g_queryTree group 0`. Names alone cost ~16 bytes
/// a synth (a reply holds ~4,000); controls would overflow a group of ~1,000 and cost a
/// churning server's every read, so they are read only for the synths on screen
/// (`Server::watch_controls`).
///
/// A group too big for one reply names none of its synths; on a server this process booted
/// they are read from the server's printout of its tree instead, at most one printout every
/// [`PRINTOUT_INTERVAL`] (another client making synths one by one in such a group would
/// otherwise have the server print it whole for each).
async fn describe_synths(server: Weak<Inner>, mut groups: mpsc::Receiver<i32>) {
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
            let Ok(sub) = crate::ops::tree_query::query_group_once(server.link(), group, false).await else {
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
const PRINTOUT_INTERVAL: Duration = Duration::from_secs(1);

/// The server's environment: the options' own, plus sclang's JACK variables that make
/// scsynth connect its ports to the system's at boot (unless turned off or set already).
fn jack_connection_env(options: &Options) -> Vec<(String, String)> {
    let mut env = options.env.clone();
    if options.connect_jack_ports {
        for var in ["SC_JACK_DEFAULT_OUTPUTS", "SC_JACK_DEFAULT_INPUTS"] {
            if !env.iter().any(|(k, _)| k == var) && std::env::var_os(var).is_none() {
                env.push((var.to_string(), "system".to_string()));
            }
        }
    }
    env
}

impl Server {
    /// Explains in the log a sample rate the server was asked for and does not run at.
    fn note_rate_mismatch(&self) {
        let explained = self.with_log(|l| {
            crate::host::sample_rate::explain_mismatch(l.lines().map(|l| l.text.as_str()))
        });
        if let Some(text) = explained {
            self.inner.link.shared.note(format!("sample rate: {text}"));
        }
    }

    /// Says in the log what scsynth connected at boot, or that there was nothing to connect.
    fn note_jack_connections(&self, process: &ServerProcess) {
        let connected = self.with_log(|l| {
            l.lines()
                .filter(|l| l.at >= process.started && l.text.contains("JackDriver: connected"))
                .count()
        });
        let jack = self.with_log(|l| {
            l.lines()
                .any(|l| l.at >= process.started && l.text.starts_with("JackDriver"))
        });
        if jack && connected == 0 {
            self.inner.link.shared.note(
                "JACK: nothing was connected (no system playback or capture ports): connect \
                 the server's ports yourself, e.g. in Levels & record",
            );
        } else if connected > 0 {
            self.inner.link.shared.note(format!(
                "JACK: {connected} port(s) connected to the system's playback and capture ports"
            ));
        }
    }
}

/// Refuses a port another program holds: a server already there would answer our probes.
/// The address the server will bind (scsynth's default when the field doesn't parse).
fn bind_ip(options: &Options) -> IpAddr {
    options
        .bind_address
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

fn check_port_free(options: &Options) -> Result<()> {
    let ip = bind_ip(options);
    if options.port == 0 {
        return Ok(());
    }
    let addr = SocketAddr::new(ip, options.port);
    let taken = match options.protocol {
        Protocol::Udp => std::net::UdpSocket::bind(addr)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse),
        Protocol::Tcp => std::net::TcpListener::bind(addr)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse),
    };
    if taken {
        return Err(port_in_use(options));
    }
    Ok(())
}

fn port_in_use(options: &Options) -> ServerError {
    ServerError::PortInUse {
        port: options.port,
        protocol: options.protocol.as_str(),
        suggestion: transport::find_free_port_from(options.port.saturating_add(1)),
        holder: ports::port_holder(bind_ip(options), options.port, options.protocol),
    }
}

/// sclang's default group for a client: the first id of its block, `id·2^26 + 1`.
pub fn sclang_default_group(client_id: i32) -> i32 {
    client_id.clamp(0, 31).wrapping_shl(26) | 1
}

/// The default group a guest uses: the owner's for its client id when there is one (sclang
/// makes `id·2^26 + 1`; supriya and scpanel make `id + 1` for every login), otherwise sclang's,
/// which is made in the guest's own id block and so can't take an id anyone else will use.
pub fn guest_default_group(tree: &NodeTree, login: Login) -> i32 {
    let sclang = sclang_default_group(login.client_id);
    let is_root_group = |id: i32| {
        tree.get(id)
            .is_some_and(|n| n.is_group() && n.parent == tree.root)
    };
    if is_root_group(sclang) {
        return sclang;
    }
    // `id + 1` is also sclang's first permanent id (`s.nextPermNodeID`): take it for a default
    // group only when every login's group of the supriya layout is there.
    let logins = login.max_logins.clamp(1, 32) as i32;
    let supriya = login.client_id + 1;
    if supriya <= logins && (1..=logins).all(is_root_group) {
        return supriya;
    }
    sclang
}

/// One default group per login, `id + 1` at the tail of the root, as supriya makes them.
/// Reads the whole tree for the live mirror, names and controls (`walk`: logged in, so an
/// overflowing group can be walked with `/n_query`).
async fn read_whole_tree(conn: &Connection, walk: bool) -> Result<tree_read::TreeRead> {
    let _one_at_a_time = conn.tree_query_lock().await;
    let opts = ReadOptions {
        controls: true,
        walk,
        ..ReadOptions::default()
    };
    tree_read::read(conn, 0, &opts).await
}

async fn create_default_groups(conn: &Connection, max_logins: u32) -> Result<()> {
    let groups = (0..max_logins as i32)
        .map(|i| {
            msg(
                "/g_new",
                [OscType::Int(i + 1), OscType::Int(1), OscType::Int(0)],
            )
        })
        .collect();
    conn.send_checked(bundle_of(groups)).await
}
