//! The Shows tab's errands: reading the folder's list and a show, the file dialogs, and the
//! exports, each on the runtime (the disk and a dialog never hold up a frame). What they
//! bring back waits in a mailbox the frame empties.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::ScPanel;
use crate::gui::panels::shows::ShowsAsk;
use crate::keeping::Keeping;
use crate::timeline::Timeline;
use scpanel_core::journal::{Show, ShowInfo, list_shows};

/// How often the show being recorded is read again while the tab shows it.
const LIVE_EVERY: Duration = Duration::from_secs(10);

/// The PNG's size: wide enough for a night's show to keep its detail.
pub const PNG_SIZE: (u32, u32) = (1600, 600);

/// What an errand brought back.
pub enum ShowsDone {
    Listed(PathBuf, Result<Vec<ShowInfo>, String>, Keeping),
    Opened(PathBuf, Result<Box<Timeline>, String>),
    Said(String, bool),
}

/// The errands' mailbox, and when the show on screen was last read.
#[derive(Default)]
pub struct ShowsErrands {
    done: Arc<Mutex<Vec<ShowsDone>>>,
    read_at: Option<Instant>,
}

impl ScPanel {
    /// The shows' folder: where this run's show is written.
    pub fn shows_folder(&self) -> Option<PathBuf> {
        match &self.flight {
            Some(f) => f.path().parent().map(std::path::Path::to_path_buf),
            None => crate::flight::shows_folder(),
        }
    }

    /// Sends an errand off.
    pub fn shows_asked(&mut self, asked: ShowsAsk) {
        let done = Arc::clone(&self.shows_errands.done);
        let waker = self.bridge.waker();
        let post = move |d: ShowsDone| {
            if let Ok(mut q) = done.lock() {
                q.push(d);
            }
            waker.wake();
        };
        match asked {
            ShowsAsk::List => {
                let Some(folder) = self.shows_folder() else {
                    self.shows.list_error =
                        Some("no folder for shows: set SCPANEL_SHOWS_DIR".to_string());
                    return;
                };
                self.shows.listing = true;
                self.bridge.spawn(async move {
                    let f = folder.clone();
                    let listed = tokio::task::spawn_blocking(move || {
                        (list_shows(&f).map_err(|e| e.to_string()), Keeping::load())
                    })
                    .await
                    .unwrap_or_else(|e| {
                        (
                            Err(format!("reading the list stopped: {e}")),
                            Keeping::load(),
                        )
                    });
                    post(ShowsDone::Listed(folder, listed.0, listed.1));
                });
            }
            ShowsAsk::Open(path) => self.open_show(path),
            ShowsAsk::Keep(keeping) => {
                let flight = self.flight.clone();
                let folder = self.shows_folder();
                self.shows.keeping = Some(keeping.bounded());
                self.shows.listing = folder.is_some();
                self.bridge.spawn(async move {
                    // The list is read again after the pruning, so it shows what is left.
                    let done = tokio::task::spawn_blocking(move || {
                        let said = keep(keeping, flight, folder.clone());
                        let listed = folder.map(|f| {
                            let list = list_shows(&f).map_err(|e| e.to_string());
                            (f, list)
                        });
                        (said, listed)
                    })
                    .await;
                    match done {
                        Ok((said, listed)) => {
                            if let Some((folder, list)) = listed {
                                post(ShowsDone::Listed(folder, list, keeping.bounded()));
                            }
                            post(ShowsDone::Said(said.0, said.1));
                        }
                        Err(e) => post(ShowsDone::Said(format!("the setting stopped: {e}"), true)),
                    }
                });
            }
            ShowsAsk::PickFile => {
                let folder = self.shows_folder();
                let done = Arc::clone(&self.shows_errands.done);
                let waker = self.bridge.waker();
                self.bridge.spawn(async move {
                    let picked = tokio::task::spawn_blocking(move || {
                        let mut d = rfd::FileDialog::new()
                            .set_title("Open a show")
                            .add_filter("scpanel show", &["sqlite"]);
                        if let Some(f) = folder {
                            d = d.set_directory(f);
                        }
                        d.pick_file()
                    })
                    .await
                    .ok()
                    .flatten();
                    if let Some(path) = picked {
                        let opened = read(path.clone()).await;
                        if let Ok(mut q) = done.lock() {
                            q.push(ShowsDone::Opened(path, opened));
                        }
                        waker.wake();
                    }
                });
            }
            ShowsAsk::ExportPng(lo, hi) => {
                let Some(timeline) = self.shows.opened.clone() else {
                    return;
                };
                let name = timeline
                    .info
                    .path
                    .with_extension("png")
                    .file_name()
                    .map_or_else(|| "show.png".into(), |n| n.to_string_lossy().into_owned());
                self.bridge.spawn(async move {
                    let said = tokio::task::spawn_blocking(move || {
                        let path = rfd::FileDialog::new()
                            .set_title("Export the timeline as PNG")
                            .set_file_name(name)
                            .add_filter("PNG image", &["png"])
                            .save_file()?;
                        Some(
                            match crate::timeline::png::write(&timeline, (lo, hi), PNG_SIZE, &path)
                            {
                                Ok(()) => (format!("saved {}", path.display()), false),
                                Err(e) => (format!("the PNG was not saved: {e}"), true),
                            },
                        )
                    })
                    .await
                    .unwrap_or_else(|e| Some((format!("the export stopped: {e}"), true)));
                    if let Some((text, failed)) = said {
                        post(ShowsDone::Said(text, failed));
                    }
                });
            }
            ShowsAsk::ExportCsv => {
                let Some(path) = self.shows.opened.as_ref().map(|t| t.info.path.clone()) else {
                    return;
                };
                self.bridge.spawn(async move {
                    let said = tokio::task::spawn_blocking(move || {
                        let dir = rfd::FileDialog::new()
                            .set_title("A folder for the CSV files")
                            .pick_folder()?;
                        Some(export_csv(&path, &dir))
                    })
                    .await
                    .unwrap_or_else(|e| Some((format!("the export stopped: {e}"), true)));
                    if let Some((text, failed)) = said {
                        post(ShowsDone::Said(text, failed));
                    }
                });
            }
        }
    }

