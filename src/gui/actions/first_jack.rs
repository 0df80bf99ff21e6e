//! The first Boot on a machine where no JACK server runs: start one (on the sound card when
//! there is one, else on the dummy driver) and say which, instead of letting scsynth fail to
//! find an audio device. The JACK started here is the app's own, like one started from the
//! audio setup: stopped by its pid when the app quits.

use scpanel_core::Options;
use scpanel_core::audio::alsa::Card;
use scpanel_core::audio::jack::{JackDevice, JackServer, JackSettings, JackStatus, RATES};
use scpanel_core::audio::pipewire::PipeWire;
// The JACK server a boot with these options talks to, as the xrun watcher finds it.
use scpanel_core::audio::xruns::target_of as target;

/// A JACK server started for a boot, and the sentence that says on what.
pub struct Started {
    pub jack: JackServer,
    pub said: String,
}

/// One boot at a time looks for JACK and starts it: two sessions booting at once start one.
static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where to start JACK, and the words for it: the first card that plays, unless PipeWire
/// holds the cards; else the dummy driver, saying why nothing will be heard. The rate is the
/// one the boot asks for when JACK offers it (scsynth runs at JACK's), else 48 kHz.
pub fn choose(
    cards: &Result<Vec<Card>, String>,
    pipewire_holds_cards: bool,
    rate: u32,
) -> (JackSettings, String) {
    let mut settings = JackSettings::dummy();
    if RATES.contains(&rate) {
        settings.rate = rate;
    }
    let card = match cards {
        Ok(cards) if !pipewire_holds_cards => cards.iter().find(|c| c.plays()),
        _ => None,
    };
    if let Some(card) = card {
        settings.device = JackDevice::Alsa {
            hw: Some(card.hw()),
            playback: true,
            capture: card.records(),
        };
        return (settings, format!("{} ({})", card.hw(), card.name));
    }
    let why = match cards {
        _ if pipewire_holds_cards => "the sound cards are PipeWire's".to_string(),
        Err(e) => format!("the sound cards can't be read ({e})"),
        Ok(_) => "no sound card found".to_string(),
    };
    (settings, format!("the dummy driver: {why}"))
}

/// The sentence for the log and the notice.
fn sentence(on: &str, settings: &JackSettings) -> String {
    let heard = if settings.device == JackDevice::Dummy {
        ", nothing will be heard"
    } else {
        ""
    };
    format!(
        "No JACK was running: started JACK on {on}{heard} ({} Hz, {} frames). \
         scpanel stops it when it quits.",
        settings.rate, settings.period
    )
}

/// Starts a JACK server for a boot with `options` when none runs (Linux, where scsynth
/// plays through JACK); `None` when one runs already, when JACK's tools are missing (the
/// boot says what is wrong), or when PipeWire provides JACK (there is no `jackd` to start).
pub async fn jack_for_boot(options: &Options) -> Result<Option<Started>, String> {
    if !cfg!(target_os = "linux") {
        return Ok(None);
    }
    let _one_at_a_time = STARTING.lock().await;
    let target = target(options);
    if target.status().await != JackStatus::NotRunning {
        return Ok(None);
    }
    let pipewire = scpanel_core::audio::pipewire::detect().await;
    if pipewire.provides_jack() {
        return Ok(None);
    }
    let cards = tokio::task::spawn_blocking(scpanel_core::audio::alsa::cards)
        .await
        .map_err(|e| format!("listing the sound cards stopped: {e}"))?
        .map_err(|e| format!("cannot read /proc/asound: {e}"));
    let (settings, on) = choose(
        &cards,
        PipeWire::runs_without_its_jack(&pipewire),
        options.sample_rate,
    );
    match JackServer::start(target.clone(), &settings).await {
        Ok(jack) => Ok(Some(Started {
            jack,
            said: sentence(&on, &settings),
        })),
        // `jack_lsp` can fail while another client opens (the audio setup's own check): a
        // jackd that would not start beside a server that answers now found one running.
        Err(_) if matches!(target.status().await, JackStatus::Running { .. }) => Ok(None),
        // A card that would not open (another program holds it): the dummy driver still
        // lets the server boot, and the words say why nothing is heard.
        Err(e) if settings.device != JackDevice::Dummy => {
            let dummy = JackSettings {
                device: JackDevice::Dummy,
                ..settings
            };
            let jack = JackServer::start(target, &dummy)
                .await
                .map_err(|e| format!("no JACK was running, and none would start: {e}"))?;
            let on = format!("the dummy driver: {on} would not open ({e})");
            Ok(Some(Started {
                jack,
                said: sentence(&on, &dummy),
            }))
        }
        Err(e) => Err(format!("no JACK was running, and none would start: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{choose, sentence, target};
    use scpanel_core::Options;
    use scpanel_core::audio::alsa::{Card, PcmDevice};
    use scpanel_core::audio::jack::JackDevice;

    fn card(index: u32, name: &str, playback: bool) -> Card {
        Card {
            index,
            id: "X".into(),
            driver: "HDA-Intel".into(),
            name: name.into(),
            devices: vec![PcmDevice {
                card: index,
                device: 0,
                name: "Analog".into(),
                playback,
                capture: true,
            }],
        }
    }

    #[test]
    fn the_first_card_that_plays_is_chosen_else_the_dummy_driver() {
        let cards = Ok(vec![card(0, "USB Mic", false), card(1, "HDA Intel", true)]);
        let (s, on) = choose(&cards, false, 0);
        assert_eq!(on, "hw:1 (HDA Intel)");
        assert_eq!(
            s.device,
            JackDevice::Alsa {
                hw: Some("hw:1".into()),
                playback: true,
                capture: true
            }
        );
        assert_eq!(s.rate, 48_000);
        assert_eq!(
            sentence(&on, &s),
            "No JACK was running: started JACK on hw:1 (HDA Intel) (48000 Hz, 256 frames). \
             scpanel stops it when it quits."
        );
        // PipeWire holds the cards: the dummy driver, saying so.
        let (s, on) = choose(&cards, true, 44_100);
        assert_eq!(s.device, JackDevice::Dummy);
        assert_eq!(s.rate, 44_100);
        assert_eq!(on, "the dummy driver: the sound cards are PipeWire's");
        let (s, on) = choose(&Ok(Vec::new()), false, 12_345);
        assert_eq!((s.device.clone(), s.rate), (JackDevice::Dummy, 48_000));
        assert_eq!(
            sentence(&on, &s),
            "No JACK was running: started JACK on the dummy driver: no sound card found, \
             nothing will be heard (48000 Hz, 256 frames). scpanel stops it when it quits."
        );
    }

    #[test]
    fn the_jack_server_is_the_one_the_boot_talks_to() {
        let mut o = Options::default();
        assert_eq!(target(&o).server_name, None);
        o.env = vec![("JACK_DEFAULT_SERVER".into(), "env".into())];
        assert_eq!(target(&o).server_name.as_deref(), Some("env"));
        o.device = "studio:SuperCollider".into();
        assert_eq!(target(&o).server_name.as_deref(), Some("studio"));
    }
}
