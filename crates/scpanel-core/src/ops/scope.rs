//! The network scope: a synth in scpanel's own group writes the buses looked at into a
//! ring buffer and reports its write position 25 times a second; a task reads what was
//! written since the last report with `/b_getn` and hands the latest capture to whoever shows it
//! (the Scope and Spectrum tabs, `scpanel spectrum`). It needs nothing but OSC, so it works
//! on a server on another machine, where sclang's shared-memory scope cannot.
//!
//! Why a ring read with `/b_getn` rather than `SendReply` blocks: `SendReply` sends one value
//! per input per control block, so carrying every sample needs one `BufRd` per sample of a
//! block (128 per channel for a reply every other block) and 375 replies a second, each
//! through scsynth's reply queue. Measured with `scripts/bench.sh --bench scope` (2 channels,
//! 48 kHz): the ring added 0.04 % to scsynth's average CPU against 0.16 % for `SendReply`
//! blocks, for the same ~245 KB/s per channel; with the machine busy, `SendReply` lost a
//! tenth of its replies (each a hole in the audio) where the ring lost no read, since a late
//! read still finds its frames in the ring. And the ring sends nothing nobody asks for.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rosc::{OscMessage, OscPacket, OscType};
use tokio::sync::watch;

use crate::error::{Result, ServerError};
use crate::link::Link;
use crate::model::scope::{
    Chunk, History, MAX_CHANNELS, MAX_FRAMES, MAX_RATE, MIN_RATE, Meter, SCOPE_REPLY, ScopeFrame,
    ScopeStats, plan_reads, ring_frames,
};
use crate::ops::own_nodes::{self, Own, OwnGroup};
use crate::ops::synthdefs::SynthDefs;
use crate::ops::{buffers, requests};
use crate::wire::connection::{Heard, Subscriber};

use crate::wire::protocol::{Expect, bundle_of, float_arg, int_arg, msg};

/// How long a read may take before it counts as lost.
const READ_TIMEOUT: Duration = Duration::from_millis(500);
/// Without a position report for this long while online, the scope synth is put back (an
/// owner's reset frees every node, ours included).
const SILENCE: Duration = Duration::from_secs(1);

/// What the scope keeps between taps, one per handle: the synth's latest report, and
/// which tap is the newest.
pub(crate) struct State {
    /// The scope synth's latest write position; only the latest matters.
    reports: watch::Sender<Option<ScopeReport>>,
    /// Counts taps started: the scope synth's id is fixed, so an old tap being freed must
    /// not free a newer tap's synth.
    generation: AtomicU64,
}

impl Default for State {
    fn default() -> Self {
        State {
            reports: watch::channel(None).0,
            generation: AtomicU64::new(0),
        }
    }
}

/// The scope synth's position reports, 25 a second: used up here like the meters', and
/// handed on to the one capture task, which takes only the latest.
pub(crate) struct ScopeFeed(pub Arc<State>);

impl Subscriber for ScopeFeed {
    fn receive(&self, m: &OscMessage) -> Heard {
        let Some(report) = ScopeReport::parse(m) else {
            return Heard::Passed;
        };
        self.0.reports.send_modify(|r| {
            let count = r.as_ref().map_or(0, |r| r.count);
            *r = Some(ScopeReport {
                count: count.wrapping_add(1),
                ..report
            });
        });
        Heard::Consumed
    }
}

/// A position report: `/scpanel/scope node replyID position`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScopeReport {
    /// The scope synth that sent it.
    pub node: i32,
    /// The frame its next block writes: every frame before it is written.
    pub position: usize,
    /// When it arrived.
    pub at: Instant,
    /// Counts reports, so a reader knows how many it passed over.
    pub count: u64,
}

impl ScopeReport {
    /// Reads a report; `None` for any other message or a malformed one.
    pub(crate) fn parse(m: &OscMessage) -> Option<ScopeReport> {
        if m.addr != SCOPE_REPLY {
            return None;
        }
        let node = int_arg(m, 0)?;
        let position = float_arg(m, 2)?;
        if !(0.0..=(1u64 << 24) as f64).contains(&position) {
            return None;
        }
        Some(ScopeReport {
            node,
            position: position as usize,
            at: Instant::now(),
            count: 0,
        })
    }
}

