//! A sample-rate mismatch, recognised in a boot log and told in plain words.
//!
//! Under JACK scsynth says nothing about a rate it was asked for and can't have: it prints
//! the rate it runs at (`SC_AudioDriver: sample rate = 48000.000000, …`) and boots. The rate
//! asked for is in the command line the log starts each run with (`$ scsynth … -S 44100`).
//! On macOS, an input and output device at two rates stop the boot with
//! `ERROR: Input sample rate is 44100, but output is 48000. Mismatched sample rates are not
//! supported. To disable input, set the number of input channels to 0.`

/// The plain-words explanation of a sample-rate mismatch in the last run of `lines` (a
/// server log, oldest first), if there is one.
pub fn explain_mismatch<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut asked: Option<u32> = None;
    let mut actual: Option<u32> = None;
    let mut jack = false;
    let mut devices: Option<(u32, u32)> = None;
    for line in lines {
        let line = line.trim();
        if let Some(command) = line.strip_prefix("$ ") {
            // A new run: what came before is another boot's.
            asked = asked_rate(command);
            (actual, jack, devices) = (None, false, None);
        } else if let Some(rest) = line.strip_prefix("SC_AudioDriver: sample rate = ") {
            actual = leading_rate(rest);
        } else if line.starts_with("JackDriver:") {
            jack = true;
        } else if line.contains("Mismatched sample rates")
            && let Some(rest) = line.split("Input sample rate is ").nth(1)
            && let Some((input, output)) = rest.split_once(", but output is ")
            && let (Some(i), Some(o)) = (leading_rate(input), leading_rate(output))
        {
            devices = Some((i, o));
        }
    }
    if let Some((input, output)) = devices {
        return Some(format!(
            "The sound input runs at {input} Hz and the output at {output} Hz, and scsynth \
             can't use two rates at once. Set both devices to one rate (in Audio MIDI Setup), \
             or set Input channels to 0 to boot without input."
        ));
    }
    let (asked, actual) = (asked?, actual?);
    if asked == actual {
        return None;
    }
    let what = if jack { "JACK" } else { "the sound device" };
    let follows = if jack {
        "and scsynth follows it"
    } else {
        "and scsynth runs at its rate"
    };
    let restart = if jack {
        format!("start JACK at {asked}")
    } else {
        format!("set the device to {asked} Hz")
    };
    Some(format!(
        "You asked for {asked} Hz; {what} runs at {actual} Hz {follows}. Set the sample rate \
         to {actual} (or 0 to follow {what_short}), or {restart}.",
        what_short = if jack { "JACK" } else { "the device" },
    ))
}

/// The value after `-S` in a command line, when it is a rate (0 asks for none).
fn asked_rate(command: &str) -> Option<u32> {
    let mut words = command.split_whitespace();
    words.find(|w| *w == "-S")?;
    let rate: u32 = words.next()?.trim_matches('\'').parse().ok()?;
    (rate != 0).then_some(rate)
}

/// `48000` from `48000.000000, driver's block size = 256` or `44100. Mismatched…`.
fn leading_rate(text: &str) -> Option<u32> {
    let number: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let rate: f64 = number.trim_end_matches('.').parse().ok()?;
    (rate.is_finite() && rate > 0.0 && rate < 10_000_000.0).then(|| rate.round() as u32)
}

#[cfg(test)]
mod tests {
    use super::explain_mismatch;

    /// A boot's log as scpanel keeps it: its command line, then what scsynth 3.13 printed
    /// (measured against a dummy JACK at 48000 Hz: `scsynth -u 57990 -S 44100 -R 0`).
    fn boot_log(asked: &str) -> Vec<String> {
        vec![
            format!("$ /usr/bin/scsynth -u 57990 -S {asked} -R 0"),
            "*** ERROR: open directory failed '/root/.local/share/SuperCollider/synthdefs'".into(),
            "JackDriver: client name is 'SuperCollider'".into(),
            "SC_AudioDriver: sample rate = 48000.000000, driver's block size = 256".into(),
            "SuperCollider 3 server ready.".into(),
        ]
    }

    fn explain(lines: &[String]) -> Option<String> {
        explain_mismatch(lines.iter().map(String::as_str))
    }

    #[test]
    fn a_rate_jack_does_not_run_is_explained() {
        assert_eq!(
            explain(&boot_log("44100")).as_deref(),
            Some(
                "You asked for 44100 Hz; JACK runs at 48000 Hz and scsynth follows it. Set the \
                 sample rate to 48000 (or 0 to follow JACK), or start JACK at 44100."
            )
        );
        let higher = explain(&boot_log("96000")).unwrap();
        assert!(higher.starts_with("You asked for 96000 Hz; JACK runs at 48000 Hz"));
    }

    #[test]
    fn the_rate_jack_runs_or_none_asked_is_no_mismatch() {
        assert_eq!(explain(&boot_log("48000")), None);
        assert_eq!(explain(&boot_log("0")), None);
        let mut no_s = boot_log("48000");
        no_s[0] = "$ /usr/bin/scsynth -u 57990 -R 0".into();
        assert_eq!(explain(&no_s), None);
    }

    #[test]
    fn only_the_last_run_counts() {
        let mut log = boot_log("44100");
        log.extend(boot_log("48000"));
        assert_eq!(explain(&log), None);
        let mut log = boot_log("48000");
        log.extend(boot_log("44100"));
        assert!(explain(&log).is_some());
    }

    #[test]
    fn a_run_that_has_not_opened_its_audio_yet_is_not_judged() {
        let log = boot_log("44100");
        assert_eq!(explain(&log[..3]), None);
    }

    #[test]
    fn macos_two_devices_at_two_rates_are_explained() {
        let log = vec![
            "$ /Applications/SuperCollider.app/Contents/Resources/scsynth -u 57110".to_string(),
            "Number of Devices: 3".into(),
            "ERROR: Input sample rate is 44100, but output is 48000. Mismatched sample rates \
             are not supported. To disable input, set the number of input channels to 0."
                .into(),
            "could not initialize audio.".into(),
        ];
        let text = explain(&log).unwrap();
        assert!(
            text.starts_with("The sound input runs at 44100 Hz and the output at 48000 Hz"),
            "{text}"
        );
        assert!(text.contains("Input channels to 0"), "{text}");
    }

    #[test]
    fn a_device_other_than_jack_is_named_so() {
        let log: Vec<String> = boot_log("44100")
            .into_iter()
            .filter(|l| !l.starts_with("JackDriver"))
            .collect();
        let text = explain(&log).unwrap();
        assert!(
            text.contains("; the sound device runs at 48000 Hz"),
            "{text}"
        );
    }
}
