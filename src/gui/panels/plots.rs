//! CPU and sample-rate plots from the polled `/status` history, x axes linked, over a window
//! of the last N seconds. The view moves on its own at the poll interval, never faster.
//! The CPU plot's time axis marks JACK's xruns and scsynth's `late` lines.

use std::time::{Duration, Instant, SystemTime};

use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints, VLine};

use crate::gui::session::XrunsShown;
use crate::gui::theme::{Tone, tone};
use scpanel_core::Server;
use scpanel_core::log::LineKind;

pub struct Plots {
    /// Seconds of history shown.
    pub window: f64,
    /// The poll interval the user chose, in milliseconds.
    pub poll_ms: u64,
    /// The CPU plot's Y axis follows the load instead of staying at 0 to 100 %.
    pub cpu_auto: bool,
    /// The CPU plot's Y range as last drawn (for tests and the screen reader's sake).
    pub cpu_y: Option<[f64; 2]>,
    epoch: Instant,
}

impl Default for Plots {
    fn default() -> Self {
        Plots {
            window: 60.0,
            poll_ms: 500,
            cpu_auto: false,
            cpu_y: None,
            epoch: Instant::now(),
        }
    }
}

impl Plots {
    pub fn ui(&mut self, ui: &mut egui::Ui, server: &Server, xruns: &XrunsShown) {
        ui.horizontal(|ui| {
            let label = ui.label("Window (s)");
            ui.add(egui::Slider::new(&mut self.window, 5.0..=600.0).logarithmic(true))
                .labelled_by(label.id);
            let label = ui.label("Poll every (ms)");
            if ui
                .add(egui::Slider::new(&mut self.poll_ms, 100..=5000).logarithmic(true))
                .labelled_by(label.id)
                .changed()
            {
                server.set_poll_interval(Duration::from_millis(self.poll_ms));
            }
            ui.checkbox(&mut self.cpu_auto, "CPU axis follows the load")
                .on_hover_text("Off: the CPU axis stays at 0 to 100 %, so a rise reads as a rise");
        });
        let now = self.epoch.elapsed().as_secs_f64();
        let epoch = self.epoch;
        let window = self.window;
        let mut summary = plot_summary(server, window);
        let marks = Marks::within(server, xruns, window);
        summary.0.push_str(&format!("; {}", marks.summary(window)));
        let (avg, peak, nominal, actual) = server.with_status_history(|h| {
            let mut avg = Vec::new();
            let mut peak = Vec::new();
            let mut nominal = Vec::new();
            let mut actual = Vec::new();
            for s in h.iter().rev() {
                let t = s.at.saturating_duration_since(epoch).as_secs_f64() - now;
                if t < -window {
                    break;
                }
                avg.push([t, f64::from(s.info.average_cpu)]);
                peak.push([t, f64::from(s.info.peak_cpu)]);
                nominal.push([t, s.info.nominal_sample_rate]);
                actual.push([t, s.info.actual_sample_rate]);
            }
            (avg, peak, nominal, actual)
        });
        let link = ui.make_persistent_id("status-plots");
        let half = (ui.available_height() / 2.0 - 10.0).max(120.0);
        let timeline = |id: &str| {
            Plot::new(id)
                .height(half)
                .legend(Legend::default())
                .link_axis(link, [true, false])
                .link_cursor(link, [true, false])
                .include_x(-window)
                .include_x(0.0)
                .x_axis_label("seconds")
        };
        ui.label("CPU (%)");
        // A fixed 0 to 100 % scale by default: a rescaling axis makes 2 % look like 100 %.
        // The auto plot has its own id, so switching back starts from the fixed bounds.
        let cpu = if self.cpu_auto {
            timeline("cpu-auto").include_y(0.0).include_y(10.0)
        } else {
            timeline("cpu")
                .default_y_bounds(0.0, 100.0)
                .allow_zoom([true, false])
                .allow_drag([true, false])
                .allow_scroll([true, false])
        };
        // Magenta: apart from the average (blue), the peak (orange) and late lines (warning).
        let xrun_colour = crate::gui::theme::xrun_colour(ui.visuals().dark_mode);
        let late_colour = tone(ui, Tone::Warning);
        let shown = cpu.show(ui, |p| {
            // The theme's CPU colours, as on the wall: the peak warmer than the average.
            p.line(
                Line::new("average", PlotPoints::from(avg)).color(crate::gui::theme::CPU_AVERAGE),
            );
            p.line(Line::new("peak", PlotPoints::from(peak)).color(crate::gui::theme::CPU_PEAK));
            // One legend entry each (same name), told apart by colour and dash as well.
            for (i, x) in marks.xruns.iter().enumerate() {
                p.vline(
                    VLine::new(XRUN, *x)
                        .id(("xrun", i))
                        .color(xrun_colour)
                        .width(1.5),
                );
            }
            for (i, x) in marks.late.iter().enumerate() {
                p.vline(
                    VLine::new(LATE, *x)
                        .id(("late", i))
                        .color(late_colour)
                        .style(LineStyle::dashed_dense()),
                );
            }
        });
        // The plots draw a cursor line where the pointer is: every move over them counts.
        crate::gui::hover::tracks_pointer(ui, shown.response.rect);
        let b = shown.transform.bounds();
        self.cpu_y = Some([b.min()[1], b.max()[1]]);
        described(ui, shown.response.id, "CPU plot", &summary.0);
        ui.label("Sample rate (Hz): actual vs nominal");
        let sr = timeline("sample-rate").show(ui, |p| {
            p.line(Line::new("nominal", PlotPoints::from(nominal)));
            p.line(Line::new("actual", PlotPoints::from(actual)));
        });
        crate::gui::hover::tracks_pointer(ui, sr.response.rect);
        described(ui, sr.response.id, "Sample rate plot", &summary.1);
        // Keep moving while idle: one repaint per poll, no busy loop.
        ui.ctx()
            .request_repaint_after(Duration::from_millis(self.poll_ms.max(100)));
    }
}

