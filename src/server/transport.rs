//! OSC over UDP and TCP. TCP frames are int32 length-prefixed, as scsynth's `-t` expects.

use std::net::SocketAddr;
use std::sync::Arc;

use rosc::OscPacket;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{Mutex, mpsc};

use super::error::{Result, ServerError};
use super::options::Protocol;

/// scsynth never sends a datagram bigger than this; reading less truncates large replies.
pub const MAX_DATAGRAM: usize = 65536;

/// What the receive side hands on.
#[derive(Debug)]
pub enum Incoming {
    Packet(OscPacket),
    /// Bytes that did not decode as OSC (logged, never fatal).
    Garbage(String),
    /// The other end is gone: UDP port unreachable, or the TCP stream closed.
    Closed(String),
}

#[derive(Clone)]
pub struct Transport {
    inner: Arc<Sender>,
    pub peer: SocketAddr,
    pub protocol: Protocol,
}

enum Sender {
    Udp(Arc<UdpSocket>),
    Tcp(Mutex<OwnedWriteHalf>),
}

impl Transport {
    /// Opens the transport and starts a task feeding `tx` with what arrives.
    /// For TCP with a password, the password is the first frame.
    pub async fn open(
        peer: SocketAddr,
        protocol: Protocol,
        password: Option<&str>,
        tx: mpsc::UnboundedSender<Incoming>,
    ) -> Result<(Transport, tokio::task::JoinHandle<()>)> {
        let unreachable = |e: std::io::Error| ServerError::Unreachable {
            addr: format!("{}://{peer}", protocol.as_str()),
            reason: e.to_string(),
        };
        match protocol {
            Protocol::Udp => {
                let local: SocketAddr = if peer.ip().is_loopback() {
                    (std::net::Ipv4Addr::LOCALHOST, 0).into()
                } else if peer.is_ipv6() {
                    (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                } else {
                    (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
                };
                let sock = UdpSocket::bind(local).await.map_err(unreachable)?;
                enlarge_receive_buffer(&sock);
                sock.connect(peer).await.map_err(unreachable)?;
                let sock = Arc::new(sock);
                let task = tokio::spawn(udp_reader(sock.clone(), tx));
                Ok((
                    Transport {
                        inner: Arc::new(Sender::Udp(sock)),
                        peer,
                        protocol,
                    },
                    task,
                ))
            }
            Protocol::Tcp => {
                let stream = TcpStream::connect(peer).await.map_err(unreachable)?;
                stream.set_nodelay(true).ok();
                let (read, mut write) = stream.into_split();
                if let Some(pw) = password.filter(|p| !p.is_empty()) {
                    write_frame(&mut write, pw.as_bytes()).await?;
                }
                let task = tokio::spawn(tcp_reader(read, tx));
                Ok((
                    Transport {
                        inner: Arc::new(Sender::Tcp(Mutex::new(write))),
                        peer,
                        protocol,
                    },
                    task,
                ))
            }
        }
    }

    pub async fn send(&self, packet: &OscPacket) -> Result<()> {
        let bytes = rosc::encoder::encode(packet)?;
        self.send_bytes(&bytes).await
    }

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
                write_frame(&mut *w.lock().await, bytes).await?;
            }
        }
        Ok(())
    }

    /// How many bytes the kernel may queue for us before it drops datagrams (a generous
    /// guess for TCP, whose stream does not drop).
    pub fn receive_buffer_bytes(&self) -> usize {
        match &*self.inner {
            Sender::Udp(sock) => receive_buffer(sock).unwrap_or(212_992),
            Sender::Tcp(_) => 4 * 1024 * 1024,
        }
    }

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

async fn write_frame(w: &mut OwnedWriteHalf, bytes: &[u8]) -> Result<()> {
    let len = i32::try_from(bytes.len())
        .map_err(|_| ServerError::Osc(format!("a {}-byte packet is too big", bytes.len())))?;
    let mut frame = Vec::with_capacity(bytes.len() + 4);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(bytes);
    w.write_all(&frame).await?;
    Ok(())
}

fn decode(bytes: &[u8]) -> Incoming {
    match rosc::decoder::decode_udp(bytes) {
        Ok((_, packet)) => Incoming::Packet(packet),
        Err(e) => Incoming::Garbage(format!("{} bytes that are not OSC: {e}", bytes.len())),
    }
}

async fn udp_reader(sock: Arc<UdpSocket>, tx: mpsc::UnboundedSender<Incoming>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        match sock.recv(&mut buf).await {
            Ok(n) => {
                if tx.send(decode(&buf[..n])).is_err() {
                    return;
                }
            }
            // An ICMP "port unreachable" for an earlier send: nobody listens there now.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                if tx
                    .send(Incoming::Closed("port unreachable".into()))
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Incoming::Closed(e.to_string()));
                return;
            }
        }
    }
}

async fn tcp_reader(mut read: OwnedReadHalf, tx: mpsc::UnboundedSender<Incoming>) {
    let mut len_buf = [0u8; 4];
    let mut buf = Vec::new();
    loop {
        if let Err(e) = read.read_exact(&mut len_buf).await {
            let _ = tx.send(Incoming::Closed(format!("connection closed ({e})")));
            return;
        }
        let len = i32::from_be_bytes(len_buf);
        let Ok(len) = usize::try_from(len) else {
            let _ = tx.send(Incoming::Closed(format!("bad frame length {len}")));
            return;
        };
        if len > 16 * 1024 * 1024 {
            let _ = tx.send(Incoming::Closed(format!("frame of {len} bytes is too big")));
            return;
        }
        buf.resize(len, 0);
        if let Err(e) = read.read_exact(&mut buf).await {
            let _ = tx.send(Incoming::Closed(format!("connection closed ({e})")));
            return;
        }
        if tx.send(decode(&buf)).is_err() {
            return;
        }
    }
}

/// The first port at or after `start` that is free for both UDP and TCP on the loopback
/// address right now, so a musician is offered 57111 after 57110 rather than a random number.
pub fn find_free_port_from(start: u16) -> Option<u16> {
    (start.max(1)..=u16::MAX).find(|&port| port_is_free(port))
}

/// A free port near scsynth's default, 57110.
pub fn find_free_port() -> Option<u16> {
    find_free_port_from(crate::server::Options::default().port)
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
