//! The kept frame (src/gui/render/kept_frame.rs) in a real window: Xvfb, eframe's glow painter and
//! Mesa's software rasteriser, as scpanel runs on a machine without a GPU. Each step changes
//! the picture a little (text, a bar, a translucent shape over text, a shape added, a popup
//! over the rest, a change at the window's bottom corner, a texture's pixels, a scrolled
//! list); its first frame
//! repaints only what changed. The window is read back after that frame and again after the
//! same picture painted whole, and the two must agree to the pixel.
//!
//! `harness = false` (Cargo.toml): winit wants the process's main thread.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui::{Color32, ColorImage, Pos2, Rect, vec2};
use scpanel::gui::render::{kept_frame, software_gl};

const STEPS: usize = 9;
const LIMIT: Duration = Duration::from_secs(120);

/// Xvfb of the test's own, stopped by pid when dropped.
struct Display(Child);

impl Display {
    fn start() -> (Self, String) {
        // -displayfd 1: Xvfb picks a free display and writes its number on stdout.
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "800x600x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (scripts/with-jack.sh installs it)");
        let out = child.stdout.take().expect("Xvfb's stdout");
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .expect("Xvfb names its display");
        let display = format!(":{}", line.trim());
        assert!(line.trim().parse::<u32>().is_ok(), "Xvfb said {line:?}");
        (Self(child), display)
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

type Shot = Arc<Mutex<Option<Arc<ColorImage>>>>;

/// One step: pixels that differ between the partial frame and the whole one, the first of
/// them, and whether the step's first frame was painted partially.
type StepOutcome = (usize, Option<(usize, usize)>, bool);

#[derive(Default)]
struct Outcome {
    steps: Vec<StepOutcome>,
    counts: Option<kept_frame::Counts>,
}

/// A read-back asked for in one frame is taken after the next frame is painted (eframe
/// runs a frame's viewport commands after painting it), so each is asked for a frame ahead.
#[derive(Clone, Copy, PartialEq)]
enum Phase {
    /// Still the last step's picture; asks to read back the next frame.
    Ask,
    /// The step's first frame, painted from the last step's by its damage; asks to read
    /// back the next.
    Partial,
    /// The same picture, painted whole.
    Whole,
    /// Waiting for both read-backs.
    Await,
}

struct Steps {
    /// Frames of the first picture before the first step (egui's first frames size things).
    warm_up: u32,
    step: usize,
    phase: Phase,
    partial_before: u64,
    was_partial: bool,
    partial_shot: Shot,
    whole_shot: Shot,
    outcome: Arc<Mutex<Outcome>>,
    started: Instant,
    list_offset: f32,
    /// A picture whose pixels change while its shape stays the same (as the scope's traces).
    image: Option<(egui::TextureHandle, bool)>,
}

impl Steps {
    fn picture(&mut self, ui: &mut egui::Ui) {
        let k = self.step;
        ui.heading("Kept frame");
        for line in 0..12 {
            ui.label(format!(
                "line {line}: the quick brown fox jumps over the lazy dog, {}",
                if line == 4 && k >= 1 {
                    1.25 + k as f32
                } else {
                    0.5
                }
            ));
            if line == 6 && (3..5).contains(&k) {
                ui.label("an inserted line");
            }
        }
        let (bar, painter) = ui.allocate_painter(vec2(300.0, 16.0), egui::Sense::hover());
        let w = if k >= 1 { 60.0 + 20.0 * k as f32 } else { 40.0 };
        painter.rect_filled(bar.rect, 0.0, Color32::from_gray(40));
        painter.rect_filled(
            Rect::from_min_size(bar.rect.min, vec2(w, 16.0)),
            0.0,
            Color32::from_rgb(60, 200, 90),
        );
        egui::ScrollArea::vertical()
            .max_height(80.0)
            .vertical_scroll_offset(self.list_offset)
            .show(ui, |ui| {
                for i in 0..30 {
                    ui.label(format!("row {i}"));
                }
            });
        // Translucent, over the text: what lies under it must be painted again under it.
        if k >= 2 {
            let at = Pos2::new(40.0 + 30.0 * k as f32, 60.0);
            ui.painter().rect_filled(
                Rect::from_min_size(at, vec2(120.0, 50.0)),
                6.0,
                Color32::from_rgba_unmultiplied(200, 60, 60, 120),
            );
        }
        // A popup moved over the text and back. It is on screen from the first picture: an
        // area's first frame is an invisible sizing pass.
        let at = if k == 4 {
            Pos2::new(200.0, 150.0)
        } else {
            Pos2::new(420.0, 380.0)
        };
        egui::Area::new(egui::Id::unique("popup"))
            .fade_in(false)
            .fixed_pos(at)
            .order(egui::Order::Foreground)
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.label("a popup over the text");
                    ui.label("and a second line");
                });
            });
        // Step 6 changes the picture's pixels, not its shape: only the texture says so.
        let bright = k >= 6;
        let pixels = |bright: bool| {
            egui::ColorImage::new(
                [64, 32],
                (0..64 * 32)
                    .map(|i| {
                        if bright && i % 3 == 0 {
                            Color32::WHITE
                        } else {
                            Color32::from_rgb(20, 40, (i % 64) as u8 * 3)
                        }
                    })
                    .collect(),
            )
        };
        match &mut self.image {
            Some((t, shown)) if *shown != bright => {
                t.set(pixels(bright), egui::TextureOptions::NEAREST);
                *shown = bright;
            }
            Some(_) => {}
            None => {
                let t =
                    ui.ctx()
                        .load_texture("picture", pixels(bright), egui::TextureOptions::NEAREST);
                self.image = Some((t, bright));
            }
        }
        if let Some((t, _)) = &self.image {
            let at = Rect::from_min_size(Pos2::new(480.0, 40.0), vec2(64.0, 32.0));
            let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
            ui.painter().image(t.id(), at, uv, Color32::WHITE);
        }
        // The window's last pixels: the copies' row order is easiest to get wrong at the edge.
        let corner = ui.ctx().viewport_rect().max;
        let size = if k >= 5 { 9.0 } else { 5.0 };
        ui.painter().rect_filled(
            Rect::from_min_max(corner - vec2(size, size), corner),
            0.0,
            if k.is_multiple_of(2) {
                Color32::YELLOW
            } else {
                Color32::LIGHT_BLUE
            },
        );
    }
}

