//! OSC over UDP and TCP. TCP frames are int32 length-prefixed, as scsynth's `-t` expects.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rosc::OscPacket;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{Mutex, mpsc};

use crate::error::{Result, ServerError};
use crate::wire::packet_guard::{self, MAX_FRAME};
use crate::wire::tap::LossCounters;
use serde::{Deserialize, Serialize};

/// How clients talk to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// UDP (scsynth's `-u`), the default: one packet per datagram, at most 64 KiB.
    #[default]
    Udp,
    /// TCP (scsynth's `-t`): size-prefixed packets, and a session password if one is set.
    Tcp,
}

impl Protocol {
    /// `"udp"` or `"tcp"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
        }
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "udp" => Ok(Protocol::Udp),
            "tcp" => Ok(Protocol::Tcp),
            other => Err(format!("protocol must be udp or tcp, not {other:?}")),
        }
    }
}

/// scsynth never sends a datagram bigger than this; reading less truncates large replies.
pub(crate) const MAX_DATAGRAM: usize = 65536;

/// A server that does not accept a TCP connection within this long is reported unreachable
/// (an address that drops packets would otherwise hang for the kernel's two minutes).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A TCP peer that stops reading (scsynth stalls on a wrong password) fails the write after
/// this long instead of blocking the sender forever.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Packets waiting for the dispatcher, at most: past this (or [`QUEUE_BYTES`]) a UDP
/// packet is dropped and counted. A TCP reader waits instead (the stream carries the
/// back-pressure to the server).
pub const QUEUE_PACKETS: usize = 16_384;
/// Bytes of packets waiting for the dispatcher, at most.
pub const QUEUE_BYTES: usize = 16 * 1024 * 1024;

/// What the receive side hands on.
#[derive(Debug)]
pub enum Incoming {
    /// A packet that passed the packet guard; `bytes` is its size on the wire.
    Packet {
        /// The decoded packet.
        packet: OscPacket,
        /// Its size on the wire.
        bytes: usize,
    },
    /// Bytes refused by the packet guard (counted and logged, never fatal).
    Garbage(String),
    /// The other end is gone: UDP port unreachable, or the TCP stream closed.
    Closed(String),
}

/// The sending end of the bounded queue from a reader task to the dispatcher.
pub struct Feed {
    tx: mpsc::Sender<Incoming>,
    queued_bytes: Arc<AtomicUsize>,
    losses: Arc<LossCounters>,
}

/// The dispatcher's end of the queue.
pub struct FeedReceiver {
    rx: mpsc::Receiver<Incoming>,
    queued_bytes: Arc<AtomicUsize>,
}

/// A bounded queue for one connection; drops are counted in `losses`.
pub fn feed(losses: Arc<LossCounters>) -> (Feed, FeedReceiver) {
    let (tx, rx) = mpsc::channel(QUEUE_PACKETS);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    (
        Feed {
            tx,
            queued_bytes: queued_bytes.clone(),
            losses,
        },
        FeedReceiver { rx, queued_bytes },
    )
}

impl FeedReceiver {
    #[cfg(feature = "internals")]
    /// Packets waiting.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    #[cfg(feature = "internals")]
    /// Whether no packet is waiting.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    #[cfg(feature = "internals")]
    /// Bytes of the packets waiting.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Relaxed)
    }

    /// The next packet or event, or `None` once the socket is gone.
    pub async fn recv(&mut self) -> Option<Incoming> {
        let incoming = self.rx.recv().await?;
        if let Incoming::Packet { bytes, .. } = &incoming {
            self.queued_bytes.fetch_sub(*bytes, Ordering::Relaxed);
        }
        Some(incoming)
    }
}

/// Whether the queue is gone (the connection was dropped): the reader can stop.
struct Gone;

impl Feed {
    /// Hands on a datagram's content; drops and counts it when the queue is full.
    fn offer(&self, incoming: Incoming) -> std::result::Result<(), Gone> {
        let bytes = match &incoming {
            Incoming::Packet { bytes, .. } => *bytes,
            _ => 0,
        };
        if self.queued_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes > QUEUE_BYTES {
            self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            self.losses.count_dropped(1);
            return Ok(());
        }
        match self.tx.try_send(incoming) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                self.losses.count_dropped(1);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Gone),
        }
    }

    /// Hands on a stream's content, waiting for room (nothing is lost).
    async fn wait_send(&self, incoming: Incoming) -> std::result::Result<(), Gone> {
        if let Incoming::Packet { bytes, .. } = &incoming {
            self.queued_bytes.fetch_add(*bytes, Ordering::Relaxed);
        }
        self.tx.send(incoming).await.map_err(|_| Gone)
    }
}

/// A UDP or TCP socket to one server. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Sender>,
    /// UDP or TCP.
    pub protocol: Protocol,
}

