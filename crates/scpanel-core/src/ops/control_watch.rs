//! Keeps the controls of the synths a reader shows up to date. scsynth sends no
//! notification when a control changes (another client's `x.set`), so the watched synths'
//! values are re-read with `/s_getn`, which answers the sender alone, a few times a second.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rosc::OscType;

use crate::error::Result;
use crate::link::Link;
use crate::model::tree::ControlValue;
use crate::ops::tree_query;
use crate::wire::protocol::{Expect, bundle_of, float_arg, int_arg, msg};

/// How often the watched controls are read: a change shows within this (plus a round trip).
pub(crate) const CONTROL_POLL: Duration = Duration::from_millis(250);
/// The most synths watched at once (a screenful of rows).
pub(crate) const MAX_WATCHED: usize = 256;
/// How many synths' control names are remembered as asked for before starting over.
const MAX_ASKED: usize = 4096;

/// What the control watch keeps between reads, one per handle.
#[derive(Default)]
pub(crate) struct State {
    /// Synths whose controls a reader shows.
    watched: Mutex<Vec<i32>>,
    /// Watched synths whose control names were asked for already (a group too big to
    /// answer with controls is not asked again at every tick).
    asked: Mutex<HashSet<i32>>,
}

/// Keeping the controls of the synths a reader shows up to date
/// ([`Server::controls`](crate::Server::controls)).
#[derive(Clone)]
pub struct Controls {
    pub(crate) link: Arc<Link>,
    pub(crate) state: Arc<State>,
}

impl Controls {
    /// Which synths' controls to keep reading (the rows on screen); replaces the last set.
    pub fn watch(&self, mut ids: Vec<i32>) {
        ids.truncate(MAX_WATCHED);
        ids.sort_unstable();
        ids.dedup();
        if let Ok(mut w) = self.state.watched.lock()
            && *w != ids
        {
            *w = ids;
        }
    }

    /// Reads the controls of `ids` once and updates the mirror; returns whether any changed.
    /// Synths known only by name (other clients' synths) first get their controls' names
    /// from a read of their group with controls.
    pub async fn refresh(&self, ids: &[i32]) -> Result<bool> {
        let conn = self.link.online()?.conn.clone();
        let named = self.name_controls(ids).await;
        let counts: Vec<(i32, usize)> = self.link.with_tree(|t| {
            ids.iter()
                .filter_map(|id| {
                    let n = t.get(*id)?;
                    (!n.is_group() && !n.controls.is_empty()).then_some((*id, n.controls.len()))
                })
                .collect()
        });
        if counts.is_empty() {
            return Ok(named);
        }
        let mut queries = vec![msg("/error", [OscType::Int(-1)])];
        queries.extend(counts.iter().map(|(id, n)| {
            msg(
                "/s_getn",
                [
                    OscType::Int(*id),
                    OscType::Int(0),
                    OscType::Int(i32::try_from(*n).unwrap_or(i32::MAX)),
                ],
            )
        }));
        let replies = conn
            .collect_quietly(bundle_of(queries), Expect::Address("/n_setn"))
            .await?;
        let mut changed = false;
        if let Ok(mut tree) = self.link.shared.tree.lock() {
            for r in &replies {
                // /n_setn id index count values…
                let (Some(id), Some(start), Some(count)) =
                    (int_arg(r, 0), int_arg(r, 1), int_arg(r, 2))
                else {
                    continue;
                };
                let (Ok(start), Ok(count)) = (usize::try_from(start), usize::try_from(count))
                else {
                    continue;
                };
                let Some(node) = tree.get(id) else { continue };
                let updates: Vec<(usize, f32)> = (0..count.min(node.controls.len()))
                    .filter_map(|i| {
                        let at = start.checked_add(i)?;
                        let v = float_arg(r, 3 + i)? as f32;
                        // A control mapped to a bus shows the mapping, not the bus's value.
                        match node.controls.get(at)? {
                            (_, ControlValue::Value(old)) if old.to_bits() != v.to_bits() => {
                                Some((at, v))
                            }
                            _ => None,
                        }
                    })
                    .collect();
                if updates.is_empty() {
                    continue;
                }
                if let Some(node) = tree.get_mut(id) {
                    for (at, v) in updates {
                        if let Some(c) = node.controls.get_mut(at) {
                            c.1 = ControlValue::Value(v);
                        }
                    }
                    changed = true;
                }
            }
        }
        if changed {
            self.link.shared.changed();
        }
        Ok(changed || named)
    }

    /// Reads, with controls, the groups of the synths in `ids` that have a SynthDef name but
    /// no controls yet, each synth once; returns whether any got controls.
    async fn name_controls(&self, ids: &[i32]) -> bool {
        let groups: Vec<i32> = {
            let Ok(mut asked) = self.state.asked.lock() else {
                return false;
            };
            if asked.len() > MAX_ASKED {
                asked.clear();
            }
            let mut groups: Vec<i32> = self.link.with_tree(|t| {
                ids.iter()
                    .filter_map(|id| {
                        let n = t.get(*id)?;
                        let bare = !n.is_group() && n.def_name().is_some() && n.controls.is_empty();
                        (bare && asked.insert(*id)).then_some(n.parent)
                    })
                    .collect()
            });
            groups.sort_unstable();
            groups.dedup();
            groups
        };
        let mut named = false;
        for group in groups {
            // Too big to answer with controls: the synths stay known by name only.
            let Ok(sub) = tree_query::query_group_once(&self.link, group, true).await else {
                continue;
            };
            if let Ok(mut t) = self.link.shared.tree.lock() {
                for n in sub.nodes() {
                    let bare = t.get(n.id).is_some_and(|m| {
                        !m.is_group() && m.controls.is_empty() && m.def_name() == n.def_name()
                    });
                    if let (true, Some(def)) = (bare, n.def_name())
                        && !n.controls.is_empty()
                    {
                        t.describe_synth(n.id, def, n.controls.clone());
                        named = true;
                    }
                }
            }
        }
        if named {
            self.link.shared.changed();
        }
        named
    }
}

/// Runs while the connection lives: reads the watched controls every [`CONTROL_POLL`].
pub(crate) async fn poll(link: Weak<Link>, state: Arc<State>) {
    let mut tick = tokio::time::interval(CONTROL_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(link) = link.upgrade() else {
            return;
        };
        let ids = state.watched.lock().map(|w| w.clone()).unwrap_or_default();
        if !ids.is_empty() {
            // A failed read is retried at the next tick; the mirror keeps what it had.
            let controls = Controls {
                link,
                state: state.clone(),
            };
            let _ = controls.refresh(&ids).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::scripted;

    #[tokio::test]
    async fn the_watch_is_bounded_and_sorted() {
        let (link, _script) = scripted::link().await;
        let controls = Controls {
            link,
            state: Arc::new(State::default()),
        };
        let ids: Vec<i32> = (0..(MAX_WATCHED as i32 * 2)).rev().chain([5, 5]).collect();
        controls.watch(ids);
        let watched = controls.state.watched.lock().expect("state").clone();
        assert!(watched.len() <= MAX_WATCHED);
        assert!(
            watched.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
    }

    #[tokio::test]
    async fn nothing_is_asked_for_synths_the_mirror_has_no_controls_for() {
        let (link, script) = scripted::link().await;
        let controls = Controls {
            link,
            state: Arc::new(State::default()),
        };
        assert_eq!(controls.refresh(&[]).await.ok(), Some(false));
        assert!(script.sent("/s_getn").is_empty());
    }
}