    fn open_show(&mut self, path: PathBuf) {
        self.shows.opening = Some(path.clone());
        self.shows_errands.read_at = Some(Instant::now());
        let done = Arc::clone(&self.shows_errands.done);
        let waker = self.bridge.waker();
        // This run's show: everything recorded so far goes to disk before it is read.
        let flight = self.flight.clone().filter(|f| f.path() == path);
        self.bridge.spawn(async move {
            if let Some(f) = flight {
                let _ = tokio::task::spawn_blocking(move || f.flush()).await;
            }
            let opened = read(path.clone()).await;
            if let Ok(mut q) = done.lock() {
                q.push(ShowsDone::Opened(path, opened));
            }
            waker.wake();
        });
    }

    /// What came back since the last frame; and the show being recorded, read again now
    /// and then while the tab shows it.
    pub(super) fn shows_errands(&mut self, ctx: &egui::Context, shown: bool) {
        let done: Vec<ShowsDone> = match self.shows_errands.done.lock() {
            Ok(mut q) => std::mem::take(&mut *q),
            Err(_) => Vec::new(),
        };
        for d in done {
            match d {
                ShowsDone::Listed(folder, listed, keeping) => {
                    self.shows.listing = false;
                    self.shows.keeping = Some(keeping);
                    self.shows.folder = Some(folder);
                    match listed {
                        Ok(list) => {
                            self.shows.list = list;
                            self.shows.list_error = None;
                        }
                        Err(e) => self.shows.list_error = Some(e),
                    }
                }
                ShowsDone::Opened(path, Ok(t)) => {
                    if self.shows.opening.as_ref().is_none_or(|p| *p == path) {
                        self.shows.opened(*t);
                    }
                }
                ShowsDone::Opened(path, Err(e)) => {
                    // A show asked for before the one being read now says nothing of it.
                    if self.shows.opening.as_ref().is_none_or(|p| *p == path) {
                        self.shows.opening = None;
                        self.shows.open_error = Some(format!("{}: {e}", path.display()));
                    }
                }
                ShowsDone::Said(text, failed) => self.shows.said = Some((text, failed)),
            }
        }
        let live = self.flight.as_ref().map(crate::flight::Flight::path);
        let on_screen_live = self
            .shows
            .opened
            .as_ref()
            .is_some_and(|t| Some(&t.info.path) == live.as_ref());
        if shown && on_screen_live && self.shows.opening.is_none() {
            let due = self
                .shows_errands
                .read_at
                .is_none_or(|t| t.elapsed() >= LIVE_EVERY);
            if due {
                if let Some(path) = live {
                    self.open_show(path);
                }
            } else {
                ctx.request_repaint_after(LIVE_EVERY);
            }
        }
    }
}

/// Reads a show whole, on a blocking thread.
async fn read(path: PathBuf) -> Result<Box<Timeline>, String> {
    tokio::task::spawn_blocking(move || {
        Timeline::open(&path)
            .map(Box::new)
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("reading the show stopped: {e}")))
}

/// Saves the setting and drops the shows past it (never the one being written): what was
/// said.
fn keep(
    keeping: Keeping,
    flight: Option<crate::flight::Flight>,
    folder: Option<PathBuf>,
) -> (String, bool) {
    if let Err(e) = keeping.save() {
        return (e, true);
    }
    let pruned = match (&flight, &folder) {
        (Some(f), _) => f.prune(&keeping.retention()),
        (None, Some(dir)) => {
            scpanel_core::journal::prune(dir, &keeping.retention(), None).map_err(|e| e.to_string())
        }
        (None, None) => return ("saved".to_string(), false),
    };
    match pruned {
        Ok(p) if p.removed.is_empty() => (
            format!(
                "saved; {} shows kept ({:.0} MB)",
                p.kept,
                p.bytes as f64 / 1e6
            ),
            false,
        ),
        Ok(p) => (
            format!(
                "saved; {} old show{} removed ({:.0} MB freed), {} kept",
                p.removed.len(),
                if p.removed.len() == 1 { "" } else { "s" },
                p.freed as f64 / 1e6,
                p.kept
            ),
            false,
        ),
        Err(e) => (
            format!("saved, but the old shows were not removed: {e}"),
            true,
        ),
    }
}

/// The samples and events of the show at `path` as CSV files in `dir`: what was said.
pub fn export_csv(path: &std::path::Path, dir: &std::path::Path) -> (String, bool) {
    match Show::open(path).and_then(|s| s.export_csv(dir)) {
        Ok((samples, events)) => (
            format!("saved {} and {}", samples.display(), events.display()),
            false,
        ),
        Err(e) => (format!("the CSV files were not saved: {e}"), true),
    }
}