impl Steps {
    fn read_back(&self, ctx: &egui::Context, into: &Shot) {
        let shot = into.clone();
        ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(
            egui::ScreenshotCallback::new(move |image| {
                if let Ok(mut s) = shot.lock() {
                    *s = Some(image);
                }
            }),
        ));
    }
}

impl eframe::App for Steps {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        assert!(
            self.started.elapsed() < LIMIT,
            "stuck at step {}",
            self.step
        );
        // The picture's step moves on with the frame after `Ask`.
        if self.phase == Phase::Partial {
            self.list_offset = if self.step == 8 { 37.0 } else { 0.0 };
        }
        // No fill, as scpanel's panels: the window's clear colour is the background, so a
        // repainted rectangle must be cleared first.
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE.inner_margin(8.0))
            .show(ui, |ui| self.picture(ui));
        // Frames counted so far, before this frame's own.
        let partial_now = kept_frame::counts(&ctx).map_or(0, |c| c.partial);
        match self.phase {
            Phase::Ask if self.warm_up > 0 => self.warm_up -= 1,
            Phase::Ask => {
                self.read_back(&ctx, &self.partial_shot);
                self.step += 1;
                self.phase = Phase::Partial;
            }
            Phase::Partial => {
                self.partial_before = partial_now;
                self.read_back(&ctx, &self.whole_shot);
                self.phase = Phase::Whole;
            }
            Phase::Whole => {
                self.was_partial = partial_now == self.partial_before + 1;
                kept_frame::repaint_whole(&ctx);
                self.phase = Phase::Await;
            }
            Phase::Await => {
                let partial = self.partial_shot.lock().ok().and_then(|s| s.clone());
                let whole = self.whole_shot.lock().ok().and_then(|s| s.clone());
                if let (Some(a), Some(b)) = (partial, whole) {
                    let diff = differing(&a, &b);
                    if let Some(dir) = std::env::var_os("KEPT_FRAME_DUMP") {
                        let dir = std::path::PathBuf::from(dir);
                        ppm(&a, &dir.join(format!("step{}-partial.ppm", self.step)));
                        ppm(&b, &dir.join(format!("step{}-whole.ppm", self.step)));
                    }
                    if let Ok(mut o) = self.outcome.lock() {
                        o.steps.push((diff.0, diff.1, self.was_partial));
                        o.counts = kept_frame::counts(&ctx);
                    }
                    for shot in [&self.partial_shot, &self.whole_shot] {
                        if let Ok(mut s) = shot.lock() {
                            *s = None;
                        }
                    }
                    if self.step + 1 == STEPS {
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                        return;
                    }
                    self.phase = Phase::Ask;
                }
            }
        }
        ctx.request_repaint();
    }
}