/// What a scope looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScopeSpec {
    /// The first audio bus.
    pub bus: u32,
    /// How many buses from it (1–8).
    pub channels: usize,
    /// Frames per capture per channel (up to 8192).
    pub frames: usize,
    /// Captures per second (up to 60).
    pub rate: f32,
}

impl Default for ScopeSpec {
    fn default() -> Self {
        ScopeSpec {
            bus: 0,
            channels: 2,
            frames: 4096,
            rate: crate::model::scope::DEFAULT_RATE,
        }
    }
}

impl ScopeSpec {
    fn check(&self) -> Result<()> {
        if !(1..=MAX_CHANNELS).contains(&self.channels) {
            return Err(ServerError::Refused(format!(
                "a scope reads 1 to {MAX_CHANNELS} channels, not {}",
                self.channels
            )));
        }
        if !(1..=MAX_FRAMES).contains(&self.frames) {
            return Err(ServerError::Refused(format!(
                "a scope captures 1 to {MAX_FRAMES} frames, not {}",
                self.frames
            )));
        }
        if !(MIN_RATE..=MAX_RATE).contains(&self.rate) {
            return Err(ServerError::Refused(format!(
                "a scope updates {MIN_RATE} to {MAX_RATE} times a second, not {}",
                self.rate
            )));
        }
        Ok(())
    }
}

/// A running scope: the latest capture, until stopped or dropped (which frees its synth
/// and buffer on the server).
pub struct ScopeTap {
    scope: Scope,
    spec: ScopeSpec,
    buffer: i32,
    generation: u64,
    frames: Arc<AtomicUsize>,
    latest: watch::Receiver<Option<Arc<ScopeFrame>>>,
    task: Option<tokio::task::JoinHandle<()>>,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for ScopeTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeTap")
            .field("spec", &self.spec)
            .field("buffer", &self.buffer)
            .finish()
    }
}

impl ScopeTap {
    /// What it looks at.
    pub fn spec(&self) -> ScopeSpec {
        ScopeSpec {
            frames: self.frames.load(Ordering::Relaxed),
            ..self.spec
        }
    }

    /// The latest capture, if one came yet.
    pub fn latest(&self) -> Option<Arc<ScopeFrame>> {
        self.latest.borrow().clone()
    }

    /// Changes with every capture.
    pub fn watch(&self) -> watch::Receiver<Option<Arc<ScopeFrame>>> {
        self.latest.clone()
    }

    /// Waits for a capture newer than `seq` (0 for any), up to `timeout`.
    pub async fn next_after(&self, seq: u64, timeout: Duration) -> Result<Arc<ScopeFrame>> {
        let mut rx = self.latest.clone();
        let wait = rx.wait_for(|f| f.as_ref().is_some_and(|f| f.seq > seq));
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(f)) => f.clone().ok_or(ServerError::ServerOffline),
            Ok(Err(_)) => Err(ServerError::ServerOffline),
            Err(_) => Err(ServerError::Timeout {
                request: "a scope capture".into(),
                after: timeout,
            }),
        }
    }

    /// Captures `frames` per channel from the next one on (the ring holds the most).
    pub fn set_frames(&self, frames: usize) {
        self.frames
            .store(frames.clamp(1, MAX_FRAMES), Ordering::Relaxed);
    }

    /// Stops capturing and frees the synth and the buffer.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        release(&self.scope, self.buffer, self.generation).await
    }
}

impl Drop for ScopeTap {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let (scope, buffer, generation) = (self.scope.clone(), self.buffer, self.generation);
            self.runtime.spawn(async move {
                let _ = release(&scope, buffer, generation).await;
            });
        }
    }
}

async fn release(scope: &Scope, buffer: i32, generation: u64) -> Result<()> {
    // A newer tap has placed its own synth under the same id: that one stays.
    let newest = scope.state.generation.load(Ordering::SeqCst) == generation;
    let freed = if newest {
        own_nodes::free_synth(&scope.link, Own::Scope).await
    } else {
        Ok(())
    };
    // The synth goes first: freeing a buffer a UGen still writes is a crash waiting.
    buffers::free(&scope.link, buffer).await?;
    freed
}

/// The network scope ([`Server::scope`](crate::Server::scope)): one per server, read over
/// OSC.
#[derive(Clone)]
pub struct Scope {
    pub(crate) link: Arc<Link>,
    pub(crate) state: Arc<State>,
    pub(crate) own: Arc<OwnGroup>,
    pub(crate) defs: SynthDefs,
}

