//! Wall-clock times as people read them: the one place a time is formatted. Local times
//! come from the system's zone (`TZ`, else `/etc/localtime`), as the rest of the desktop
//! shows them; where no zone can be had, UTC, marked so.

use std::time::SystemTime;

use jiff::Timestamp;
use jiff::tz::TimeZone;

fn local(at: SystemTime) -> Option<jiff::ZonedDateTime> {
    Timestamp::try_from(at)
        .ok()
        .map(|t| t.to_zoned_datetime(TimeZone::system()))
}

/// `21:14` in local time (a tile's "offline since", the last xrun).
pub fn hours_minutes(at: SystemTime) -> String {
    match local(at) {
        Some(z) => z.strftime("%H:%M").to_string(),
        None => "--:--".to_string(),
    }
}

/// `21:14:03` in local time (a summary's peak, a timeline's axis).
pub fn hms(at: SystemTime) -> String {
    match local(at) {
        Some(z) => z.strftime("%H:%M:%S").to_string(),
        None => "--:--:--".to_string(),
    }
}

/// `21:14:03.250` in local time (a timeline zoomed to seconds).
pub fn hms_millis(at: SystemTime) -> String {
    match local(at) {
        Some(z) => z.strftime("%H:%M:%S%.3f").to_string(),
        None => "--:--:--.---".to_string(),
    }
}

/// How far local time is ahead of UTC at `at`, in seconds (0 where no zone can be had):
/// for putting a timeline's ticks on round local times.
pub fn utc_offset(at: SystemTime) -> i64 {
    Timestamp::try_from(at).map_or(0, |t| i64::from(TimeZone::system().to_offset(t).seconds()))
}

/// `2026-11-30-192311` in local time, for a file's name.
pub fn file_stamp(at: SystemTime) -> String {
    match local(at) {
        Some(z) => z.strftime("%Y-%m-%d-%H%M%S").to_string(),
        None => "0000-00-00-000000".to_string(),
    }
}

/// `19:22:05.045 UTC`: a log line's time, the same wherever the log is read (a copy pasted
/// into a forum says UTC rather than a zone nobody knows).
pub fn utc_millis(at: SystemTime) -> String {
    match Timestamp::try_from(at) {
        Ok(t) => t.strftime("%H:%M:%S%.3f UTC").to_string(),
        Err(_) => "--:--:--.--- UTC".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_log_reads_hours_minutes_seconds_and_milliseconds_in_utc() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(3_723_045);
        assert_eq!(utc_millis(t), "01:02:03.045 UTC");
    }

    #[test]
    fn local_times_have_their_shape() {
        let now = SystemTime::now();
        let hm = hours_minutes(now);
        assert_eq!((hm.len(), &hm[2..3]), (5, ":"), "{hm}");
        let stamp = file_stamp(now);
        assert_eq!(stamp.len(), "2026-11-30-192311".len(), "{stamp}");
        assert!(stamp.starts_with("20"), "{stamp}");
    }
}
