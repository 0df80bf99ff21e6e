//! The fixes the doctor applies itself. Each says what it did, for the window's notice.

use std::time::Duration;

use super::{Doctor, Fix};
use crate::error::{Result, ServerError};
use crate::ops::nodes;
use crate::wire::protocol::AddAction;

/// How long an old server gets to quit on SIGTERM before SIGKILL.
const OLD_SERVER_GRACE: Duration = Duration::from_secs(3);

pub(super) async fn apply(doc: &Doctor, fix: &Fix) -> Result<String> {
    match fix {
        Fix::MoveAfter { node, after } => {
            nodes::Nodes {
                link: doc.link.clone(),
            }
            .move_to(*node, *after, AddAction::AddAfter)
            .await?;
            Ok(format!("moved {node} after {after}"))
        }
        Fix::ConnectOutputs { client } => {
            let pairs = super::gather::jack_target(doc)
                .connect_outputs_to_system(client)
                .await?;
            if pairs.is_empty() {
                return Err(ServerError::Io(format!(
                    "JACK has no playback ports to connect {client}'s outputs to"
                )));
            }
            Ok(format!(
                "connected {} outputs to the playback ports",
                pairs.len()
            ))
        }
        Fix::Unmute => {
            doc.mixer.set_mute(false).await?;
            if doc.mixer.settings().volume_db <= crate::model::levels::FLOOR_DB + 1.0 {
                doc.mixer.set_volume(0.0).await?;
            }
            Ok("unmuted the master volume".into())
        }
        Fix::LoadDef { name, file } => {
            match file {
                None => doc.defs.send_builtin(name).await?,
                Some(path) => {
                    doc.defs.load_file(path).await?;
                }
            }
            // The failures already in the log are answered now.
            let seen = super::gather::log_len(doc);
            if let Ok(mut c) = doc.state.cleared.lock() {
                c.insert(name.clone(), seen);
            }
            Ok(format!("loaded {name}"))
        }
        Fix::SetControl { node, name, value } => {
            nodes::set(&doc.link, *node, &[(name.as_str(), *value)]).await?;
            Ok(format!("set {name} of {node} to {value}"))
        }
        Fix::Resume { node } => {
            nodes::run(&doc.link, *node, true).await?;
            Ok(format!("resumed {node}"))
        }
        Fix::StartJack => Err(ServerError::Refused(
            "starting JACK is the app's to do (it owns the jackd it starts)".into(),
        )),
        Fix::FreeOldServer { holder } => {
            if !holder.is_scsynth() {
                return Err(ServerError::Refused(format!(
                    "pid {} is not a SuperCollider server ({}): stop it yourself if you mean to",
                    holder.pid, holder.command
                )));
            }
            if crate::host::ports::stop_process(holder, OLD_SERVER_GRACE).await {
                Ok(format!("stopped the old server (pid {})", holder.pid))
            } else {
                Err(ServerError::Io(format!(
                    "the old server (pid {}) would not stop",
                    holder.pid
                )))
            }
        }
    }
}
