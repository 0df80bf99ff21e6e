//! The scope's time traces, drawn into an image on the CPU and shown as one texture.
//!
//! A trace is a one-pixel bar per pixel column, from its lowest to its highest frame (reaching
//! back to the column before, so the trace stays joined and a peak never falls between
//! columns). Drawn as a mesh, that is two thin triangles per column: under software GL each
//! costs the rasteriser a setup of its own, and two channels' 1,700 bars cost the window
//! about 5 % of a core at 25 frames a second (scripts/bench-draw.sh scope). Drawn here, the
//! bars are a few thousand pixel writes and the GPU (or llvmpipe) draws one rectangle.

use egui::{Color32, ColorImage, Context, Painter, Rect, TextureHandle, TextureOptions, pos2};

/// One channel's trace: its lane (0 when overlaid), its frames and its colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub lane: usize,
    pub samples: Vec<f32>,
    pub colour: Color32,
}

/// Larger plots are drawn scaled up: the texture stays within what every GPU takes.
const MAX_SIDE: usize = 4096;

#[derive(Default)]
pub struct TracePicture {
    texture: Option<TextureHandle>,
    /// What the texture shows, to upload only a changed picture.
    drawn: Option<(Vec<Trace>, [usize; 2], usize, f32)>,
    /// The rows the texture covers: the first, and how many.
    band: (usize, usize),
}

impl TracePicture {
    /// Shows `traces` in `rect`, split into `lanes` lanes, each sample times `gain`.
    pub fn show(
        &mut self,
        ctx: &Context,
        painter: &Painter,
        rect: Rect,
        lanes: usize,
        traces: Vec<Trace>,
        gain: f32,
    ) {
        let ppp = ctx.pixels_per_point();
        let size = [
            ((rect.width() * ppp).round() as usize).clamp(1, MAX_SIDE),
            ((rect.height() * ppp).round() as usize).clamp(1, MAX_SIDE),
        ];
        let lanes = lanes.max(1);
        let unchanged = self
            .drawn
            .as_ref()
            .is_some_and(|(t, s, l, g)| *s == size && *l == lanes && *g == gain && *t == traces);
        if !unchanged || self.texture.is_none() {
            let (image, first) = raster(size, lanes, &traces, gain);
            self.band = (first, image.size[1]);
            match &mut self.texture {
                Some(t) => t.set(image, TextureOptions::NEAREST),
                None => {
                    self.texture =
                        Some(ctx.load_texture("scope-traces", image, TextureOptions::NEAREST));
                }
            }
            self.drawn = Some((traces, size, lanes, gain));
        }
        if let Some(t) = &self.texture {
            let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
            let scale = rect.height() / size[1] as f32;
            let (first, rows) = self.band;
            let band = Rect::from_min_max(
                pos2(rect.left(), rect.top() + first as f32 * scale),
                pos2(rect.right(), rect.top() + (first + rows) as f32 * scale),
            );
            painter.image(t.id(), band, uv, Color32::WHITE);
        }
    }
}

/// The traces as pixels in a plot of `size` (`[width, height]`), lanes splitting the height
/// evenly, later traces over earlier ones, the rest transparent: only the band of rows the
/// traces reach, and the first of those rows. A quiet signal is then a thin band, and under
/// the kept frame (`kept_frame`) only that band is painted again.
pub(crate) fn raster(
    size: [usize; 2],
    lanes: usize,
    traces: &[Trace],
    gain: f32,
) -> (ColorImage, usize) {
    let spans = spans(size, lanes, traces, gain);
    let w = size[0];
    let first = spans.iter().map(|s| s.1).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.2).max().unwrap_or(0);
    let mut image = ColorImage::filled([w.max(1), last - first + 1], Color32::TRANSPARENT);
    for (c, y0, y1, colour) in spans {
        for y in y0..=y1 {
            image.pixels[(y - first) * w + c] = colour;
        }
    }
    (image, first)
}

