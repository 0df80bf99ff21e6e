//! How long the flight recorder keeps its shows, as the user set it (the Shows tab's "Keep
//! shows" and `scpanel shows keep`): at most so many days, and so much room on disk, oldest
//! show first out. Kept in `shows.toml` beside the other settings, read by whoever records
//! (the window, `scpanel watch`) when it starts and before each hourly pass.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use scpanel_core::journal::Retention;

/// The bounds a setting is held to: a day to ten years, 10 MB to 1 TB.
pub const DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
pub const MEGABYTES: std::ops::RangeInclusive<u64> = 10..=1_000_000;

/// The user's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keeping {
    /// Shows older than this many days go.
    pub days: u32,
    /// The shows together stay under this many megabytes (10⁶ bytes).
    pub megabytes: u64,
}

impl Default for Keeping {
    /// The default: 30 days, 1 GB (the core's [`Retention::default`]).
    fn default() -> Self {
        let r = Retention::default();
        Keeping {
            days: u32::try_from(r.max_age.as_secs() / 86_400).unwrap_or(30),
            megabytes: r.max_bytes / 1_000_000,
        }
    }
}

impl Keeping {
    fn path() -> Option<PathBuf> {
        crate::gui::profiles::folder().map(|d| d.join("shows.toml"))
    }

    /// Held within [`DAYS`] and [`MEGABYTES`] (a hand-edited file may say anything).
    pub fn bounded(self) -> Keeping {
        Keeping {
            days: self.days.clamp(*DAYS.start(), *DAYS.end()),
            megabytes: self.megabytes.clamp(*MEGABYTES.start(), *MEGABYTES.end()),
        }
    }

    /// What the user set, or the default when nothing was (or the file can't be read).
    pub fn load() -> Keeping {
        let Some(path) = Self::path() else {
            return Keeping::default();
        };
        match scpanel_core::files::read_bounded(&path, 16 * 1024, "settings file") {
            Ok(bytes) => toml::from_str::<Keeping>(&String::from_utf8_lossy(&bytes))
                .map_or_else(|_| Keeping::default(), Keeping::bounded),
            Err(_) => Keeping::default(),
        }
    }

    /// Kept for the next start (and the next hourly pass).
    pub fn save(&self) -> Result<(), String> {
        let path = Self::path().ok_or("no folder for settings")?;
        let text = toml::to_string(&self.bounded()).map_err(|e| e.to_string())?;
        scpanel_core::files::write_atomic(&path, text.as_bytes(), false, "settings file")
            .map_err(|e| format!("the setting was not saved: {e}"))
    }

    /// As the journal's pruning takes it.
    pub fn retention(&self) -> Retention {
        let k = self.bounded();
        Retention {
            max_age: Duration::from_secs(u64::from(k.days) * 86_400),
            max_bytes: k.megabytes.saturating_mul(1_000_000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_thirty_days_and_a_gigabyte_and_odd_settings_are_held() {
        assert_eq!(
            Keeping::default(),
            Keeping {
                days: 30,
                megabytes: 1000
            }
        );
        assert_eq!(Keeping::default().retention(), Retention::default());
        let wild = Keeping {
            days: 0,
            megabytes: u64::MAX,
        }
        .bounded();
        assert_eq!(wild.days, 1);
        assert_eq!(wild.megabytes, 1_000_000);
        let parsed: Keeping = toml::from_str("days = 7\nmegabytes = 200\n").expect("toml");
        assert_eq!(parsed.retention().max_bytes, 200_000_000);
    }
}
