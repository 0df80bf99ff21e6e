//! The test tone: a quiet sine (−20 dBFS), first on the left output, then on the right,
//! stopping by itself, so a person hears which speaker is which, and the meters show it.

use std::time::Duration;

use crate::error::{Result, ServerError};
use crate::handle::{Server, ServerState};
use crate::ops::own_nodes::Own;

/// The tone's peak level: loud enough to hear, far from clipping.
pub(crate) const TONE_DB: f32 = -20.0;
pub(crate) const TONE_FREQ: f32 = 440.0;
/// How long each side sounds.
pub(crate) const TONE_SIDE: Duration = Duration::from_secs(1);
/// The sine's release (its ASR envelope), before the other side starts.
const RELEASE: Duration = Duration::from_millis(300);

impl Server {
    /// Plays the test tone on the left output, then on the right (a mono server: the one
    /// output). A second call starts it over.
    pub async fn test_tone(&self) -> Result<()> {
        let live = self.online()?;
        if live.session.login.is_none() {
            return Err(ServerError::NotLoggedIn);
        }
        if let Some(old) = self.inner.tone.lock().ok().and_then(|mut t| t.take()) {
            old.abort();
        }
        self.free_own_synth(Own::ToneLeft).await?;
        self.free_own_synth(Own::ToneRight).await?;
        let stereo = live.session.layout.output_channels >= 2;
        let amp = crate::ops::mixer::db_to_amp(TONE_DB);
        self.add_own_synth(
            Own::ToneLeft,
            "scpanel-sine",
            &[("freq", TONE_FREQ), ("amp", amp), ("pan", -1.0)],
        )
        .await?;
        let server = self.clone();
        let task = tokio::spawn(async move {
            // Timing a sound, not waiting for the server: each side lasts TONE_SIDE.
            tokio::time::sleep(TONE_SIDE).await;
            let _ = server.release_tone(Own::ToneLeft).await;
            if !stereo || server.state() == ServerState::Offline {
                return;
            }
            tokio::time::sleep(RELEASE).await;
            let right = server
                .add_own_synth(
                    Own::ToneRight,
                    "scpanel-sine",
                    &[("freq", TONE_FREQ), ("amp", amp), ("pan", 1.0)],
                )
                .await;
            if right.is_ok() {
                tokio::time::sleep(TONE_SIDE).await;
                let _ = server.release_tone(Own::ToneRight).await;
            }
        });
        if let Ok(mut t) = self.inner.tone.lock() {
            *t = Some(task);
        }
        Ok(())
    }

    /// Which side the test tone is sounding on, if any.
    pub fn test_tone_side(&self) -> Option<Own> {
        [Own::ToneLeft, Own::ToneRight].into_iter().find(|s| {
            self.own_node(*s)
                .is_some_and(|id| self.with_tree(|t| t.contains(id)))
        })
    }

    /// Opens the gate: the sine fades out and frees itself.
    async fn release_tone(&self, side: Own) -> Result<()> {
        match self.own_node(side) {
            Some(id) if self.with_tree(|t| t.contains(id)) => {
                self.set_node(id, &[("gate", 0.0)]).await
            }
            _ => Ok(()),
        }
    }
}
