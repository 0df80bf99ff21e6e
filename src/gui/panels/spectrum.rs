//! The Spectrum tab: the scope's capture (the same buses, see `widgets::scope_source`)
//! through the core's `Analyzer`, one spectrum per channel, drawn by `SpectrumView`. A
//! capture is analysed once, when it comes, not on every frame the window draws.

use std::sync::Arc;
use std::time::Instant;

use crate::gui::scope_feed::ScopeView;
use crate::gui::widgets::scope_source::{ScopeSource, status_line};
use crate::gui::widgets::spectrum_view::SpectrumView;
use scpanel_core::ScopeSpec;
use scpanel_core::scope::{DEFAULT_RATE, ScopeFrame};
use scpanel_core::spectrum::{Analyzer, Spectrum};

#[derive(Default)]
pub struct SpectrumPanel {
    pub view: SpectrumView,
    analyzer: Option<Analyzer>,
    spectra: Vec<Spectrum>,
    /// The capture analysed last.
    analysed: Option<Arc<ScopeFrame>>,
}

impl SpectrumPanel {
    /// What the capture must hold: one window.
    pub fn spec(&self, source: &ScopeSource) -> ScopeSpec {
        ScopeSpec {
            bus: source.bus,
            channels: source.channels,
            frames: self.view.size(),
            // The scope's rate: switching between the two tabs keeps the same synth.
            rate: DEFAULT_RATE,
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        source: &mut ScopeSource,
        view: &ScopeView,
        layout: (u32, u32),
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Spectrum");
            source.ui(ui, layout.0, layout.1);
        });
        self.view.controls(ui);
        ui.label(status_line(source, view));
        self.analyse(view.frame.as_ref());
        self.view.ui(ui, &self.spectra);
    }

    fn analyse(&mut self, frame: Option<&Arc<ScopeFrame>>) {
        let Some(frame) = frame else {
            if self.analysed.take().is_some() {
                self.spectra.clear();
                self.view.update(&self.spectra, Instant::now());
            }
            return;
        };
        let size = self.view.size();
        if self
            .analysed
            .as_ref()
            .is_some_and(|a| Arc::ptr_eq(a, frame))
            && self.analyzer.as_ref().is_some_and(|a| a.size() == size)
        {
            return;
        }
        if self.analyzer.as_ref().is_none_or(|a| a.size() != size) {
            // The sizes offered are the ones the analyser takes.
            self.analyzer = Analyzer::new(size).ok();
        }
        let Some(analyzer) = self.analyzer.as_mut() else {
            return;
        };
        self.spectra
            .resize_with(frame.channels.len(), Spectrum::empty);
        for (samples, out) in frame.channels.iter().zip(self.spectra.iter_mut()) {
            analyzer.analyze_into(samples, frame.sample_rate, out);
        }
        self.view.update(&self.spectra, Instant::now());
        self.analysed = Some(frame.clone());
    }
}