enum Sender {
    Udp(Arc<UdpSocket>),
    Tcp(Mutex<TcpWriter>),
}

struct TcpWriter {
    half: OwnedWriteHalf,
    /// Set once a write timed out part-way: the stream's framing is lost for good.
    broken: Option<String>,
}

/// The local address to send from: loopback to loopback, of the peer's family.
fn local_for(peer: SocketAddr) -> SocketAddr {
    let ip: std::net::IpAddr = match (peer.is_ipv6(), peer.ip().is_loopback()) {
        (false, true) => Ipv4Addr::LOCALHOST.into(),
        (false, false) => Ipv4Addr::UNSPECIFIED.into(),
        (true, true) => Ipv6Addr::LOCALHOST.into(),
        (true, false) => Ipv6Addr::UNSPECIFIED.into(),
    };
    SocketAddr::new(ip, 0)
}

impl Transport {
    /// Opens the transport and starts a task feeding `feed` with what arrives.
    /// For TCP with a password, the password is the first frame.
    pub async fn open(
        peer: SocketAddr,
        protocol: Protocol,
        password: Option<&str>,
        feed: Feed,
    ) -> Result<(Transport, tokio::task::JoinHandle<()>)> {
        let unreachable = |e: std::io::Error| ServerError::Unreachable {
            addr: format!("{}://{peer}", protocol.as_str()),
            reason: e.to_string(),
        };
        match protocol {
            Protocol::Udp => {
                let sock = UdpSocket::bind(local_for(peer))
                    .await
                    .map_err(unreachable)?;
                enlarge_receive_buffer(&sock);
                sock.connect(peer).await.map_err(unreachable)?;
                let sock = Arc::new(sock);
                let task = tokio::spawn(udp_reader(sock.clone(), feed));
                Ok((
                    Transport {
                        inner: Arc::new(Sender::Udp(sock)),
                        protocol,
                    },
                    task,
                ))
            }
            Protocol::Tcp => {
                let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(peer))
                    .await
                    .map_err(|_| ServerError::Unreachable {
                        addr: format!("tcp://{peer}"),
                        reason: format!(
                            "no answer to the TCP connection within {} s",
                            CONNECT_TIMEOUT.as_secs()
                        ),
                    })?
                    .map_err(unreachable)?;
                stream.set_nodelay(true).ok();
                let (read, write) = stream.into_split();
                let mut writer = TcpWriter {
                    half: write,
                    broken: None,
                };
                if let Some(pw) = password.filter(|p| !p.is_empty()) {
                    writer.write_frame(pw.as_bytes()).await?;
                }
                let task = tokio::spawn(tcp_reader(read, feed));
                Ok((
                    Transport {
                        inner: Arc::new(Sender::Tcp(Mutex::new(writer))),
                        protocol,
                    },
                    task,
                ))
            }
        }
    }

    /// Encodes and sends one packet.
    pub async fn send(&self, packet: &OscPacket) -> Result<()> {
        let bytes = rosc::encoder::encode(packet)?;
        self.send_bytes(&bytes).await
    }

    /// Sends an encoded packet as it is.
    pub async fn send_bytes(&self, bytes: &[u8]) -> Result<()> {
        match &*self.inner {
            Sender::Udp(sock) => match sock.send(bytes).await {
                // A "port unreachable" left over from an earlier send (while the server was
                // still starting) is reported once, on the next call: that one may go again.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    sock.send(bytes).await?;
                }
                r => {
                    r?;
                }
            },
            Sender::Tcp(w) => {
                w.lock().await.write_frame(bytes).await?;
            }
        }
        Ok(())
    }

    /// How many bytes the kernel may queue for us before it drops datagrams (a generous
    /// guess for TCP, whose stream does not drop).
    pub(crate) fn receive_buffer_bytes(&self) -> usize {
        match &*self.inner {
            Sender::Udp(sock) => receive_buffer(sock).unwrap_or(212_992),
            Sender::Tcp(_) => 4 * 1024 * 1024,
        }
    }

    #[cfg(feature = "internals")]
    /// Our end of the socket.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &*self.inner {
            Sender::Udp(s) => s.local_addr().ok(),
            Sender::Tcp(_) => None,
        }
    }
}

/// A burst of thousands of `/n_go` notifications overflows the default 208 KiB socket
/// buffer and the kernel drops datagrams (a `/synced` among them): ask for 8 MiB.
fn enlarge_receive_buffer(sock: &UdpSocket) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let size: libc::c_int = 8 * 1024 * 1024;
        let fd = sock.as_raw_fd();
        for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
            // SAFETY: setsockopt on our own open socket with a correctly sized int.
            let r = unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    opt,
                    (&size as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            if r == 0 {
                break;
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = sock;
}

/// The receive buffer the kernel gave the socket.
fn receive_buffer(sock: &UdpSocket) -> Option<usize> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let mut size: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt on our own open socket into a correctly sized int.
        let r = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut size as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        (r == 0).then(|| usize::try_from(size).ok()).flatten()
    }
    #[cfg(not(unix))]
    {
        let _ = sock;
        None
    }
}