/// The legend's names for the marks.
const XRUN: &str = "xrun (JACK)";
const LATE: &str = "late bundle";

/// Times to mark on the CPU plot, in its x coordinates (seconds before now, negative).
#[derive(Debug, Default, PartialEq)]
pub struct Marks {
    /// Moments with xruns (xruns within 100 ms of each other share one).
    pub xruns: Vec<f64>,
    /// How many xruns those moments hold.
    pub xrun_count: u64,
    pub late: Vec<f64>,
}

impl Marks {
    /// The xruns the watcher still holds (its latest 1024 moments, 100 s at the least) and
    /// the `late` lines the log still holds, within the last `window` seconds.
    pub fn within(server: &Server, xruns: &XrunsShown, window: f64) -> Marks {
        let now = SystemTime::now();
        let x = |at: SystemTime| {
            let ago = now.duration_since(at).unwrap_or_default().as_secs_f64();
            (ago <= window).then_some(-ago)
        };
        let (mut moments, mut xrun_count) = (Vec::new(), 0);
        if let XrunsShown::Counting(c) = xruns {
            for (at, n) in c.recent() {
                if let Some(at) = x(at) {
                    moments.push(at);
                    xrun_count += n;
                }
            }
        }
        let late = server.with_log(|l| {
            l.lines()
                .filter(|line| line.kind == LineKind::Late)
                .filter_map(|line| x(line.at))
                .collect()
        });
        Marks {
            xruns: moments,
            xrun_count,
            late,
        }
    }

    /// "3 xruns, 1 late bundle in the last 60 s".
    pub fn summary(&self, window: f64) -> String {
        let n = |k: u64, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        format!(
            "{}, {} in the last {window:.0} s",
            n(self.xrun_count, "xrun", "xruns"),
            n(self.late.len() as u64, "late bundle", "late bundles")
        )
    }
}

/// Gives a plot a name and a value a screen reader can say.
fn described(ui: &egui::Ui, id: egui::Id, name: &str, value: &str) {
    ui.ctx().accesskit_node_builder(id, |n| {
        n.set_role(egui::accesskit::Role::Figure);
        n.set_label(name);
        n.set_value(value);
    });
}

/// The plots in words, over the last `window` seconds: "CPU average 12 %, peak 20 %, over
/// the last 60 s: 3 to 25 %", and the sample rate likewise.
pub(crate) fn plot_summary(server: &Server, window: f64) -> (String, String) {
    let span = Duration::from_secs_f64(window.max(0.0));
    let now = std::time::Instant::now();
    server.with_status_history(|h| {
        let Some(last) = h.back() else {
            return ("no status yet".to_string(), "no status yet".to_string());
        };
        let (mut lo, mut hi) = (f32::MAX, f32::MIN);
        let (mut sr_lo, mut sr_hi) = (f64::MAX, f64::MIN);
        for s in h.iter().rev() {
            if now.saturating_duration_since(s.at) > span {
                break;
            }
            lo = lo.min(s.info.average_cpu);
            hi = hi.max(s.info.peak_cpu);
            sr_lo = sr_lo.min(s.info.actual_sample_rate);
            sr_hi = sr_hi.max(s.info.actual_sample_rate);
        }
        let i = last.info;
        (
            format!(
                "CPU average {:.0} %, peak {:.0} %, over the last {window:.0} s: {:.0} to {:.0} %",
                i.average_cpu,
                i.peak_cpu,
                lo.min(i.average_cpu),
                hi.max(i.peak_cpu)
            ),
            format!(
                "nominal {:.0} Hz, actual {:.2} Hz, over the last {window:.0} s: {:.2} to {:.2} Hz",
                i.nominal_sample_rate,
                i.actual_sample_rate,
                sr_lo.min(i.actual_sample_rate),
                sr_hi.max(i.actual_sample_rate)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::Marks;

    #[test]
    fn the_marks_read_as_counts_over_the_window() {
        let marks = Marks {
            xruns: vec![-3.0, -1.0],
            xrun_count: 3,
            late: vec![-5.0],
        };
        assert_eq!(
            marks.summary(60.0),
            "3 xruns, 1 late bundle in the last 60 s"
        );
        assert_eq!(
            Marks::default().summary(30.0),
            "0 xruns, 0 late bundles in the last 30 s"
        );
    }
}
