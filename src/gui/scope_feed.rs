//! One session's scope, kept on the runtime: the Scope and Spectrum tabs say what they want
//! to see each frame, and a task starts, changes or stops the core's [`ScopeTap`] to match,
//! asking for a frame per capture only while a tab shows it. A tab nobody looks at costs
//! the server nothing: its synth and buffer are freed.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::gui::bridge::{Bridge, Waker};
use scpanel_core::scope::ScopeFrame;
use scpanel_core::{ScopeSpec, ScopeTap};
use scpanel_core::{Server, ServerState};

/// What the tabs read.
#[derive(Debug, Clone, Default)]
pub struct ScopeView {
    /// The latest capture.
    pub frame: Option<Arc<ScopeFrame>>,
    /// Why there is none, in words that say what to do.
    pub problem: Option<String>,
    /// A scope is starting.
    pub starting: bool,
}

pub struct ScopeFeed {
    wanted: watch::Sender<Option<ScopeSpec>>,
    view: Arc<Mutex<ScopeView>>,
}

impl ScopeFeed {
    pub fn new(bridge: &Bridge, server: Server, waker: Waker) -> ScopeFeed {
        let (wanted, rx) = watch::channel(None);
        let view = Arc::new(Mutex::new(ScopeView::default()));
        bridge.spawn(run(server, rx, view.clone(), waker));
        ScopeFeed { wanted, view }
    }

    /// Set each frame: what a shown tab wants to see, or `None` when no tab shows a scope.
    pub fn want(&self, spec: Option<ScopeSpec>) {
        self.wanted
            .send_if_modified(|w| std::mem::replace(w, spec) != spec);
    }

    pub fn view(&self) -> ScopeView {
        self.view.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

fn set(view: &Mutex<ScopeView>, f: impl FnOnce(&mut ScopeView)) {
    if let Ok(mut v) = view.lock() {
        f(&mut v);
    }
}

async fn run(
    server: Server,
    mut wanted: watch::Receiver<Option<ScopeSpec>>,
    view: Arc<Mutex<ScopeView>>,
    waker: Waker,
) {
    let mut state = server.watch_state();
    let mut tap: Option<ScopeTap> = None;
    loop {
        let want = *wanted.borrow_and_update();
        let online = *state.borrow_and_update() == ServerState::Online;
        match (want, online) {
            (Some(spec), true) => {
                let same_source = tap.as_ref().is_some_and(|t| {
                    let s = t.spec();
                    (s.bus, s.channels, s.rate) == (spec.bus, spec.channels, spec.rate)
                });
                if same_source {
                    if let Some(t) = &tap {
                        t.set_frames(spec.frames);
                    }
                } else {
                    if let Some(t) = tap.take() {
                        let _ = t.stop().await;
                    }
                    set(&view, |v| {
                        v.starting = true;
                        v.frame = None;
                    });
                    waker.wake();
                    match server.scope().start(spec).await {
                        Ok(t) => {
                            set(&view, |v| {
                                v.problem = None;
                                v.starting = false;
                            });
                            tap = Some(t);
                        }
                        Err(e) => {
                            let text = match e {
                                scpanel_core::ServerError::NotLoggedIn => {
                                    "The scope makes a synth and a buffer on the server: log in \
                                     to this server to use it (watching makes nothing)."
                                        .to_string()
                                }
                                e => format!("The scope could not start: {e}"),
                            };
                            set(&view, |v| {
                                v.problem = Some(text);
                                v.starting = false;
                            });
                        }
                    }
                    waker.wake();
                }
            }
            (want, online) => {
                if let Some(t) = tap.take() {
                    let _ = t.stop().await;
                }
                set(&view, |v| {
                    v.frame = None;
                    v.starting = false;
                    v.problem =
                        (want.is_some() && !online).then(|| "The server is not online.".into());
                });
            }
        }
        let mut frames = tap.as_ref().map(ScopeTap::watch);
        // Each capture is one frame of the window; a change of wish or state, a rethink.
        loop {
            tokio::select! {
                changed = wanted.changed() => {
                    if changed.is_err() {
                        if let Some(t) = tap.take() {
                            let _ = t.stop().await;
                        }
                        return;
                    }
                    break;
                }
                changed = state.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
                frame = next_frame(&mut frames) => {
                    set(&view, |v| v.frame = frame);
                    waker.wake();
                }
            }
        }
    }
}

async fn next_frame(
    frames: &mut Option<watch::Receiver<Option<Arc<ScopeFrame>>>>,
) -> Option<Arc<ScopeFrame>> {
    match frames {
        Some(rx) => match rx.changed().await {
            Ok(()) => rx.borrow_and_update().clone(),
            // The tap's task ended: nothing more comes (a rethink follows a state change).
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}
