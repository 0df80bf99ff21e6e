//! Booting a server of our own: the program, its output, the ready line, and what a failed
//! boot means (a port in use, no audio device, a rate the hardware can't run).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::join::Joining;
use crate::error::{Result, ServerError};
use crate::host::find;
use crate::host::output::LineKind;
use crate::host::ports;
use crate::host::process::ServerProcess;
use crate::link::{Attachment, ServerEvent, ServerState, client_address};
use crate::model::alloc::ServerLayout;
use crate::model::options::{Options, Protocol};
use crate::server::handle::Server;
use crate::server::rejoin;
use crate::wire::connection::Connection;
use crate::wire::protocol::msg;
use crate::wire::transport;

/// The server's environment: the options' own, plus sclang's JACK variables that make
/// scsynth connect its ports to the system's at boot (unless turned off or set already).
pub(super) fn jack_connection_env(options: &Options) -> Vec<(String, String)> {
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

/// Refuses a port another program holds: a server already there would answer our probes.
/// The address the server will bind (scsynth's default when the field doesn't parse).
pub(super) fn bind_ip(options: &Options) -> IpAddr {
    options
        .bind_address
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

pub(super) fn check_port_free(options: &Options) -> Result<()> {
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

pub(super) fn port_in_use(options: &Options) -> ServerError {
    ServerError::PortInUse {
        port: options.port,
        protocol: options.protocol.as_str(),
        suggestion: transport::find_free_port_from(options.port.saturating_add(1)),
        holder: ports::port_holder(bind_ip(options), options.port, options.protocol),
    }
}

impl Server {
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

    pub(super) async fn boot_inner(
        &self,
        options: &Options,
        program: &std::path::Path,
    ) -> Result<()> {
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

    pub(super) async fn classify_boot_failure(
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

    pub(super) fn watch_process(&self, process: Arc<ServerProcess>) {
        let weak = self.weak();
        let task = tokio::spawn(async move {
            let exit = process.wait().await;
            let Some(server) = Server::from_weak(&weak) else {
                return;
            };
            let current = server
                .inner
                .link
                .process()
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

    /// Explains in the log a sample rate the server was asked for and does not run at.
    pub(super) fn note_rate_mismatch(&self) {
        let explained = self.with_log(|l| {
            crate::host::sample_rate::explain_mismatch(l.lines().map(|l| l.text.as_str()))
        });
        if let Some(text) = explained {
            self.inner.link.shared.note(format!("sample rate: {text}"));
        }
    }

    /// Says in the log what scsynth connected at boot, or that there was nothing to connect.
    pub(super) fn note_jack_connections(&self, process: &ServerProcess) {
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