/// KEPT_FRAME_DUMP=dir keeps each step's two read-backs, to look at when they differ.
fn ppm(image: &ColorImage, path: &std::path::Path) {
    let mut bytes = format!("P6 {} {} 255\n", image.size[0], image.size[1]).into_bytes();
    for p in &image.pixels {
        bytes.extend_from_slice(&[p.r(), p.g(), p.b()]);
    }
    if let Err(e) = std::fs::write(path, bytes) {
        eprintln!("{}: {e}", path.display());
    }
}

/// How many pixels differ, and the first that does.
fn differing(a: &ColorImage, b: &ColorImage) -> (usize, Option<(usize, usize)>) {
    assert_eq!(a.size, b.size, "read-backs of one window");
    let w = a.size[0];
    let mut first = None;
    let mut n = 0;
    for (i, (p, q)) in a.pixels.iter().zip(&b.pixels).enumerate() {
        if p != q {
            n += 1;
            first.get_or_insert((i % w, i / w));
        }
    }
    (n, first)
}

fn main() {
    let (_display, name) = Display::start();
    // SAFETY: set before any other thread exists (this test has no harness threads).
    unsafe {
        std::env::set_var("DISPLAY", &name);
        std::env::remove_var("WAYLAND_DISPLAY");
        std::env::remove_var("SCPANEL_KEPT_FRAME");
    }
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let steps = Steps {
        warm_up: 3,
        step: 0,
        phase: Phase::Ask,
        partial_before: 0,
        was_partial: false,
        partial_shot: Shot::default(),
        whole_shot: Shot::default(),
        outcome: outcome.clone(),
        started: Instant::now(),
        list_offset: 0.0,
        image: None,
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("kept-frame-test")
            .with_inner_size([640.0, 480.0]),
        dithering: false,
        ..Default::default()
    };
    eframe::run_native(
        "kept-frame-test",
        options,
        Box::new(|cc| {
            software_gl::adapt(cc);
            Ok(Box::new(steps))
        }),
    )
    .expect("the window opens on Xvfb");
    let o = outcome.lock().expect("outcome");
    let counts = o
        .counts
        .expect("Xvfb's GL is Mesa's software rasteriser, so the kept frame is on");
    assert_eq!(o.steps.len(), STEPS - 1, "every step ran");
    for (i, (n, first, partial)) in o.steps.iter().enumerate() {
        let k = i + 1;
        assert_eq!(
            *n, 0,
            "step {k}: {n} pixels differ from the whole repaint, the first at {first:?}"
        );
        assert!(*partial, "step {k}'s first frame painted only its damage");
    }
    assert!(counts.partial >= STEPS as u64 - 1, "{counts:?}");
    println!(
        "kept frame: {} steps agree to the pixel with whole repaints ({} partial frames, {} whole)",
        STEPS - 1,
        counts.partial,
        counts.full
    );
}
