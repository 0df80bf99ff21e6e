//! The machine's sound cards, as ALSA lists them in `/proc/asound`: what a JACK server can be
//! started on. Read from the kernel's text files, so no ALSA library is linked.

use std::path::Path;

/// The most of a `/proc/asound` file read: a machine with dozens of cards prints a few KiB.
const MAX_READ: u64 = 64 * 1024;

/// The most cards kept (ALSA's own limit is 32 cards).
const MAX_CARDS: usize = 64;

/// One sound card, with the PCM devices it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// ALSA's card number (`hw:N`).
    pub index: u32,
    /// ALSA's short id (`PCH`, `Dummy`, `USB`).
    pub id: String,
    /// The kernel driver's name (`HDA-Intel`).
    pub driver: String,
    /// The card's name (`HDA Intel PCH`).
    pub name: String,
    /// Its PCM devices, in ALSA's order.
    pub devices: Vec<PcmDevice>,
}

/// One PCM device of a card: a way in or out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcmDevice {
    /// The card's number.
    pub card: u32,
    /// The device's number on its card (`hw:N,D`).
    pub device: u32,
    /// Its name (`ALC3232 Analog`, `HDMI 0`).
    pub name: String,
    /// Whether it plays sound.
    pub playback: bool,
    /// Whether it records sound.
    pub capture: bool,
}

impl Card {
    /// `hw:N`: the whole card, as `jackd -d alsa -d` takes it.
    pub fn hw(&self) -> String {
        format!("hw:{}", self.index)
    }

    /// Whether any of its devices plays sound.
    pub fn plays(&self) -> bool {
        self.devices.iter().any(|d| d.playback)
    }

    /// Whether any of its devices records sound.
    pub fn records(&self) -> bool {
        self.devices.iter().any(|d| d.capture)
    }
}

impl PcmDevice {
    /// `hw:N,D`.
    pub fn hw(&self) -> String {
        format!("hw:{},{}", self.card, self.device)
    }
}

/// The cards in `/proc/asound`, with their devices. No sound support in the kernel (no
/// `/proc/asound`) is no cards, not an error.
pub fn cards() -> std::io::Result<Vec<Card>> {
    cards_in(Path::new("/proc/asound"))
}