/// Each trace's bar per column: `(column, top row, bottom row, colour)`.
fn spans(
    [w, h]: [usize; 2],
    lanes: usize,
    traces: &[Trace],
    gain: f32,
) -> Vec<(usize, usize, usize, Color32)> {
    let mut out = Vec::with_capacity(w * traces.len());
    let lanes = lanes.max(1);
    let lane_h = h as f32 / lanes as f32;
    for t in traces {
        let n = t.samples.len();
        if n == 0 || w == 0 || h == 0 {
            continue;
        }
        let top = t.lane.min(lanes - 1) as f32 * lane_h;
        // Row of a value: +1 at the lane's top, -1 at its bottom.
        let row = |v: f32| {
            let v = if v.is_finite() { v * gain } else { 0.0 };
            top + (1.0 - v.clamp(-1.0, 1.0)) * (lane_h - 1.0) / 2.0
        };
        let mut before: Option<f32> = None;
        for c in 0..w {
            let (mut lo, mut hi) = if n >= w {
                let a = c * n / w;
                let b = ((c + 1) * n / w).clamp(a + 1, n);
                before_after(&t.samples[a..b], &mut before)
            } else {
                // Fewer frames than columns: the value where the column falls, joined to the
                // column before.
                let x = c as f32 * (n - 1) as f32 / (w - 1).max(1) as f32;
                let i = (x as usize).min(n - 1);
                let j = (i + 1).min(n - 1);
                let v = t.samples[i] + (t.samples[j] - t.samples[i]) * (x - i as f32);
                let (lo, hi) = before.map_or((v, v), |b| (b.min(v), b.max(v)));
                before = Some(v);
                (lo, hi)
            };
            if !lo.is_finite() || !hi.is_finite() {
                (lo, hi) = (0.0, 0.0);
            }
            let y0 = (row(hi).round() as usize).min(h - 1);
            let y1 = (row(lo).round() as usize).clamp(y0, h - 1);
            out.push((c, y0, y1, t.colour));
        }
    }
    out
}

/// The lowest and highest of `part` and the frame before it; remembers `part`'s last.
fn before_after(part: &[f32], before: &mut Option<f32>) -> (f32, f32) {
    let (mut lo, mut hi) = part
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if let Some(v) = *before {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    *before = part.last().copied();
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plot rows lit in column `c`.
    fn lit((image, first): &(ColorImage, usize), c: usize) -> Vec<usize> {
        let [w, h] = image.size;
        (0..h)
            .filter(|y| image.pixels[y * w + c] != Color32::TRANSPARENT)
            .map(|y| y + first)
            .collect()
    }

    #[test]
    fn a_full_scale_sine_reaches_the_top_and_bottom_rows_and_stays_joined() {
        let samples: Vec<f32> = (0..4096)
            .map(|i| (i as f32 / 4096.0 * std::f32::consts::TAU * 4.0).sin())
            .collect();
        let t = Trace {
            lane: 0,
            samples,
            colour: Color32::YELLOW,
        };
        let image = raster([800, 201], 1, &[t], 1.0);
        let mut rows_hit = std::collections::BTreeSet::new();
        let mut last: Option<Vec<usize>> = None;
        for c in 0..800 {
            let rows = lit(&image, c);
            assert!(!rows.is_empty(), "column {c} has a pixel");
            if let Some(prev) = &last {
                // Joined: each column's bar reaches the row of the one before.
                let (a0, a1) = (prev[0], prev[prev.len() - 1]);
                let (b0, b1) = (rows[0], rows[rows.len() - 1]);
                assert!(
                    b0 <= a1 + 1 && a0 <= b1 + 1,
                    "column {c} is cut off from {}",
                    c - 1
                );
            }
            rows_hit.extend(rows.iter().copied());
            last = Some(rows);
        }
        assert!(rows_hit.contains(&0) && rows_hit.contains(&200));
    }

    #[test]
    fn a_quiet_signal_is_a_thin_band_of_rows() {
        let t = Trace {
            lane: 0,
            samples: (0..1024).map(|i| 0.1 * (i as f32 / 50.0).sin()).collect(),
            colour: Color32::YELLOW,
        };
        let (image, first) = raster([400, 201], 1, &[t], 1.0);
        // +-0.1 of a lane 200 rows high: rows 90 to 110.
        assert_eq!(first, 90);
        assert_eq!(image.size, [400, 21]);
    }

    #[test]
    fn silence_is_a_line_through_the_middle_of_each_lane() {
        let traces: Vec<Trace> = (0..2)
            .map(|lane| Trace {
                lane,
                samples: vec![0.0; 256],
                colour: Color32::RED,
            })
            .collect();
        let image = raster([300, 200], 2, &traces, 1.0);
        for c in [0, 150, 299] {
            assert_eq!(lit(&image, c), vec![50, 150], "column {c}");
        }
    }

    #[test]
    fn gain_clips_at_the_lane_and_bad_samples_draw_as_zero() {
        let t = Trace {
            lane: 0,
            samples: vec![0.5, f32::NAN, f32::INFINITY, 0.5],
            colour: Color32::GREEN,
        };
        let image = raster([4, 101], 1, &[t], 8.0);
        assert_eq!(lit(&image, 0), vec![0], "0.5 x 8 is clipped to the top row");
        assert!(lit(&image, 2).contains(&50), "{:?}", lit(&image, 2));
        assert!((0..4).all(|c| !lit(&image, c).is_empty()));
    }
}
