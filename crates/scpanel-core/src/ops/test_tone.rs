//! The test tone: a quiet sine (−20 dBFS), first on the left output, then on the right,
//! stopping by itself, so a person hears which speaker is which, and the meters show it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Result, ServerError};
use crate::link::Link;
use crate::ops::nodes;
use crate::ops::own_nodes::{self, Own, OwnGroup};
use crate::ops::synthdefs::SynthDefs;

/// The tone's peak level: loud enough to hear, far from clipping.
pub(crate) const TONE_DB: f32 = -20.0;
pub(crate) const TONE_FREQ: f32 = 440.0;
/// How long each side sounds.
pub(crate) const TONE_SIDE: Duration = Duration::from_secs(1);
/// The sine's release (its ASR envelope), before the other side starts.
const RELEASE: Duration = Duration::from_millis(300);

/// The tone's running sequence, one per handle: a new one aborts it.
#[derive(Default)]
pub(crate) struct State {
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The test tone ([`Server::test_tone`](crate::Server::test_tone)).
#[derive(Clone)]
pub struct TestTone {
    pub(crate) link: Arc<Link>,
    pub(crate) state: Arc<State>,
    pub(crate) own: Arc<OwnGroup>,
    pub(crate) defs: SynthDefs,
}

impl TestTone {
    /// Plays the test tone on the left output, then on the right (a mono server: the one
    /// output). A second call starts it over.
    pub async fn play(&self) -> Result<()> {
        let live = self.link.online()?;
        if live.attachment.login.is_none() {
            return Err(ServerError::NotLoggedIn);
        }
        if let Some(old) = self.state.task.lock().ok().and_then(|mut t| t.take()) {
            old.abort();
        }
        own_nodes::free_synth(&self.link, Own::ToneLeft).await?;
        own_nodes::free_synth(&self.link, Own::ToneRight).await?;
        let stereo = live.attachment.layout.output_channels >= 2;
        let amp = crate::ops::mixer::db_to_amp(TONE_DB);
        self.own
            .add_synth(
                &self.link,
                &self.defs,
                Own::ToneLeft,
                "scpanel-sine",
                &[("freq", TONE_FREQ), ("amp", amp), ("pan", -1.0)],
            )
            .await?;
        let tone = self.clone();
        let task = tokio::spawn(async move {
            // Timing a sound, not waiting for the server: each side lasts TONE_SIDE.
            tokio::time::sleep(TONE_SIDE).await;
            let _ = tone.release(Own::ToneLeft).await;
            if !stereo || tone.link.live().is_none() {
                return;
            }
            tokio::time::sleep(RELEASE).await;
            let right = tone
                .own
                .add_synth(
                    &tone.link,
                    &tone.defs,
                    Own::ToneRight,
                    "scpanel-sine",
                    &[("freq", TONE_FREQ), ("amp", amp), ("pan", 1.0)],
                )
                .await;
            if right.is_ok() {
                tokio::time::sleep(TONE_SIDE).await;
                let _ = tone.release(Own::ToneRight).await;
            }
        });
        if let Ok(mut t) = self.state.task.lock() {
            *t = Some(task);
        }
        Ok(())
    }

    /// Which side the test tone is sounding on, if any.
    pub fn side(&self) -> Option<Own> {
        [Own::ToneLeft, Own::ToneRight].into_iter().find(|s| {
            own_nodes::own_node(&self.link, *s)
                .is_some_and(|id| self.link.with_tree(|t| t.contains(id)))
        })
    }

    /// Opens the gate: the sine fades out and frees itself.
    async fn release(&self, side: Own) -> Result<()> {
        match own_nodes::own_node(&self.link, side) {
            Some(id) if self.link.with_tree(|t| t.contains(id)) => {
                nodes::set(&self.link, id, &[("gate", 0.0)]).await
            }
            _ => Ok(()),
        }
    }
}
