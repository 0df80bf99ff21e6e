//! Durations people type, in seconds. Every one is checked against its range before it
//! becomes a [`Duration`]: `Duration::from_secs_f64` panics on NaN, on negatives and past
//! `u64::MAX` seconds, and `Instant + Duration` panics on overflow, so an unchecked `1e300`
//! in a flag, a console line or a profile would end the program.

use std::time::Duration;

/// The range a duration of one kind may take, in seconds (both ends allowed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seconds {
    /// The shortest allowed.
    pub min: f64,
    /// The longest allowed.
    pub max: f64,
}

/// How long a boot may take before the server is given up on.
pub const BOOT_TIMEOUT: Seconds = Seconds {
    min: 0.5,
    max: 600.0,
};

/// How often status is polled or printed.
pub const STATUS_INTERVAL: Seconds = Seconds {
    min: 0.05,
    max: 3600.0,
};

/// How far ahead a bundle typed as `@seconds` may be scheduled. OSC time tags end in 2036, and
/// a server rarely runs for a year.
pub(crate) const BUNDLE_DELAY: Seconds = Seconds {
    min: 0.0,
    max: 365.0 * 24.0 * 3600.0,
};

impl Seconds {
    /// `secs` as a duration, or a sentence naming `field` and the range.
    pub fn check(&self, field: &str, secs: f64) -> Result<Duration, String> {
        self.check_shown(field, secs, &show(secs))
    }

    /// Parses `text` (a number of seconds such as `2` or `0.5`) for `field`.
    pub fn parse(&self, field: &str, text: &str) -> Result<Duration, String> {
        let text = text.trim();
        let secs: f64 = text.parse().map_err(|_| {
            format!(
                "{field} must be a number of seconds from {} to {}, not {:?}",
                show(self.min),
                show(self.max),
                shorten(text)
            )
        })?;
        self.check_shown(field, secs, shorten(text))
    }

    fn check_shown(&self, field: &str, secs: f64, shown: &str) -> Result<Duration, String> {
        // Written so that NaN fails too.
        let in_range = secs >= self.min && secs <= self.max;
        let out_of_range = || {
            format!(
                "{field} must be from {} to {} seconds, not {shown}",
                show(self.min),
                show(self.max)
            )
        };
        if !in_range {
            return Err(out_of_range());
        }
        Duration::try_from_secs_f64(secs).map_err(|_| out_of_range())
    }
}

/// A number as a person would write it: `0.5`, `600`, `1e300` (not 300 digits).
fn show(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-3..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Echoes at most 40 characters of what was typed.
fn shorten(text: &str) -> &str {
    match text.char_indices().nth(40) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_range_become_durations() {
        assert_eq!(
            BOOT_TIMEOUT.parse("boot_timeout", " 2.5 "),
            Ok(Duration::from_millis(2500))
        );
        assert_eq!(
            BOOT_TIMEOUT.check("boot_timeout", 600.0),
            Ok(Duration::from_secs(600))
        );
        assert_eq!(BUNDLE_DELAY.check("@", 0.0), Ok(Duration::ZERO));
    }

    #[test]
    fn values_out_of_range_name_the_field_and_the_range() {
        for bad in [
            "1e300", "1e19", "-1", "NaN", "inf", "-inf", "0", "0.1", "601",
        ] {
            let e = BOOT_TIMEOUT.parse("--boot-timeout", bad).unwrap_err();
            assert!(
                e.starts_with("--boot-timeout must be from 0.5 to 600 seconds"),
                "{e}"
            );
            assert!(e.contains(bad), "{e}");
        }
        let e = STATUS_INTERVAL.parse("--interval", "soon").unwrap_err();
        assert_eq!(
            e,
            "--interval must be a number of seconds from 0.05 to 3600, not \"soon\""
        );
        let e = BUNDLE_DELAY.check("the bundle time", 1e300).unwrap_err();
        assert!(e.ends_with("not 1e300"), "{e}");
        assert!(BUNDLE_DELAY.check("t", f64::NAN).is_err());
    }

    #[test]
    fn long_input_is_echoed_short() {
        let e = BOOT_TIMEOUT.parse("t", &"9".repeat(500)).unwrap_err();
        assert!(e.len() < 120, "{e}");
    }
}
