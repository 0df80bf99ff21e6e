//! Scripted `/status` responders for the benchmarks: stand-ins for scsynth that answer what a
//! watching (not logged-in) scpanel sends, one UDP socket per port on 127.0.0.1, each served
//! by a thread of this process (so they end with the bench: [`Responders`] stops and joins
//! them when dropped).
//!
//! Answers: `/status` → `/status.reply` (int 1, ugens, synths, groups, synthdefs, average CPU
//! f32, peak CPU f32, nominal rate f64, actual rate f64), `/g_queryTree` → an empty root group,
//! `/version` → scsynth 3.13.0, `/sync id` → `/synced id`, `/notify` → `/done /notify`. Anything
//! else is counted in [`Responders::seen`] and left unanswered.
//!
//! What a watch-only join (`login: false`) sends, as counted here: `/status` (the probe, then
//! the polls), `/error`, `/g_queryTree` and `/sync` once each (the tree read); `/error` needs
//! no answer.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rosc::{OscMessage, OscPacket, OscType};

pub struct Responders {
    pub ports: Vec<u16>,
    /// One per port: set, it reads and drops everything (the socket stays open, so the
    /// sender gets no ICMP refusal: a server that hangs).
    silent: Vec<Arc<AtomicBool>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// Every address received, with how many times (all ports together).
    pub seen: Arc<Mutex<BTreeMap<String, usize>>>,
}

fn reply(addr: &str, args: Vec<OscType>) -> Vec<u8> {
    rosc::encoder::encode(&OscPacket::Message(OscMessage {
        addr: addr.into(),
        args,
    }))
    .expect("encode")
}

fn messages(p: OscPacket, out: &mut Vec<OscMessage>) {
    match p {
        OscPacket::Message(m) => out.push(m),
        OscPacket::Bundle(b) => b.content.into_iter().for_each(|p| messages(p, out)),
    }
}

fn answer(m: &OscMessage, n: u64) -> Option<Vec<u8>> {
    let id = || m.args.first().cloned().unwrap_or(OscType::Int(0));
    Some(match m.addr.as_str() {
        "/status" => {
            // A little movement in the CPU figures, as a real server shows.
            let cpu = 2.0 + (n % 7) as f32 * 0.3;
            reply(
                "/status.reply",
                vec![
                    OscType::Int(1),
                    OscType::Int(12),
                    OscType::Int(3),
                    OscType::Int(2),
                    OscType::Int(40),
                    OscType::Float(cpu),
                    OscType::Float(cpu + 1.5),
                    OscType::Double(48000.0),
                    OscType::Double(48000.0 + (n % 5) as f64 * 0.01),
                ],
            )
        }
        // The root group (0) with no children.
        "/g_queryTree" => reply(
            "/g_queryTree.reply",
            vec![OscType::Int(0), OscType::Int(0), OscType::Int(0)],
        ),
        "/version" => reply(
            "/version.reply",
            vec![
                OscType::String("scsynth".into()),
                OscType::Int(3),
                OscType::Int(13),
                OscType::String(".0".into()),
                OscType::String("Version-3.13.0".into()),
                OscType::String("0000000".into()),
            ],
        ),
        "/sync" => reply("/synced", vec![id()]),
        "/notify" => reply(
            "/done",
            vec![
                OscType::String("/notify".into()),
                OscType::Int(1),
                OscType::Int(64),
            ],
        ),
        _ => return None,
    })
}

impl Responders {
    /// `count` responders on free ports of 127.0.0.1.
    pub fn start(count: usize) -> Responders {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let (mut ports, mut silent, mut threads) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..count {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a responder");
            socket
                .set_read_timeout(Some(Duration::from_millis(50)))
                .expect("timeout");
            ports.push(socket.local_addr().expect("addr").port());
            let quiet = Arc::new(AtomicBool::new(false));
            silent.push(quiet.clone());
            let (stop, seen) = (stop.clone(), seen.clone());
            threads.push(std::thread::spawn(move || {
                let mut buf = vec![0u8; 65536];
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, from)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    if quiet.load(Ordering::Relaxed) {
                        continue;
                    }
                    let Ok((_, packet)) = rosc::decoder::decode_udp(&buf[..len]) else {
                        continue;
                    };
                    let mut msgs = Vec::new();
                    messages(packet, &mut msgs);
                    for m in msgs {
                        if let Ok(mut s) = seen.lock() {
                            *s.entry(m.addr.clone()).or_default() += 1;
                        }
                        n += 1;
                        if let Some(bytes) = answer(&m, n) {
                            let _ = socket.send_to(&bytes, from);
                        }
                    }
                }
            }));
        }
        Responders {
            ports,
            silent,
            stop,
            threads,
            seen,
        }
    }

    pub fn addr(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.ports[i])
    }

    /// Stops (or resumes) answering on responder `i`; its socket stays open.
    pub fn set_silent(&self, i: usize, silent: bool) {
        self.silent[i].store(silent, Ordering::Relaxed);
    }
}

impl Drop for Responders {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
