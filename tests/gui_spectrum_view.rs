//! The spectrum view with synthesized spectra: a screen reader hears the strongest peak, the
//! cursor over 1 kHz reads 1 kHz and the sine's level, and the size combo picks the size.

use std::time::Instant;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use scpanel::gui::widgets::spectrum_view::{SpectrumView, x_of};
use scpanel_core::spectrum::{Analyzer, Spectrum};

const RATE: f64 = 48_000.0;

fn sine(hz: f64, dbfs: f64, len: usize) -> Vec<f32> {
    let amp = 10f64.powf(dbfs / 20.0);
    (0..len)
        .map(|n| (amp * (2.0 * std::f64::consts::PI * hz * n as f64 / RATE).sin()) as f32)
        .collect()
}

fn spectrum(size: usize, tones: &[(f64, f64)]) -> Spectrum {
    let mut x = vec![0.0f32; size];
    for &(hz, db) in tones {
        for (a, b) in x.iter_mut().zip(sine(hz, db, size)) {
            *a += b;
        }
    }
    Analyzer::new(size).expect("size").analyze(&x, RATE)
}

struct State {
    view: SpectrumView,
    spectra: Vec<Spectrum>,
}

fn harness(spectra: Vec<Spectrum>) -> Harness<'static, State> {
    Harness::builder()
        .with_size(egui::vec2(900.0, 500.0))
        .build_ui_state(
            |ui, s: &mut State| {
                s.view.controls(ui);
                s.view.update(&s.spectra, Instant::now());
                s.view.ui(ui, &s.spectra);
            },
            State {
                view: SpectrumView::default(),
                spectra,
            },
        )
}

/// The numbers in "1.00 kHz at -12.0 dB" or "1.00 kHz, -12.0 dB": Hz and dB.
fn reading(text: &str) -> (f64, f64) {
    let words: Vec<&str> = text
        .split([' ', ',', ';', ':'])
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    let hz = words
        .windows(2)
        .find_map(|w| match w[1] {
            "kHz" => w[0].parse::<f64>().ok().map(|k| k * 1000.0),
            "Hz" => w[0].parse().ok(),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no frequency in {text:?}"));
    let db = words
        .windows(2)
        .find_map(|w| (w[1] == "dB").then(|| w[0].parse().ok()).flatten())
        .unwrap_or_else(|| panic!("no level in {text:?}"));
    (hz, db)
}

#[test]
fn a_screen_reader_hears_the_strongest_peaks() {
    let mut h = harness(vec![spectrum(4096, &[(1000.0, -12.0), (440.0, -20.0)])]);
    h.run();
    let value = h
        .get_by_role_and_label(Role::Figure, "Spectrum plot")
        .value()
        .expect("a value");
    assert!(value.starts_with("strongest: "), "{value}");
    // Strongest first: the 1 kHz sine, then 440 Hz.
    let (first, second) = value.split_once(';').expect("two peaks");
    let (hz, db) = reading(first);
    let bin = RATE / 4096.0;
    assert!(
        (hz - 1000.0).abs() <= bin && (db + 12.0).abs() <= 1.0,
        "{value}"
    );
    let (hz, db) = reading(second);
    assert!(
        (hz - 440.0).abs() <= bin && (db + 20.0).abs() <= 1.0,
        "{value}"
    );
}

#[test]
fn several_channels_are_each_named() {
    let mut h = harness(vec![
        spectrum(2048, &[(1000.0, -12.0)]),
        spectrum(2048, &[(3000.0, -30.0)]),
    ]);
    h.run();
    let value = h
        .get_by_role_and_label(Role::Figure, "Spectrum plot")
        .value()
        .expect("a value");
    let (one, two) = value.split_once("channel 2").expect("channel 2 named");
    assert!(one.starts_with("channel 1"), "{value}");
    let (hz, _) = reading(one);
    assert!((hz - 1000.0).abs() <= RATE / 2048.0, "{value}");
    let (hz, db) = reading(two);
    assert!(
        (hz - 3000.0).abs() <= RATE / 2048.0 && (db + 30.0).abs() <= 1.0,
        "{value}"
    );
}

#[test]
fn the_cursor_over_1khz_reads_1khz_and_the_sines_level() {
    for size in [1024, 8192] {
        let mut h = harness(vec![spectrum(size, &[(1000.0, -12.0)])]);
        h.run();
        assert!(
            h.query_all_by_value("Point at the spectrum to read a frequency and its level")
                .next()
                .is_some()
        );
        let (plot, top) = h.state().view.plot_area().expect("drawn");
        let at = egui::pos2(x_of(plot, top, 1000.0), plot.center().y);
        h.hover_at(at);
        h.run();
        let cursor = h.state().view.cursor().expect("a cursor over the plot");
        // The label and its text run both carry the reading.
        let shown = h
            .query_all_by(|n| {
                n.value()
                    .is_some_and(|v| v.ends_with(" dB") && v.contains("kHz, "))
            })
            .next()
            .and_then(|n| n.value())
            .expect("a reading");
        let (hz, db) = reading(&shown);
        assert!((hz - 1000.0).abs() < 5.0, "{size}: {shown}");
        assert!((db + 12.0).abs() <= 1.0, "{size}: {shown}");
        assert!((cursor.hz - 1000.0).abs() < 5.0 && cursor.channel == 0);
        // Off the plot, no reading.
        h.hover_at(egui::pos2(plot.left() - 20.0, plot.top() - 3.0));
        h.run();
        assert!(h.state().view.cursor().is_none());
    }
}

#[test]
fn the_size_combo_chooses_the_size() {
    let mut h = harness(vec![spectrum(4096, &[(1000.0, -12.0)])]);
    h.run();
    assert_eq!(h.state().view.size(), 4096);
    h.get_by_role_and_label(Role::ComboBox, "Window size")
        .click();
    h.run();
    h.get_by_label("8192").click();
    h.run();
    assert_eq!(h.state().view.size(), 8192);
    h.get_by_role_and_label(Role::ComboBox, "Window size")
        .click();
    h.run();
    h.get_by_label("1024").click();
    h.run();
    assert_eq!(h.state().view.size(), 1024);
}