/// [`cards`] from another directory laid out like `/proc/asound`.
pub fn cards_in(dir: &Path) -> std::io::Result<Vec<Card>> {
    let cards_text = match read_bounded(&dir.join("cards")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    // A kernel without PCM support (or a card without PCM) has no `pcm` file.
    let pcm_text = match read_bounded(&dir.join("pcm")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    Ok(join(parse_cards(&cards_text), parse_pcm(&pcm_text)))
}

fn read_bounded(path: &Path) -> std::io::Result<String> {
    match crate::files::read_head(path, MAX_READ, "sound card list") {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.is_missing() => Err(std::io::ErrorKind::NotFound.into()),
        Err(e) => Err(std::io::Error::other(e.to_string())),
    }
}

/// Gives each card its devices.
pub fn join(mut cards: Vec<Card>, devices: Vec<PcmDevice>) -> Vec<Card> {
    for d in devices {
        if let Some(c) = cards.iter_mut().find(|c| c.index == d.card) {
            c.devices.push(d);
        }
    }
    cards
}

/// Parses `/proc/asound/cards`: for each card a line `%2i [%-15s]: %s - %s` (number, id,
/// driver, name) then an indented line with the long name; `--- no soundcards ---` when
/// there are none. Lines that don't fit are skipped.
pub fn parse_cards(text: &str) -> Vec<Card> {
    text.lines()
        .filter_map(|line| {
            let (index, rest) = line.trim_start().split_once(" [")?;
            let index: u32 = index.trim().parse().ok()?;
            let (id, rest) = rest.split_once("]: ")?;
            let (driver, name) = rest.split_once(" - ")?;
            Some(Card {
                index,
                id: id.trim().to_string(),
                driver: driver.trim().to_string(),
                name: name.trim().to_string(),
                devices: Vec::new(),
            })
        })
        .take(MAX_CARDS)
        .collect()
}

/// Parses `/proc/asound/pcm`: a line `CC-DD: id : name` then ` : playback N` and/or
/// ` : capture N` for each device.
pub fn parse_pcm(text: &str) -> Vec<PcmDevice> {
    text.lines()
        .filter_map(|line| {
            let (numbers, rest) = line.split_once(": ")?;
            let (card, device) = numbers.split_once('-')?;
            let parts: Vec<&str> = rest.split(" : ").collect();
            let streams = parts.get(2..).unwrap_or_default();
            // The name; the id when a line has none.
            let name = parts.get(1).or(parts.first())?;
            Some(PcmDevice {
                card: card.trim().parse().ok()?,
                device: device.trim().parse().ok()?,
                name: name.trim().to_string(),
                playback: streams.iter().any(|s| s.trim().starts_with("playback")),
                capture: streams.iter().any(|s| s.trim().starts_with("capture")),
            })
        })
        .take(MAX_CARDS * 32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A laptop's cards, as the kernel prints them (`sound/core/init.c`).
    const CARDS: &str = " 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 32
 1 [Dummy          ]: Dummy - Dummy
                      Dummy 1
10 [USB            ]: USB-Audio - Scarlett 2i2 USB
                      Focusrite Scarlett 2i2 USB at usb-0000:00:14.0-2, high speed
";

    /// Their PCM devices (`sound/core/pcm.c`).
    const PCM: &str = "00-00: ALC3232 Analog : ALC3232 Analog : playback 1 : capture 1
00-03: HDMI 0 : HDMI 0 : playback 1
01-00: Dummy PCM : Dummy PCM : playback 8 : capture 8
10-00: USB Audio : USB Audio : playback 1 : capture 1
10-01: USB Audio #1 : USB Audio #1 : capture 1
";

    #[test]
    fn cards_and_their_devices_come_from_the_kernel_text() {
        let cards = join(parse_cards(CARDS), parse_pcm(PCM));
        let summary: Vec<(String, &str, &str, usize)> = cards
            .iter()
            .map(|c| (c.hw(), c.id.as_str(), c.name.as_str(), c.devices.len()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("hw:0".into(), "PCH", "HDA Intel PCH", 2),
                ("hw:1".into(), "Dummy", "Dummy", 1),
                ("hw:10".into(), "USB", "Scarlett 2i2 USB", 2),
            ]
        );
        let hdmi = &cards[0].devices[1];
        assert_eq!(
            (hdmi.hw(), hdmi.name.as_str(), hdmi.playback, hdmi.capture),
            ("hw:0,3".into(), "HDMI 0", true, false)
        );
        let usb_in = &cards[2].devices[1];
        assert_eq!(
            (usb_in.hw(), usb_in.playback, usb_in.capture),
            ("hw:10,1".into(), false, true)
        );
        assert_eq!(cards[0].driver, "HDA-Intel");
        assert!(cards[2].plays() && cards[2].records());
    }

    #[test]
    fn no_soundcards_is_an_empty_list() {
        assert!(parse_cards("--- no soundcards ---\n").is_empty());
        assert!(parse_pcm("").is_empty());
    }

    #[test]
    fn a_missing_asound_directory_is_no_cards() {
        let dir = std::env::temp_dir().join(format!("scpanel-no-asound-{}", std::process::id()));
        assert_eq!(cards_in(&dir).unwrap(), Vec::new());
    }

    #[test]
    fn a_directory_laid_out_like_proc_asound_is_read() {
        let dir = std::env::temp_dir().join(format!("scpanel-asound-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cards"), CARDS).unwrap();
        std::fs::write(dir.join("pcm"), PCM).unwrap();
        let cards = cards_in(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(cards.len(), 3);
        assert_eq!(cards[1].devices[0].hw(), "hw:1,0");
    }

    /// This machine's own cards, whatever it has: every card the kernel lists in `cards` is
    /// in the list, with the devices `pcm` gives it.
    #[test]
    fn this_machines_cards_are_listed() {
        let cards = cards().unwrap();
        match std::fs::read_to_string("/proc/asound/cards") {
            Err(_) => assert!(cards.is_empty(), "{cards:?}"),
            Ok(text) => {
                let listed = text.lines().filter(|l| l.contains("]: ")).count();
                assert_eq!(cards.len(), listed, "{text}");
                let pcm = std::fs::read_to_string("/proc/asound/pcm").unwrap_or_default();
                let devices: usize = cards.iter().map(|c| c.devices.len()).sum();
                assert_eq!(devices, pcm.lines().filter(|l| !l.is_empty()).count());
            }
        }
    }
}
