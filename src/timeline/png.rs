//! The timeline painted into a PNG file (`shows export --png`, the Shows tab's Export PNG).
//!
//! Everything drawn comes from the model ([`Lane::runs`](super::Lane::runs),
//! [`Timeline::markers`], [`Timeline::card`], [`Timeline::clock`]), folded to the picture's
//! own pixels, so the PNG shows what the tab shows. The painting is egui's own: `vello_cpu`
//! rasterises, `skrifa` reads the glyphs of egui's Ubuntu-Light, and the `png` crate (which
//! eframe already builds) encodes — no crate is added for the export (see Cargo.toml).

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use scpanel_core::clock;
use scpanel_core::journal::Event;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::outline::{DrawSettings, OutlineGlyphCollection, OutlinePen};
use skrifa::{FontRef, GlyphId, MetadataProvider};
use vello_cpu::kurbo::{Affine, BezPath, Circle, Rect, Shape, Stroke};
use vello_cpu::peniko::Color;
use vello_cpu::{Pixmap, RenderContext, Resources};

use super::{MarkerKind, Seconds, Timeline, lane_rgb};

/// The widths a PNG may have, in pixels. Below 200 nothing readable fits; above 8000 the
/// picture (4 bytes a pixel while painting) stops being a picture of a show and starts
/// being a way to run out of memory.
pub const WIDTHS: RangeInclusive<u32> = 200..=8000;
/// The heights a PNG may have, in pixels (the title, the axis and a plot need 200).
pub const HEIGHTS: RangeInclusive<u32> = 200..=4000;

