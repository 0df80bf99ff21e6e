//! The requests every client makes: `/status`, `/version`, `/dumpOSC`.

use rosc::{OscPacket, OscType};

use crate::error::{Result, ServerError};
use crate::link::Link;
use crate::wire::protocol::{Expect, StatusInfo, VersionInfo, msg};

/// A fresh `/status`.
pub(crate) async fn status(link: &Link) -> Result<StatusInfo> {
    let m = link
        .request(msg("/status", []), Expect::Address("/status.reply"))
        .await?;
    StatusInfo::from_msg(&m).ok_or_else(|| ServerError::Osc("malformed /status.reply".into()))
}

/// The server program and its version (`/version`).
pub(crate) async fn version(link: &Link) -> Result<VersionInfo> {
    let m = link
        .request(msg("/version", []), Expect::Address("/version.reply"))
        .await?;
    VersionInfo::from_msg(&m).ok_or_else(|| ServerError::Osc("malformed /version.reply".into()))
}

/// The server prints every message it receives (to its log) from the next one on.
pub(crate) async fn dump_osc(link: &Link, on: bool) -> Result<()> {
    link.send_checked(OscPacket::Message(msg(
        "/dumpOSC",
        [OscType::Int(on as i32)],
    )))
    .await
}