impl TcpWriter {
    async fn write_frame(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(why) = &self.broken {
            return Err(ServerError::Io(why.clone()));
        }
        let len = i32::try_from(bytes.len())
            .map_err(|_| ServerError::Osc(format!("a {}-byte packet is too big", bytes.len())))?;
        let mut frame = Vec::with_capacity(bytes.len() + 4);
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(bytes);
        match tokio::time::timeout(WRITE_TIMEOUT, self.half.write_all(&frame)).await {
            Ok(r) => Ok(r?),
            Err(_) => {
                let why = format!(
                    "the server stopped reading the TCP connection (a write waited {} s); connect again",
                    WRITE_TIMEOUT.as_secs()
                );
                self.broken = Some(why);
                Err(ServerError::Timeout {
                    request: "a TCP write".into(),
                    after: WRITE_TIMEOUT,
                })
            }
        }
    }
}

fn decode(bytes: &[u8]) -> Incoming {
    match packet_guard::decode(bytes) {
        Ok(packet) => Incoming::Packet {
            packet,
            bytes: bytes.len(),
        },
        Err(e) => Incoming::Garbage(e.0),
    }
}

async fn udp_reader(sock: Arc<UdpSocket>, feed: Feed) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let incoming = match sock.recv(&mut buf).await {
            Ok(n) => decode(buf.get(..n).unwrap_or(&[])),
            // An ICMP "port unreachable" for an earlier send: nobody listens there now.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                if feed
                    .wait_send(Incoming::Closed("port unreachable".into()))
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            Err(e) => {
                let _ = feed.wait_send(Incoming::Closed(e.to_string())).await;
                return;
            }
        };
        if feed.offer(incoming).is_err() {
            return;
        }
    }
}

/// Bytes read at a time while skipping a frame too long to keep.
const SKIP_CHUNK: usize = 8192;

async fn tcp_reader(mut read: OwnedReadHalf, feed: Feed) {
    let mut len_buf = [0u8; 4];
    let mut buf = Vec::with_capacity(MAX_FRAME);
    loop {
        if let Err(e) = read.read_exact(&mut len_buf).await {
            let _ = feed
                .wait_send(Incoming::Closed(format!("connection closed ({e})")))
                .await;
            return;
        }
        let len = i32::from_be_bytes(len_buf);
        let Ok(len) = usize::try_from(len) else {
            // A negative length: the stream can't be followed any further.
            let _ = feed
                .wait_send(Incoming::Closed(format!(
                    "the server sent a frame of length {len}; connect again"
                )))
                .await;
            return;
        };
        let incoming = if len > MAX_FRAME {
            // Read past it in small pieces: the claimed size is never allocated.
            let mut left = len;
            let mut chunk = [0u8; SKIP_CHUNK];
            while left > 0 {
                let n = left.min(SKIP_CHUNK);
                if let Err(e) = read.read_exact(&mut chunk[..n]).await {
                    let _ = feed
                        .wait_send(Incoming::Closed(format!("connection closed ({e})")))
                        .await;
                    return;
                }
                left -= n;
            }
            Incoming::Garbage(format!("a {len}-byte TCP frame (the limit is {MAX_FRAME})"))
        } else {
            buf.resize(len, 0);
            if let Err(e) = read.read_exact(&mut buf).await {
                let _ = feed
                    .wait_send(Incoming::Closed(format!("connection closed ({e})")))
                    .await;
                return;
            }
            decode(&buf)
        };
        if feed.wait_send(incoming).await.is_err() {
            return;
        }
    }
}

/// The first port at or after `start` that is free for both UDP and TCP on the loopback
/// address right now, so a musician is offered 57111 after 57110 rather than a random number.
pub(crate) fn find_free_port_from(start: u16) -> Option<u16> {
    (start.max(1)..=u16::MAX).find(|&port| port_is_free(port))
}

/// The port scsynth listens on unless told otherwise (`-u 57110`).
pub const DEFAULT_PORT: u16 = 57110;

/// A free port near scsynth's default, 57110.
pub fn find_free_port() -> Option<u16> {
    find_free_port_from(DEFAULT_PORT)
}

/// Whether nothing holds `port` for UDP or TCP on the loopback address right now.
pub fn port_is_free(port: u16) -> bool {
    std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
        && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_is_skipped_for_the_next_free_one() {
        let taken = std::net::UdpSocket::bind(("127.0.0.1", 0)).expect("bind");
        let port = taken.local_addr().expect("address").port();
        let found = find_free_port_from(port).expect("a free port");
        assert!(found > port, "{found} after {port}");
        assert!(port_is_free(found));
    }
}