/// Why a PNG was not made.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    /// The size asked for is outside [`WIDTHS`] × [`HEIGHTS`].
    #[error(
        "a PNG of {width} × {height} px can't be made: the width must be {} to {} px and the height {} to {} px",
        WIDTHS.start(), WIDTHS.end(), HEIGHTS.start(), HEIGHTS.end()
    )]
    Size {
        /// The width asked for.
        width: u32,
        /// The height asked for.
        height: u32,
    },
    /// The range is not two finite times.
    #[error("the time range {lo} to {hi} s is not a range of times")]
    Range {
        /// Its start.
        lo: f64,
        /// Its end.
        hi: f64,
    },
    /// egui's font could not be read (a broken build).
    #[error("the built-in font can't be read: {0}")]
    Font(String),
    /// The encoder failed.
    #[error("can't encode the PNG: {0}")]
    Encode(#[from] ::png::EncodingError),
    /// The file could not be written.
    #[error("can't write {}: {source}", path.display())]
    Write {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Paints `timeline` between `lo` and `hi` (seconds since its start) into a PNG of
/// `width` × `height` pixels at `path`.
pub fn write(
    timeline: &Timeline,
    (lo, hi): (Seconds, Seconds),
    (width, height): (u32, u32),
    path: &Path,
) -> Result<(), PngError> {
    let bytes = encode(timeline, (lo, hi), (width, height))?;
    std::fs::write(path, bytes).map_err(|source| PngError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The PNG file's bytes (what [`write`] writes).
pub fn encode(
    timeline: &Timeline,
    range: (Seconds, Seconds),
    (width, height): (u32, u32),
) -> Result<Vec<u8>, PngError> {
    let (w, h) = size(width, height)?;
    let range = view(range)?;
    let mut font = Font::new()?;
    let layout = Layout::new(timeline, range, (w, h), &font);
    let mut ctx = RenderContext::new(w, h);
    paint(&mut ctx, &mut font, timeline, &layout);
    ctx.flush();
    let mut pixmap = Pixmap::new(w, h);
    ctx.render(&mut pixmap, &mut Resources::new());
    // The background is opaque, so the alpha channel says nothing: RGB is a quarter smaller.
    let mut rgb = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    for p in pixmap.take_unpremultiplied() {
        rgb.extend_from_slice(&[p.r, p.g, p.b]);
    }
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, u32::from(w), u32::from(h));
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Where the plot (the CPU lines) lies in a PNG of this size: `[left, top, right, bottom]`
/// in pixels. For tests that look for the lines.
pub fn plot_area(
    timeline: &Timeline,
    range: (Seconds, Seconds),
    (width, height): (u32, u32),
) -> Result<[u32; 4], PngError> {
    let (w, h) = size(width, height)?;
    let range = view(range)?;
    let layout = Layout::new(timeline, range, (w, h), &Font::new()?);
    let r = layout.plot;
    Ok([r.x0, r.y0, r.x1, r.y1].map(|v| v.max(0.0).round() as u32))
}

/// Whether a PNG of `width` × `height` can be made ([`WIDTHS`], [`HEIGHTS`]): for a caller
/// that wants to refuse a size before reading a show.
pub fn check_size(width: u32, height: u32) -> Result<(), PngError> {
    size(width, height).map(|_| ())
}

fn size(width: u32, height: u32) -> Result<(u16, u16), PngError> {
    let bad = PngError::Size { width, height };
    if !WIDTHS.contains(&width) || !HEIGHTS.contains(&height) {
        return Err(bad);
    }
    match (u16::try_from(width), u16::try_from(height)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => Err(bad),
    }
}

/// The range to draw: a zero-length one (an empty show, one sample) is widened to a second
/// so every division has something to divide by.
fn view((lo, hi): (Seconds, Seconds)) -> Result<(Seconds, Seconds), PngError> {
    if !lo.is_finite() || !hi.is_finite() {
        return Err(PngError::Range { lo, hi });
    }
    let (lo, hi) = if hi < lo { (hi, lo) } else { (lo, hi) };
    if hi - lo < 1e-3 {
        Ok((lo, lo + 1.0))
    } else {
        Ok((lo, hi))
    }
}

// Sizes in pixels. The text sizes are egui's (body 14, small 11) a little smaller, as a
// PNG is mostly looked at scaled down.
const PAD: f64 = 14.0;
const TITLE_PX: f64 = 17.0;
const TEXT_PX: f64 = 13.0;
const SMALL_PX: f64 = 11.5;
const LINE: f64 = 1.45;
/// The band under the plot where events sit as triangles, two rows of them.
const BAND: f64 = 26.0;
/// The rows of mark labels above the plot.
const FLAG_ROWS: usize = 2;
const FLAG_ROW: f64 = SMALL_PX * 1.5;
/// The lowest a plot may be before the summary's lines give way to it.
const MIN_PLOT: f64 = 60.0;

const BACKGROUND: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [34, 34, 34];
const MUTED: [u8; 3] = [100, 100, 100];
const GRID: [u8; 3] = [226, 226, 226];
const FRAME: [u8; 3] = [150, 150, 150];
const BAND_FILL: [u8; 3] = [246, 246, 246];

/// Where everything goes, decided before anything is painted.
struct Layout {
    width: f64,
    height: f64,
    lo: Seconds,
    hi: Seconds,
    title: String,
    /// The summary card's lines that fit, each with its baseline.
    card: Vec<(String, f64)>,
    /// The legend's rows: items with their x, and the row's baseline.
    legend: Vec<(Vec<(f64, LegendItem)>, f64)>,
    /// The widest a legend item's text may be.
    legend_max: f64,
    /// The mark labels' band (empty when no mark is in view).
    flags: Rect,
    plot: Rect,
    band: Rect,
    /// The time labels' baseline.
    axis_baseline: f64,
    ceiling: f64,
}

#[derive(Debug, Clone)]
enum LegendItem {
    Lane(usize, String),
    Peak,
    Kind(MarkerKind),
    More,
}

impl LegendItem {
    fn text(&self) -> &str {
        match self {
            LegendItem::Lane(_, name) => name,
            LegendItem::Peak => "thin: peak, thick: average",
            LegendItem::Kind(k) => k.label(),
            LegendItem::More => "…",
        }
    }

    /// The room its swatch takes before its text: none for the note on thin and thick (a
    /// grey swatch would read as a server's).
    fn swatch(&self) -> f64 {
        match self {
            LegendItem::Peak | LegendItem::More => 0.0,
            _ => SWATCH + 5.0,
        }
    }
}

/// The swatch before a legend item's text.
const SWATCH: f64 = 20.0;

impl Layout {
    fn new(
        timeline: &Timeline,
        (lo, hi): (Seconds, Seconds),
        (w, h): (u16, u16),
        font: &Font<'_>,
    ) -> Layout {
        let (width, height) = (f64::from(w), f64::from(h));
        let inner = width - 2.0 * PAD;
        let title = font.fit(&title(timeline, lo, hi), TITLE_PX, inner);

        // The legend: every server, what thin and thick mean, the kinds of events in view.
        let mut items: Vec<LegendItem> = timeline
            .lanes
            .iter()
            .enumerate()
            .map(|(i, l)| LegendItem::Lane(i, l.name.clone()))
            .collect();
        items.push(LegendItem::Peak);
        let mut kinds: Vec<MarkerKind> =
            timeline.events_in(lo, hi).iter().map(|m| m.kind).collect();
        kinds.sort();
        kinds.dedup();
        items.extend(kinds.into_iter().map(LegendItem::Kind));
        // A short picture keeps its height for the plot: one row of legend.
        let rows = legend_rows(items, font, inner, if height < 320.0 { 1 } else { 2 });
        let legend_max = inner / 2.0;

        let marks = timeline
            .events_in(lo, hi)
            .iter()
            .any(|m| m.kind == MarkerKind::Mark);
        let flags_h = if marks {
            FLAG_ROW * FLAG_ROWS as f64
        } else {
            0.0
        };
        let title_h = TITLE_PX * LINE;
        let text_h = TEXT_PX * LINE;
        let axis_h = SMALL_PX * LINE + 4.0;
        let fixed =
            2.0 * PAD + title_h + rows.len() as f64 * text_h + 6.0 + flags_h + BAND + axis_h;
        // The summary's lines, as many as leave the plot room.
        let room = ((height - fixed - MIN_PLOT) / text_h).floor().max(0.0) as usize;
        let card_lines: Vec<String> = timeline.card().into_iter().take(room).collect();

        let mut y = PAD;
        y += title_h;
        let card = card_lines
            .into_iter()
            .map(|line| {
                y += text_h;
                (font.fit(&line, TEXT_PX, inner), y - text_h * 0.28)
            })
            .collect();
        let legend = rows
            .into_iter()
            .map(|row| {
                y += text_h;
                (row, y - text_h * 0.28)
            })
            .collect();
        y += 6.0;

        let ceiling = f64::from(timeline.ceiling());
        let ceiling = if ceiling.is_finite() && ceiling > 0.0 {
            ceiling
        } else {
            100.0
        };
        // Room for the widest CPU label (the top gridline's), but never a third of the width.
        let top = (ceiling / grid_step(ceiling)).floor() * grid_step(ceiling);
        let label_w = font
            .width(&cpu_label(top), SMALL_PX)
            .max(font.width(&cpu_label(100.0), SMALL_PX));
        let left = PAD + label_w.min(inner / 3.0) + 8.0;
        let right = width - PAD;
        let flags = Rect::new(left, y, right, y + flags_h);
        y += flags_h;
        let bottom = (height - PAD - axis_h - BAND).max(y + 1.0);
        let plot = Rect::new(left, y, right, bottom);
        let band = Rect::new(left, bottom, right, bottom + BAND);
        Layout {
            width,
            height,
            lo,
            hi,
            title,
            card,
            legend,
            legend_max,
            flags,
            plot,
            band,
            axis_baseline: band.y1 + 4.0 + SMALL_PX,
            ceiling,
        }
    }

    fn x(&self, t: Seconds) -> f64 {
        self.plot.x0 + (t - self.lo) / (self.hi - self.lo) * self.plot.width()
    }

    fn y(&self, cpu: f32) -> f64 {
        let v = if cpu.is_finite() { f64::from(cpu) } else { 0.0 };
        self.plot.y1 - v.clamp(0.0, self.ceiling) / self.ceiling * self.plot.height()
    }

    /// How many buckets the model folds into: one a pixel for lines.
    fn pixels(&self) -> usize {
        self.plot.width().max(1.0) as usize
    }
}

/// `Show 2026-12-06 21:00:00, 1:00:00 — stage, laptop, pi`, and the view when it is not
/// the whole show.
fn title(timeline: &Timeline, lo: Seconds, hi: Seconds) -> String {
    let stamp = clock::file_stamp(timeline.origin);
    let date = stamp.get(..10).unwrap_or(&stamp);
    let names: Vec<&str> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
    let mut title = format!(
        "Show {date} {}, {} — {}",
        timeline.clock(0.0, false),
        length(timeline.length),
        if names.is_empty() {
            "no servers".to_string()
        } else {
            names.join(", ")
        }
    );
    if lo > 0.5 || hi < timeline.length - 0.5 {
        // A view of seconds says its milliseconds, as its axis does.
        let fine = hi - lo < 10.0;
        title.push_str(&format!(
            " (from {} to {})",
            timeline.clock(lo, fine),
            timeline.clock(hi, fine)
        ));
    }
    title
}

fn length(s: Seconds) -> String {
    let s = if s.is_finite() { s.max(0.0) as u64 } else { 0 };
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The legend's items laid in rows no wider than `width`; what doesn't fit in `max_rows`
/// ends as "…".
fn legend_rows(
    items: Vec<LegendItem>,
    font: &Font<'_>,
    width: f64,
    max_rows: usize,
) -> Vec<Vec<(f64, LegendItem)>> {
    const GAP: f64 = 16.0;
    let mut rows: Vec<Vec<(f64, LegendItem)>> = vec![Vec::new()];
    let mut x = 0.0;
    for item in items {
        let text_w = font.width(item.text(), TEXT_PX);
        let w = item.swatch() + text_w.min(width / 2.0);
        if x > 0.0 && x + w > width {
            if rows.len() == max_rows {
                // Room is kept for the "…" by dropping the row's last item if need be.
                let more_w = font.width("…", TEXT_PX);
                if let Some(row) = rows.last_mut() {
                    if x + more_w > width {
                        row.pop();
                    }
                    let at = row.last().map_or(0.0, |(x, it)| {
                        x + it.swatch() + font.width(it.text(), TEXT_PX).min(width / 2.0) + GAP
                    });
                    row.push((at, LegendItem::More));
                }
                return rows;
            }
            rows.push(Vec::new());
            x = 0.0;
        }
        if let Some(row) = rows.last_mut() {
            row.push((x, item));
        }
        x += w + GAP;
    }
    rows
}

fn color([r, g, b]: [u8; 3]) -> Color {
    Color::from_rgb8(r, g, b)
}

/// `rgb` mixed towards white by `amount` (0: itself, 1: white): a peak line lighter than its
/// average line.
fn lighter([r, g, b]: [u8; 3], amount: f32) -> [u8; 3] {
    let mix = |c: u8| (f32::from(c) + (255.0 - f32::from(c)) * amount).round() as u8;
    [mix(r), mix(g), mix(b)]
}

fn paint(ctx: &mut RenderContext, font: &mut Font<'_>, timeline: &Timeline, l: &Layout) {
    ctx.set_paint(color(BACKGROUND));
    ctx.fill_rect(&Rect::new(0.0, 0.0, l.width, l.height));

    // Title, summary, legend.
    font.draw(ctx, &l.title, PAD, PAD + TITLE_PX, TITLE_PX, INK);
    for (line, baseline) in &l.card {
        font.draw(ctx, line, PAD, *baseline, TEXT_PX, MUTED);
    }
    for (row, baseline) in &l.legend {
        for (x, item) in row {
            legend_item(ctx, font, PAD + x, *baseline, item, l.legend_max);
        }
    }

    grid(ctx, font, l);
    lines(ctx, timeline, l);
    time_axis(ctx, font, timeline, l);
    events(ctx, font, timeline, l);
}

fn legend_item(
    ctx: &mut RenderContext,
    font: &mut Font<'_>,
    x: f64,
    baseline: f64,
    item: &LegendItem,
    max: f64,
) {
    let mid = baseline - TEXT_PX * 0.33;
    let ink = match item {
        LegendItem::Lane(i, _) => {
            let c = lane_rgb(*i);
            stroke(
                ctx,
                &segment(x, mid - 3.0, x + SWATCH, mid - 3.0),
                1.0,
                lighter(c, 0.45),
            );
            stroke(ctx, &segment(x, mid + 2.0, x + SWATCH, mid + 2.0), 2.5, c);
            INK
        }
        LegendItem::Peak => MUTED,
        LegendItem::Kind(k) => {
            if *k == MarkerKind::Mark {
                flag(ctx, x + SWATCH / 2.0 - 3.0, mid - 6.0, mid + 6.0);
            } else {
                triangle(ctx, x + SWATCH / 2.0, mid + 5.0, k.rgb());
            }
            INK
        }
        LegendItem::More => MUTED,
    };
    let text_x = x + item.swatch();
    let text = font.fit(item.text(), TEXT_PX, max);
    font.draw(ctx, &text, text_x, baseline, TEXT_PX, ink);
}

/// The CPU axis: gridlines every 25 % (wider apart when a peak went far above 100 %), the
/// plot's frame, and the event band under it.
fn grid(ctx: &mut RenderContext, font: &mut Font<'_>, l: &Layout) {
    let step = grid_step(l.ceiling);
    ctx.set_paint(color(BAND_FILL));
    ctx.fill_rect(&l.band);
    let lines = (l.ceiling / step).floor().min(40.0) as usize;
    // On a short plot only every second (or fourth…) gridline is labelled, so the labels
    // don't run into each other.
    let apart = l.plot.height() * step / l.ceiling;
    let every = ((SMALL_PX + 3.0) / apart.max(1e-3)).ceil().clamp(1.0, 64.0) as usize;
    for k in 0..=lines {
        let v = k as f64 * step;
        let y = crisp(l.y(v as f32));
        if k > 0 {
            stroke(ctx, &segment(l.plot.x0, y, l.plot.x1, y), 1.0, GRID);
        }
        if k % every != 0 {
            continue;
        }
        let label = cpu_label(v);
        let w = font.width(&label, SMALL_PX);
        let baseline = (y + SMALL_PX * 0.35).clamp(l.plot.y0 + SMALL_PX * 0.7, l.plot.y1);
        font.draw(ctx, &label, l.plot.x0 - 6.0 - w, baseline, SMALL_PX, MUTED);
    }
    stroke(ctx, &l.plot.inflate(-0.5, -0.5).to_path(0.1), 1.0, FRAME);
    stroke(
        ctx,
        &segment(l.band.x0 + 0.5, l.band.y0, l.band.x0 + 0.5, l.band.y1),
        1.0,
        FRAME,
    );
    stroke(
        ctx,
        &segment(l.band.x1 - 0.5, l.band.y0, l.band.x1 - 0.5, l.band.y1),
        1.0,
        FRAME,
    );
    stroke(
        ctx,
        &segment(l.band.x0, crisp(l.band.y1), l.band.x1, crisp(l.band.y1)),
        1.0,
        FRAME,
    );
}

fn cpu_label(v: f64) -> String {
    format!("{v:.0} %")
}

/// 25 up to a ceiling of 200 %; past that a round step that keeps about eight lines.
fn grid_step(ceiling: f64) -> f64 {
    if ceiling <= 200.0 {
        return 25.0;
    }
    let rough = ceiling / 8.0;
    let ten = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * ten)
        .find(|s| *s >= rough)
        .unwrap_or(rough)
}

/// Half a pixel off a whole one: a 1 px line on it covers one row of pixels, not two half-lit.
fn crisp(v: f64) -> f64 {
    v.floor() + 0.5
}

/// Each server's peak (thin, light) then average (thick) line, as the model folds them to
/// one point a pixel, clipped to the plot.
fn lines(ctx: &mut RenderContext, timeline: &Timeline, l: &Layout) {
    ctx.push_clip_layer(&l.plot.to_path(0.1));
    let runs: Vec<_> = timeline
        .lanes
        .iter()
        .map(|lane| lane.runs(l.lo, l.hi, l.pixels()))
        .collect();
    for (i, lane) in runs.iter().enumerate() {
        let c = lighter(lane_rgb(i), 0.45);
        for run in lane {
            polyline(ctx, run.iter().map(|p| (l.x(p.t), l.y(p.peak))), 1.0, c);
        }
    }
    for (i, lane) in runs.iter().enumerate() {
        for run in lane {
            polyline(
                ctx,
                run.iter().map(|p| (l.x(p.t), l.y(p.average))),
                2.0,
                lane_rgb(i),
            );
        }
    }
    ctx.pop_layer();
}

fn polyline(
    ctx: &mut RenderContext,
    points: impl Iterator<Item = (f64, f64)>,
    width: f64,
    c: [u8; 3],
) {
    let mut path = BezPath::new();
    let mut n = 0;
    let mut first = (0.0, 0.0);
    for p in points {
        if n == 0 {
            path.move_to(p);
            first = p;
        } else {
            path.line_to(p);
        }
        n += 1;
    }
    match n {
        0 => {}
        // A lone sample (between two silences) is a dot, not nothing.
        1 => {
            ctx.set_paint(color(c));
            ctx.fill_path(&Circle::new(first, width).to_path(0.1));
        }
        _ => stroke(ctx, &path, width, c),
    }
}

/// The time axis: ticks at round local times, the step chosen from the span so the labels
/// never touch.
fn time_axis(ctx: &mut RenderContext, font: &mut Font<'_>, timeline: &Timeline, l: &Layout) {
    let step = time_step(
        l.hi - l.lo,
        l.plot.width(),
        font.width("00:00:00", SMALL_PX),
        font.width("00:00:00.000", SMALL_PX),
    );
    let fine = step < 1.0;
    let mut last_end = f64::NEG_INFINITY;
    for t in timeline.ticks(l.lo, l.hi, step) {
        let x = crisp(l.x(t));
        stroke(ctx, &segment(x, l.plot.y0, x, l.plot.y1), 1.0, GRID);
        stroke(ctx, &segment(x, l.band.y1, x, l.band.y1 + 4.0), 1.0, FRAME);
        let label = timeline.clock(t, fine);
        let w = font.width(&label, SMALL_PX);
        // The first and last labels are kept inside the picture rather than cut.
        let lx = (x - w / 2.0).clamp(PAD / 2.0, l.width - PAD / 2.0 - w);
        if lx > last_end + 6.0 {
            font.draw(ctx, &label, lx, l.axis_baseline, SMALL_PX, MUTED);
            last_end = lx + w;
        }
    }
}

/// The smallest round step whose labels (`label_w` wide, `fine_w` with milliseconds) fit
/// `span` seconds into `width` pixels with room between them.
fn time_step(span: Seconds, width: f64, label_w: f64, fine_w: f64) -> Seconds {
    let most = |w: f64| (width / (w + 24.0)).floor().max(1.0);
    crate::timeline::STEPS
        .iter()
        .copied()
        .find(|s| span / s <= most(if *s < 1.0 { fine_w } else { label_w }))
        // Longer than the steps go: whole days, as many as fit.
        .unwrap_or_else(|| (span / most(label_w) / 86_400.0).ceil() * 86_400.0)
}

/// Marks as flag lines across the plot with their labels above it, crashes as red lines
/// across it, and every event folded per kind as a triangle in the band below (with its
/// count when several fell together).
fn events(ctx: &mut RenderContext, font: &mut Font<'_>, timeline: &Timeline, l: &Layout) {
    // Ten pixels a bucket: a triangle's width, so one kind's triangles don't pile up.
    let folded = timeline.markers(l.lo, l.hi, (l.pixels() / 10).max(1));
    let mark_rgb = MarkerKind::Mark.rgb();
    let crash_rgb = MarkerKind::Crash.rgb();
    for f in &folded {
        let x = crisp(l.x(f.t));
        match f.kind {
            MarkerKind::Mark => {
                let dashed = Stroke::new(1.0).with_dashes(0.0, [5.0, 3.0]);
                ctx.set_stroke(dashed);
                ctx.set_paint(color(lighter(mark_rgb, 0.2)));
                ctx.stroke_path(&segment(x, l.flags.y0 + 2.0, x, l.band.y1));
            }
            MarkerKind::Crash => stroke(ctx, &segment(x, l.plot.y0, x, l.band.y1), 1.5, crash_rgb),
            _ => {}
        }
    }

    // Mark labels: each in the first row where it doesn't touch the one before; skipped
    // when none has room (the flag line stays).
    let mut ends = [f64::NEG_INFINITY; FLAG_ROWS];
    for f in folded.iter().filter(|f| f.kind == MarkerKind::Mark) {
        let x = crisp(l.x(f.t));
        let text = match &f.first.event {
            Event::Mark { text } if !text.trim().is_empty() => text.trim().to_string(),
            _ => "mark".to_string(),
        };
        let text = font.fit(&text, SMALL_PX, (l.plot.width() / 2.0).min(220.0));
        let w = font.width(&text, SMALL_PX);
        // Right of its pennant; near the right edge, left of its pole rather than cut.
        let text_x = if x + 9.0 + w <= l.plot.x1 {
            x + 9.0
        } else {
            (x - 4.0 - w).max(l.plot.x0)
        };
        let (from, to) = (text_x.min(x), (text_x + w).max(x + 7.0));
        let Some(row) = (0..FLAG_ROWS).find(|r| ends[*r] + 8.0 < from) else {
            continue;
        };
        ends[row] = to;
        let top = l.flags.y0 + row as f64 * FLAG_ROW;
        // On paper, so the other marks' dashed lines don't run through the words.
        ctx.set_paint(color(BACKGROUND));
        ctx.fill_rect(&Rect::new(
            text_x - 1.0,
            top + 1.0,
            text_x + w + 1.0,
            top + FLAG_ROW - 1.0,
        ));
        font.draw(ctx, &text, text_x, top + SMALL_PX + 1.0, SMALL_PX, INK);
        flag(ctx, x, top + 2.0, top + 8.0);
    }

    // Event triangles in two rows: each in the first row where it touches no other, else
    // over the row whose last triangle is furthest behind. Then each count is printed only
    // where it runs into no triangle, rather than over its neighbours.
    let rows = [l.band.y0 + 11.0, l.band.y1 - 2.0];
    let mut placed: [Vec<(f64, u64)>; 2] = [Vec::new(), Vec::new()];
    for f in folded.iter().filter(|f| f.kind != MarkerKind::Mark) {
        let x = l.x(f.t);
        let last = |r: usize| placed[r].last().map_or(f64::NEG_INFINITY, |(x, _)| *x);
        let row = (0..rows.len())
            .find(|r| last(*r) + 10.0 < x)
            .unwrap_or(if last(0) <= last(1) { 0 } else { 1 });
        triangle(ctx, x, rows[row], f.kind.rgb());
        placed[row].push((x, f.count));
    }
    for (row, placed) in placed.iter().enumerate() {
        for (k, (x, count)) in placed.iter().enumerate() {
            if *count < 2 {
                continue;
            }
            let text = count.to_string();
            let end = x + 7.0 + font.width(&text, SMALL_PX);
            let next = placed.get(k + 1).map_or(f64::INFINITY, |(x, _)| *x - 5.0);
            if end + 1.0 < next {
                font.draw(ctx, &text, x + 6.0, rows[row], SMALL_PX, INK);
            }
        }
    }
}

fn segment(x0: f64, y0: f64, x1: f64, y1: f64) -> BezPath {
    let mut p = BezPath::new();
    p.move_to((x0, y0));
    p.line_to((x1, y1));
    p
}

fn stroke(ctx: &mut RenderContext, path: &BezPath, width: f64, c: [u8; 3]) {
    ctx.set_stroke(Stroke::new(width));
    ctx.set_paint(color(c));
    ctx.stroke_path(path);
}

/// An event's triangle, pointing up at `x` with its base on `base`.
fn triangle(ctx: &mut RenderContext, x: f64, base: f64, c: [u8; 3]) {
    let mut p = BezPath::new();
    p.move_to((x, base - 8.0));
    p.line_to((x + 4.5, base));
    p.line_to((x - 4.5, base));
    p.close_path();
    ctx.set_paint(color(c));
    ctx.fill_path(&p);
}

/// A mark's flag: a small pennant on its pole at `x`, between `top` and `bottom`.
fn flag(ctx: &mut RenderContext, x: f64, top: f64, bottom: f64) {
    let c = MarkerKind::Mark.rgb();
    stroke(ctx, &segment(x, top, x, bottom), 1.0, c);
    let mut p = BezPath::new();
    p.move_to((x, top));
    p.line_to((x + 6.0, top + 2.5));
    p.line_to((x, top + 5.0));
    p.close_path();
    ctx.set_paint(color(c));
    ctx.fill_path(&p);
}

/// egui's proportional font (Ubuntu-Light), its glyphs drawn as paths.
struct Font<'a> {
    charmap: Charmap<'a>,
    metrics: GlyphMetrics<'a>,
    outlines: OutlineGlyphCollection<'a>,
    units_per_em: f64,
    /// Glyph outlines in font units (y down), read once each.
    glyphs: HashMap<GlyphId, Option<BezPath>>,
}

impl Font<'static> {
    fn new() -> Result<Font<'static>, PngError> {
        let font = FontRef::new(epaint_default_fonts::UBUNTU_LIGHT)
            .map_err(|e| PngError::Font(e.to_string()))?;
        let units_per_em = font
            .metrics(Size::unscaled(), LocationRef::default())
            .units_per_em;
        if units_per_em == 0 {
            return Err(PngError::Font("no units per em".into()));
        }
        Ok(Font {
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            outlines: font.outline_glyphs(),
            units_per_em: f64::from(units_per_em),
            glyphs: HashMap::new(),
        })
    }
}

impl Font<'_> {
    fn glyph(&self, ch: char) -> GlyphId {
        self.charmap.map(ch).unwrap_or(GlyphId::NOTDEF)
    }

    fn width(&self, text: &str, px: f64) -> f64 {
        let units: f64 = text
            .chars()
            .map(|ch| f64::from(self.metrics.advance_width(self.glyph(ch)).unwrap_or(0.0)))
            .sum();
        units * px / self.units_per_em
    }

    /// `text`, cut with "…" to fit in `max` pixels.
    fn fit(&self, text: &str, px: f64, max: f64) -> String {
        if self.width(text, px) <= max {
            return text.to_string();
        }
        let room = max - self.width("…", px);
        let mut out = String::new();
        let mut w = 0.0;
        for ch in text.chars() {
            let cw = self.width(ch.encode_utf8(&mut [0; 4]), px);
            if w + cw > room {
                break;
            }
            w += cw;
            out.push(ch);
        }
        out.truncate(out.trim_end().len());
        out.push('…');
        out
    }

    /// Draws `text` from `x` on `baseline` (whole pixels, so stems land on pixel rows).
    fn draw(
        &mut self,
        ctx: &mut RenderContext,
        text: &str,
        x: f64,
        baseline: f64,
        px: f64,
        c: [u8; 3],
    ) {
        let scale = px / self.units_per_em;
        let (mut x, baseline) = (x.round(), baseline.round());
        ctx.set_paint(color(c));
        for ch in text.chars() {
            let id = self.glyph(ch);
            let advance = f64::from(self.metrics.advance_width(id).unwrap_or(0.0)) * scale;
            let outlines = &self.outlines;
            let path = self.glyphs.entry(id).or_insert_with(|| {
                let mut pen = Pen(BezPath::new());
                let glyph = outlines.get(id)?;
                glyph
                    .draw(
                        DrawSettings::unhinted(Size::unscaled(), LocationRef::default()),
                        &mut pen,
                    )
                    .ok()?;
                Some(pen.0)
            });
            if let Some(path) = path {
                ctx.set_transform(Affine::translate((x, baseline)) * Affine::scale(scale));
                ctx.fill_path(path);
            }
            x += advance;
        }
        ctx.reset_transform();
    }
}