impl Scope {
    /// Starts a scope on `spec`'s buses: needs a login (it makes a synth and a buffer). One
    /// scope per server: a new one replaces any other.
    pub async fn start(&self, spec: ScopeSpec) -> Result<ScopeTap> {
        spec.check()?;
        let layout = self.link.online()?.attachment.layout;
        if spec.bus as usize + spec.channels > layout.audio_buses as usize {
            return Err(ServerError::Refused(format!(
                "buses {}–{} are past the server's {} audio buses",
                spec.bus,
                spec.bus as usize + spec.channels - 1,
                layout.audio_buses
            )));
        }
        let usable = |sr: f64| (1_000.0..=768_000.0).contains(&sr).then_some(sr);
        let sample_rate = match self
            .link
            .shared
            .latest_status()
            .and_then(|s| usable(s.nominal_sample_rate))
        {
            Some(sr) => sr,
            None => {
                let sr = requests::status(&self.link).await?.nominal_sample_rate;
                usable(sr).ok_or_else(|| {
                    ServerError::Osc(format!("a /status.reply with a sample rate of {sr} Hz"))
                })?
            }
        };
        let generation = self.state.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let ring = ring_frames(sample_rate, MAX_FRAMES);
        let buffer = buffers::add(&self.link, ring as i32, spec.channels as i32).await?;
        if let Err(e) = self.place(&spec, buffer).await {
            let _ = buffers::free(&self.link, buffer).await;
            return Err(e);
        }
        let (tx, latest) = watch::channel(None);
        let frames = Arc::new(AtomicUsize::new(spec.frames));
        let capture = Capture {
            scope: self.clone(),
            spec,
            buffer,
            ring,
            sample_rate,
            frames: frames.clone(),
            tx,
        };
        Ok(ScopeTap {
            scope: self.clone(),
            spec,
            buffer,
            generation,
            frames,
            latest,
            task: Some(tokio::spawn(capture.run())),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    async fn place(&self, spec: &ScopeSpec, buffer: i32) -> Result<i32> {
        let def = format!("scpanel-scope-{}", spec.channels);
        // A scope left by an earlier tap (or a dropped one still being freed) goes first.
        let _ = own_nodes::free_synth(&self.link, Own::Scope).await;
        self.own
            .add_synth(
                &self.link,
                &self.defs,
                Own::Scope,
                &def,
                &[
                    ("in", spec.bus as f32),
                    ("bufnum", buffer as f32),
                    ("rate", spec.rate),
                ],
            )
            .await
    }
}

struct Capture {
    scope: Scope,
    spec: ScopeSpec,
    buffer: i32,
    ring: usize,
    sample_rate: f64,
    frames: Arc<AtomicUsize>,
    tx: watch::Sender<Option<Arc<ScopeFrame>>>,
}

impl Capture {
    async fn run(self) {
        let mut reports = self.scope.state.reports.subscribe();
        let mut stats = ScopeStats::default();
        let (mut updates, mut bytes) = (Meter::new(), Meter::new());
        let mut history = History::new(self.spec.channels);
        // Where the last read ended in the ring: the next starts there.
        let mut read_to: Option<usize> = None;
        // The synth was just placed: the ring holds its frames only from its start.
        let mut fresh = true;
        let mut last_count: Option<u64> = None;
        let mut seq = 0u64;
        loop {
            let report = match tokio::time::timeout(SILENCE, reports.changed()).await {
                Ok(Ok(())) => *reports.borrow_and_update(),
                Ok(Err(_)) => return,
                Err(_) => {
                    // Silent: put the synth back if the server is there to take it. It
                    // starts again at the ring's start, so what was read does not follow on.
                    if self.scope.link.live().is_some()
                        && self.scope.place(&self.spec, self.buffer).await.is_ok()
                    {
                        stats.restarts += 1;
                        read_to = None;
                        fresh = true;
                        history.clear();
                    }
                    continue;
                }
            };
            let Some(report) = report else { continue };
            if Some(report.node) != own_nodes::own_node(&self.scope.link, Own::Scope) {
                continue;
            }
            if let Some(last) = last_count {
                stats.skipped += report.count.saturating_sub(last + 1);
            }
            last_count = Some(report.count);
            let frames = self.frames.load(Ordering::Relaxed);
            let end = report.position % self.ring;
            // What the server wrote since the last read, gapless, unless the reads fell so
            // far behind that the ring has lapped them: then the latest window afresh.
            let new = match read_to {
                Some(from) => (end + self.ring - from) % self.ring,
                // A new synth started at the ring's start well under a lap ago (the first
                // report comes within 1/rate s): before `end` the ring holds only zeros of
                // the fresh buffer, or an earlier synth's frames.
                None if fresh => frames.min(end),
                // After a lost read the whole ring is this synth's: a full window afresh.
                None => frames,
            };
            let count = if new > self.ring / 2 {
                stats.lost += 1;
                history.clear();
                frames
            } else {
                new
            };
            if count == 0 {
                continue;
            }
            let reads = plan_reads(end, count, self.ring, self.spec.channels);
            match self.read(&reads).await {
                Ok((samples, received, not_numbers)) => {
                    stats.not_numbers += not_numbers;
                    // The oldest frame read is overwritten once the head has moved on by
                    // ring − count: past that, the read may hold newer frames (torn).
                    let moved = report.at.elapsed().as_secs_f64() * self.sample_rate + 64.0;
                    if moved >= (self.ring - count) as f64 {
                        stats.lost += 1;
                        read_to = None;
                        history.clear();
                        continue;
                    }
                    read_to = Some(end);
                    fresh = false;
                    history.push_interleaved(&samples);
                    seq += 1;
                    stats.updates_per_sec = updates.add(1.0);
                    stats.bytes_per_sec_per_channel =
                        bytes.add(received as f64) / self.spec.channels as f64;
                    let frame = ScopeFrame {
                        seq,
                        at: report.at,
                        sample_rate: self.sample_rate,
                        bus: self.spec.bus,
                        channels: history.latest(frames),
                        stats,
                    };
                    self.tx.send_replace(Some(Arc::new(frame)));
                }
                Err(_) => {
                    // A read unanswered (lost on the way, or the server gone): the next
                    // starts afresh rather than leave a hole in the history.
                    stats.lost += 1;
                    read_to = None;
                    history.clear();
                }
            }
        }
    }

    /// Asks for every chunk at once; returns the samples in order, the bytes received and
    /// how many samples were not numbers.
    async fn read(&self, reads: &[Chunk]) -> Result<(Vec<f32>, usize, u64)> {
        let conn = self.scope.link.online()?.conn.clone();
        let messages = reads
            .iter()
            .map(|c| {
                msg(
                    "/b_getn",
                    [
                        OscType::Int(self.buffer),
                        OscType::Int(c.start as i32),
                        OscType::Int(c.count as i32),
                    ],
                )
            })
            .collect();
        let expects = reads
            .iter()
            .map(|c| Expect::Samples {
                buffer: self.buffer,
                start: c.start as i32,
            })
            .collect();
        let packet: OscPacket = bundle_of(messages);
        let replies = conn
            .request_all_quietly(packet, expects, READ_TIMEOUT)
            .await?;
        let total: usize = reads.iter().map(|c| c.count).sum();
        let mut samples = Vec::with_capacity(total);
        let (mut received, mut not_numbers) = (0, 0);
        for (reply, chunk) in replies.iter().zip(reads) {
            // `/b_setn buffer start count v…`: exactly the count asked, all floats.
            if int_arg(reply, 2) != Some(chunk.count as i32) || reply.args.len() != 3 + chunk.count
            {
                return Err(ServerError::Osc(format!(
                    "a /b_setn of {} values for a read of {}",
                    reply.args.len().saturating_sub(3),
                    chunk.count
                )));
            }
            for a in &reply.args[3..] {
                match a {
                    OscType::Float(v) if v.is_finite() => samples.push(*v),
                    OscType::Float(_) => {
                        not_numbers += 1;
                        samples.push(0.0);
                    }
                    other => {
                        return Err(ServerError::Osc(format!(
                            "a /b_setn value that is {other:?}, not a float"
                        )));
                    }
                }
            }
            // Address, type tags and values, as they came over the wire.
            received += 16 + (reply.args.len() + 4) / 4 * 4 + reply.args.len() * 4;
        }
        Ok((samples, received, not_numbers))
    }
}