/// Collects a glyph's outline, flipped from the font's y-up to the picture's y-down.
struct Pen(BezPath);

impl OutlinePen for Pen {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to((f64::from(x), -f64::from(y)));
    }

    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to((f64::from(x), -f64::from(y)));
    }

    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        self.0.quad_to(
            (f64::from(cx0), -f64::from(cy0)),
            (f64::from(x), -f64::from(y)),
        );
    }

    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        self.0.curve_to(
            (f64::from(cx0), -f64::from(cy0)),
            (f64::from(cx1), -f64::from(cy1)),
            (f64::from(x), -f64::from(y)),
        );
    }

    fn close(&mut self) {
        self.0.close_path();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Timeline;
    use crate::timeline::fixtures::{at, empty_summary, event, info, sample};
    use scpanel_core::journal::{Crash, Peak, Summary};

    /// A made-up hour of three servers: a main that climbs to a spike, a laptop that runs
    /// hot with xruns, a pi that crashes and comes back; marks (two close together), late
    /// bundles by the hundred, a failure.
    fn hour() -> Timeline {
        let i = info(&["stage", "laptop", "pi"], 3600);
        let mut samples = Vec::new();
        for k in 0..3600 {
            let t = f64::from(k);
            let wave = (t / 300.0).sin() as f32;
            let main = 25.0 + 10.0 * wave + (t / 3600.0) as f32 * 30.0;
            let main_peak = if k == 2200 { 96.0 } else { main + 8.0 };
            samples.push(sample(&i, 0, t, main, main_peak));
            samples.push(sample(&i, 1, t, 55.0 + 8.0 * wave, 70.0 + 12.0 * wave));
            // The pi: gone from its crash at 40:00 to its rejoin at 45:00.
            if !(2400..2700).contains(&k) {
                samples.push(sample(&i, 2, t, 12.0 - 4.0 * wave, 18.0));
            }
        }
        let mark = |t, text: &str| {
            event(
                &i,
                t,
                None,
                Event::Mark {
                    text: text.to_string(),
                },
            )
        };
        let mut events = vec![
            event(&i, 1.0, Some(0), Event::Online),
            event(&i, 1.5, Some(1), Event::Online),
            event(&i, 2.0, Some(2), Event::Online),
            mark(60.0, "intro"),
            mark(600.0, "verse 1"),
            mark(610.0, "verse 1 again, the drummer was late"),
            mark(1500.0, "chorus"),
            mark(2390.0, "bridge — everything at once"),
            mark(3300.0, ""),
            event(&i, 1800.0, Some(1), Event::Xrun { count: 3 }),
            event(&i, 1801.0, Some(1), Event::Xrun { count: 9 }),
            event(&i, 2100.0, Some(1), Event::Xrun { count: 1 }),
            event(&i, 2399.0, Some(2), Event::Unresponsive),
            event(
                &i,
                2400.0,
                Some(2),
                Event::Crashed {
                    reason: "the process ended (signal 9)".into(),
                },
            ),
            event(&i, 2700.0, Some(2), Event::Rejoined),
            event(
                &i,
                3000.0,
                Some(0),
                Event::Failure {
                    line: "FAILURE IN SERVER /s_new SynthDef not found".into(),
                },
            ),
        ];
        for k in 0..300 {
            events.push(event(
                &i,
                1200.0 + f64::from(k) * 0.1,
                Some(0),
                Event::Late { seconds: 0.05 },
            ));
        }
        events.sort_by_key(|a| a.time);
        let summary = Summary {
            peak: Some(Peak {
                cpu: 96.0,
                at: at(&i, 2200.0),
                server: "stage".into(),
                after_mark: Some((at(&i, 1500.0), "chorus".into())),
            }),
            xruns: 13,
            lates: 300,
            failures: 1,
            marks: 6,
            crashes: vec![Crash {
                at: at(&i, 2400.0),
                server: "pi".into(),
                reason: "the process ended (signal 9)".into(),
            }],
            longest_unresponsive: None,
        };
        Timeline::new(i, summary, samples, events)
    }

    /// The PNG's size and its RGB pixels.
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
        let frame = reader.next_frame(&mut buf).expect("a frame");
        assert_eq!(frame.color_type, ::png::ColorType::Rgb);
        buf.truncate(frame.buffer_size());
        (frame.width, frame.height, buf)
    }

    /// How many pixels in `area` are (nearly) `rgb`.
    fn count((width, pixels): (u32, &[u8]), [x0, y0, x1, y1]: [u32; 4], rgb: [u8; 3]) -> usize {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| ((y * width + x) * 3) as usize))
            .filter(|&i| {
                pixels
                    .get(i..i + 3)
                    .is_some_and(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 24))
            })
            .count()
    }

    #[test]
    fn a_typical_show_draws_every_lane_in_the_plot() {
        let tl = hour();
        let range = (0.0, tl.length);
        let bytes = encode(&tl, range, (1600, 600)).expect("a PNG");
        // Looked at by eye when the drawing changes.
        let sample = std::env::temp_dir().join("scpanel-timeline-sample.png");
        write(&tl, range, (1600, 600), &sample).expect("written");
        let (w, h, pixels) = decode(&bytes);
        assert_eq!((w, h), (1600, 600));
        let plot = plot_area(&tl, range, (1600, 600)).expect("a plot");
        assert!(
            plot[2] > plot[0] + 1000 && plot[3] > plot[1] + 150,
            "{plot:?}"
        );
        for i in 0..3 {
            let n = count((w, &pixels), plot, lane_rgb(i));
            assert!(n > 500, "lane {i}: {n} pixels of its colour in the plot");
        }
        let crash = count((w, &pixels), plot, MarkerKind::Crash.rgb());
        assert!(crash > 50, "the crash's line: {crash} pixels");
        // A small picture of the same show: still every lane, nothing panics.
        let small = encode(&tl, range, (200, 200)).expect("a small PNG");
        assert_eq!(decode(&small).0, 200);
        // Zoomed to ten seconds (fine clock labels) and to the silence of the pi.
        let dir = std::env::temp_dir();
        write(
            &tl,
            range,
            (200, 200),
            &dir.join("scpanel-timeline-small.png"),
        )
        .expect("small");
        let zoomed = dir.join("scpanel-timeline-zoomed.png");
        write(&tl, (2395.0, 2405.0), (800, 300), &zoomed).expect("zoomed");
        encode(&tl, (2500.0, 2600.0), (800, 300)).expect("the silence");
    }

    #[test]
    fn an_empty_show_and_odd_samples_still_make_a_picture() {
        let empty = Timeline::new(info(&[], 0), empty_summary(), Vec::new(), Vec::new());
        let (w, h, _) = decode(&encode(&empty, (0.0, empty.length), (640, 240)).expect("empty"));
        assert_eq!((w, h), (640, 240));

        let i = info(&["a"], 0);
        let one = Timeline::new(
            i.clone(),
            empty_summary(),
            vec![sample(&i, 0, 0.0, 40.0, 50.0)],
            Vec::new(),
        );
        let (w, _, pixels) = decode(&encode(&one, (0.0, 0.0), (640, 240)).expect("one"));
        let plot = plot_area(&one, (0.0, 0.0), (640, 240)).expect("a plot");
        assert!(
            count((w, &pixels), plot, lane_rgb(0)) > 0,
            "one sample is a dot"
        );

        let odd = Timeline::new(
            i.clone(),
            empty_summary(),
            vec![
                sample(&i, 0, 0.0, f32::NAN, f32::INFINITY),
                sample(&i, 0, 1.0, -5.0, f32::NEG_INFINITY),
                sample(&i, 0, 2.0, 1e30, 1e30),
                sample(&i, 0, 3.0, 20.0, f32::NAN),
            ],
            vec![event(&i, 1e7, None, Event::Xrun { count: u32::MAX })],
        );
        encode(&odd, (0.0, odd.length), (800, 300)).expect("odd samples");
        encode(&odd, (-1e12, 1e12), (800, 300)).expect("a huge range");
        encode(&odd, (5.0, 1.0), (800, 300)).expect("a range backwards");
    }

    /// Four hours of eight servers with long names, forty marks and a hundred and twenty
    /// events: the legend ends in "…", labels that would overlap are left out, and every
    /// lane is still drawn, wide and narrow.
    #[test]
    fn a_crowded_show_keeps_its_labels_apart_and_draws_every_lane() {
        let names = [
            "main stage left",
            "main stage right",
            "laptop of the guest",
            "pi",
            "pi two",
            "the granular one",
            "backup",
            "ninth",
        ];
        let i = info(&names, 4 * 3600);
        let mut samples = Vec::new();
        for k in 0..(4 * 3600 / 5) {
            let t = f64::from(k) * 5.0;
            for s in 0..8u32 {
                let v = 10.0 + 9.0 * s as f32 + 5.0 * ((t / 900.0) + f64::from(s)).sin() as f32;
                samples.push(sample(&i, s, t, v, v + 10.0));
            }
        }
        let mut events = Vec::new();
        for k in 0..40u32 {
            let t = f64::from(k);
            let text = format!("cue {k} with a longer name");
            events.push(event(&i, 100.0 + t * 300.0, None, Event::Mark { text }));
            let s = Some(k % 8);
            events.push(event(
                &i,
                150.0 + t * 310.0,
                s,
                Event::Xrun { count: k + 1 },
            ));
            events.push(event(
                &i,
                155.0 + t * 310.0,
                s,
                Event::Late { seconds: 0.1 },
            ));
            let text = "too hot".to_string();
            events.push(event(&i, 160.0 + t * 310.0, s, Event::Alert { text }));
        }
        events.sort_by_key(|a| a.time);
        let tl = Timeline::new(i, empty_summary(), samples, events);
        let range = (0.0, tl.length);
        let dir = std::env::temp_dir();
        for (size, name) in [((1600, 600), "crowded"), ((600, 260), "crowded-small")] {
            let bytes = encode(&tl, range, size).expect("a PNG");
            std::fs::write(dir.join(format!("scpanel-timeline-{name}.png")), &bytes)
                .expect("written");
            let (w, _, pixels) = decode(&bytes);
            let plot = plot_area(&tl, range, size).expect("a plot");
            for lane in 0..names.len() {
                let n = count((w, &pixels), plot, lane_rgb(lane));
                assert!(n > 20, "{name}: lane {lane} has {n} pixels of its colour");
            }
        }
    }

    #[test]
    fn sizes_and_ranges_out_of_bounds_are_refused_with_a_reason() {
        let tl = hour();
        for (w, h) in [
            (199, 600),
            (8001, 600),
            (1600, 199),
            (1600, 4001),
            (0, 0),
            (u32::MAX, 600),
        ] {
            let e = encode(&tl, (0.0, 10.0), (w, h)).expect_err("refused");
            assert!(matches!(e, PngError::Size { .. }), "{e}");
            assert!(e.to_string().contains("200 to 8000"), "{e}");
        }
        encode(&tl, (0.0, 10.0), (8000, 200)).expect("the widest");
        let e = encode(&tl, (f64::NAN, 10.0), (800, 300)).expect_err("NaN");
        assert!(matches!(e, PngError::Range { .. }), "{e}");
        let e = write(
            &tl,
            (0.0, 10.0),
            (800, 300),
            Path::new("/nonexistent/dir/x.png"),
        )
        .expect_err("no folder");
        assert!(e.to_string().contains("/nonexistent/dir/x.png"), "{e}");
    }

    #[test]
    fn the_axes_take_round_steps_for_their_span() {
        // 1500 px of 50 px labels: at most 20 labels.
        let step = |span| time_step(span, 1500.0, 50.0, 76.0);
        assert_eq!(step(3600.0), 300.0);
        assert_eq!(step(4.0 * 3600.0), 900.0);
        assert_eq!(step(60.0), 5.0);
        assert_eq!(step(10.0), 1.0);
        assert_eq!(step(1.0), 0.1);
        assert_eq!(step(30.0 * 86_400.0), 172_800.0);
        assert_eq!(step(1e9), 579.0 * 86_400.0);
        assert_eq!(time_step(3600.0, 1.0, 50.0, 76.0), 3600.0);
        assert_eq!(view((3.0, 3.0)).ok(), Some((3.0, 4.0)));
        assert_eq!(view((5.0, 1.0)).ok(), Some((1.0, 5.0)));
        assert_eq!(grid_step(100.0), 25.0);
        assert_eq!(grid_step(180.0), 25.0);
        assert_eq!(grid_step(1000.0), 200.0);
        assert!(grid_step(1e30).is_finite());
    }
}
