//! Under software GL, each frame repaints only what changed: the last frame is kept in an
//! offscreen framebuffer, copied back under the new one, and only the damaged rectangles
//! (`damage`) are cleared and painted again by egui's own painter.
//!
//! A frame's shapes become: a callback that copies the kept frame onto the screen and clears
//! the damaged rectangles, the shapes touching those rectangles clipped to them, and a
//! callback that copies the finished rectangles back into the kept frame. Whatever makes the
//! kept frame doubtful (the first frame, a new size or scale, a frame that was not painted,
//! another paint callback) paints everything, as egui would; a texture whose pixels change
//! (the scope's traces) damages the shapes that show it.

use std::sync::{Arc, Mutex};

use eframe::egui_glow;
use eframe::glow::{self, HasContext};
use egui::epaint::{ClippedShape, TextureId, emath::TSTransform};
use egui::{Context, FullOutput, PaintCallback, Rect, Shape, ViewportId};

use crate::gui::render::damage::{self, Damage};

/// Installs the plugin on a context whose painter is glow on OpenGL 3 or later (framebuffer
/// blits).
pub(crate) fn install(ctx: &Context) {
    ctx.add_plugin(KeptFrame {
        debug: std::env::var_os("SCPANEL_FRAME_DEBUG").is_some(),
        ..KeptFrame::default()
    });
}

/// Makes the next frame paint everything, as if nothing were kept.
pub fn repaint_whole(ctx: &Context) {
    if let Some(p) = ctx.plugin_opt::<KeptFrame>() {
        p.lock().whole_next = true;
    }
}

/// How many frames painted only their damage and how many painted everything, or `None`
/// without the plugin (a GPU, or OpenGL older than 3).
pub fn counts(ctx: &Context) -> Option<Counts> {
    ctx.plugin_opt::<KeptFrame>().map(|p| p.lock().counts)
}

/// Printed every 200 frames with `SCPANEL_FRAME_DEBUG` for the drawing benchmark.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub partial: u64,
    pub full: u64,
    /// Pixels the partial frames painted, against the screen's.
    pub partial_px: u64,
    pub screen_px: u64,
}

#[derive(Default)]
struct KeptFrame {
    shared: Arc<Mutex<Shared>>,
    /// The last frame's shapes, as egui built them (before they were cut down).
    last: Vec<ClippedShape>,
    last_size: [u32; 2],
    last_ppp: f32,
    serial: u64,
    counts: Counts,
    debug: bool,
    whole_next: bool,
}

/// What the paint callbacks share with the plugin: the kept frame and which frame it holds.
#[derive(Default)]
struct Shared {
    target: Option<Target>,
    /// The serial of the frame the kept framebuffer holds, once its copy-back ran.
    holds: u64,
    /// This frame's restore found no kept frame of the screen's size.
    restore_failed: bool,
    /// The offscreen framebuffer could not be made: every frame is painted whole, and the
    /// error was said once.
    unavailable: bool,
}

struct Target {
    framebuffer: glow::Framebuffer,
    texture: glow::Texture,
    size: [u32; 2],
}

impl egui::Plugin for KeptFrame {
    fn debug_name(&self) -> &'static str {
        "scpanel-kept-frame"
    }

    fn output_hook(&mut self, ctx: &Context, output: &mut FullOutput) {
        if ctx.viewport_id() != ViewportId::ROOT {
            return;
        }
        let ppp = output.pixels_per_point;
        let screen = ctx.viewport_rect();
        let size = [
            (screen.width() * ppp).round() as u32,
            (screen.height() * ppp).round() as u32,
        ];
        self.serial += 1;
        let serial = self.serial;
        let holds_last = self.shared.lock().is_ok_and(|s| {
            s.holds == serial - 1 && s.target.as_ref().is_some_and(|t| t.size == size)
        });
        let trusted = !std::mem::take(&mut self.whole_next)
            && holds_last
            && size == self.last_size
            && ppp == self.last_ppp
            && !output
                .shapes
                .iter()
                .any(|s| matches!(s.shape, Shape::Callback(_)));
        let shapes = std::mem::take(&mut output.shapes);
        let damage = if trusted {
            damage::between(
                &self.last,
                &shapes,
                &retextured(&output.textures_delta),
                screen,
                ppp,
            )
        } else {
            Damage::Full
        };
        self.last_size = size;
        self.last_ppp = ppp;
        match damage {
            Damage::Full => {
                self.counts.full += 1;
                output.shapes = shapes.clone();
                output
                    .shapes
                    .push(self.callback(screen, serial, Step::Keep(None)));
            }
            Damage::Rects(rects) => {
                self.counts.partial += 1;
                self.counts.partial_px += rects
                    .iter()
                    .map(|r| (r.area() * ppp * ppp) as u64)
                    .sum::<u64>();
                self.counts.screen_px += u64::from(size[0]) * u64::from(size[1]);
                let px = |rs: &[Rect]| rs.iter().map(|r| to_px(*r, ppp)).collect::<Vec<_>>();
                let rest = px(&damage::outside(&rects, screen));
                output
                    .shapes
                    .push(self.callback(screen, serial, Step::Restore(rest)));
                output.shapes.extend(damage::within(&shapes, &rects));
                output
                    .shapes
                    .push(self.callback(screen, serial, Step::Keep(Some(px(&rects)))));
            }
        }
        self.last = shapes;
        if self.debug && self.serial.is_multiple_of(200) {
            let c = self.counts;
            eprintln!(
                "kept frame: {} partial ({:.1} % of the screen painted), {} full",
                c.partial,
                100.0 * c.partial_px as f64 / c.screen_px.max(1) as f64,
                c.full
            );
        }
    }
}

/// Rectangles are `[x, y, width, height]` in pixels from the top left.
enum Step {
    /// Copy the kept frame onto the screen around the damage (these rectangles).
    Restore(Vec<[i32; 4]>),
    /// Copy the damaged rectangles (all of the screen when `None`) into the kept frame.
    Keep(Option<Vec<[i32; 4]>>),
}

impl KeptFrame {
    fn callback(&self, screen: Rect, serial: u64, step: Step) -> ClippedShape {
        let shared = self.shared.clone();
        let f = egui_glow::CallbackFn::new(move |info, painter| {
            let Ok(mut shared) = shared.lock() else {
                return;
            };
            let gl = painter.gl();
            let size = info.screen_size_px;
            // SAFETY: runs inside egui_glow's paint pass on its current context; every
            // binding and test changed here is put back before returning.
            unsafe {
                match &step {
                    Step::Restore(rest) => restore(gl, &mut shared, size, rest),
                    Step::Keep(rects) => keep(gl, &mut shared, size, rects.as_deref(), serial),
                }
            }
        });
        ClippedShape {
            clip_rect: screen,
            shape: Shape::Callback(PaintCallback {
                rect: screen,
                callback: Arc::new(f),
            }),
            transform_after_tessellation: TSTransform::IDENTITY,
        }
    }
}

/// Textures whose pixels this frame changes. The font atlas only grows in place as glyphs
/// are added, which changes no pixel on screen; replaced whole, it is in the list.
fn retextured(delta: &egui::TexturesDelta) -> Vec<TextureId> {
    delta
        .set
        .iter()
        .filter(|(id, ds)| **id != TextureId::default() || ds.iter().any(|d| d.pos.is_none()))
        .map(|(id, _)| *id)
        .collect()
}

/// `[x, y, width, height]` in pixels from the top left.
fn to_px(r: Rect, ppp: f32) -> [i32; 4] {
    let x0 = (r.min.x * ppp).round() as i32;
    let y0 = (r.min.y * ppp).round() as i32;
    let x1 = (r.max.x * ppp).round() as i32;
    let y1 = (r.max.y * ppp).round() as i32;
    [x0, y0, x1 - x0, y1 - y0]
}

/// Copies the kept frame onto the screen around the damaged rectangles, which keep the clear
/// colour eframe painted the screen with.
unsafe fn restore(gl: &glow::Context, shared: &mut Shared, size: [u32; 2], rest: &[[i32; 4]]) {
    let Some(target) = shared.target.as_ref().filter(|t| t.size == size) else {
        // The window changed size after the frame was built: this frame paints only its
        // damage on a cleared screen and is not kept, so the next one paints everything.
        shared.restore_failed = true;
        return;
    };
    unsafe {
        let read = gl.get_parameter_framebuffer(glow::READ_FRAMEBUFFER_BINDING);
        gl.disable(glow::SCISSOR_TEST);
        gl.bind_framebuffer(glow::READ_FRAMEBUFFER, Some(target.framebuffer));
        for r in rest {
            blit(gl, *r, size[1] as i32, Towards::Screen);
        }
        gl.bind_framebuffer(glow::READ_FRAMEBUFFER, read);
        gl.enable(glow::SCISSOR_TEST);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Towards {
    Kept,
    Screen,
}

/// Copies `[x, y, width, height]` (pixels from the top left) between the bound read and draw
/// framebuffers. The window's rows are stored top first and a framebuffer's bottom first, so
/// a straight blit between them is a flip, which Mesa draws as a quad. Kept upside down,
/// the frame has the window's layout in memory and each blit is a plain copy (measured: a
/// drawn full-window copy cost as much as the frame it saved).
unsafe fn blit(gl: &glow::Context, [x, y, w, h]: [i32; 4], screen_h: i32, towards: Towards) {
    let (x0, x1) = (x, x + w);
    let (y0, y1) = (screen_h - y - h, screen_h - y);
    let (on_screen, kept) = ([x0, y0, x1, y1], [x0, screen_h - y0, x1, screen_h - y1]);
    let (src, dst) = match towards {
        Towards::Kept => (on_screen, kept),
        Towards::Screen => (kept, on_screen),
    };
    unsafe {
        gl.blit_framebuffer(
            src[0],
            src[1],
            src[2],
            src[3],
            dst[0],
            dst[1],
            dst[2],
            dst[3],
            glow::COLOR_BUFFER_BIT,
            glow::NEAREST,
        );
    }
}

unsafe fn keep(
    gl: &glow::Context,
    shared: &mut Shared,
    size: [u32; 2],
    rects: Option<&[[i32; 4]]>,
    serial: u64,
) {
    let [w, h] = [size[0] as i32, size[1] as i32];
    // A frame that painted its damage without the kept frame under it is wrong elsewhere.
    let mut whole_and_right = !shared.restore_failed;
    shared.restore_failed = false;
    shared.holds = 0;
    if shared.unavailable {
        return;
    }
    unsafe {
        let read = gl.get_parameter_framebuffer(glow::READ_FRAMEBUFFER_BINDING);
        let draw = gl.get_parameter_framebuffer(glow::DRAW_FRAMEBUFFER_BINDING);
        let mut rects = rects;
        if shared.target.as_ref().is_none_or(|t| t.size != size) {
            if let Some(old) = shared.target.take() {
                gl.delete_framebuffer(old.framebuffer);
                gl.delete_texture(old.texture);
            }
            let made = make_target(gl, size);
            gl.bind_framebuffer(glow::READ_FRAMEBUFFER, read);
            gl.bind_framebuffer(glow::DRAW_FRAMEBUFFER, draw);
            match made {
                Ok(t) => shared.target = Some(t),
                Err(e) => {
                    eprintln!("scpanel: no offscreen frame ({e}): frames are painted whole");
                    shared.unavailable = true;
                    return;
                }
            }
            // A new target holds nothing yet: keep all of the screen, which is right only
            // if this frame painted everything.
            whole_and_right &= rects.is_none();
            rects = None;
        }
        let Some(target) = shared.target.as_ref() else {
            return;
        };
        gl.disable(glow::SCISSOR_TEST);
        gl.bind_framebuffer(glow::READ_FRAMEBUFFER, draw);
        gl.bind_framebuffer(glow::DRAW_FRAMEBUFFER, Some(target.framebuffer));
        let whole = [[0, 0, w, h]];
        for r in rects.unwrap_or(&whole) {
            blit(gl, *r, h, Towards::Kept);
        }
        gl.bind_framebuffer(glow::READ_FRAMEBUFFER, read);
        gl.bind_framebuffer(glow::DRAW_FRAMEBUFFER, draw);
        gl.enable(glow::SCISSOR_TEST);
    }
    if whole_and_right {
        shared.holds = serial;
    }
}

/// The kept frame is a texture made from BGRA bytes with an unsized internal format, so Mesa
/// stores it in the window's own byte order: copies to and from the window are then plain
/// memory copies instead of a drawn quad (measured: a drawn full-window copy cost as much as
/// the frame it saved).
unsafe fn make_target(gl: &glow::Context, [w, h]: [u32; 2]) -> Result<Target, String> {
    unsafe {
        let bound = gl.get_parameter_texture(glow::TEXTURE_BINDING_2D);
        let texture = gl.create_texture()?;
        gl.bind_texture(glow::TEXTURE_2D, Some(texture));
        gl.tex_image_2d(
            glow::TEXTURE_2D,
            0,
            glow::RGBA as i32,
            w as i32,
            h as i32,
            0,
            glow::BGRA,
            glow::UNSIGNED_BYTE,
            glow::PixelUnpackData::Slice(None),
        );
        gl.tex_parameter_i32(
            glow::TEXTURE_2D,
            glow::TEXTURE_MIN_FILTER,
            glow::NEAREST as i32,
        );
        gl.tex_parameter_i32(
            glow::TEXTURE_2D,
            glow::TEXTURE_MAG_FILTER,
            glow::NEAREST as i32,
        );
        gl.bind_texture(glow::TEXTURE_2D, bound);
        let framebuffer = gl.create_framebuffer()?;
        gl.bind_framebuffer(glow::FRAMEBUFFER, Some(framebuffer));
        gl.framebuffer_texture_2d(
            glow::FRAMEBUFFER,
            glow::COLOR_ATTACHMENT0,
            glow::TEXTURE_2D,
            Some(texture),
            0,
        );
        let status = gl.check_framebuffer_status(glow::FRAMEBUFFER);
        if status != glow::FRAMEBUFFER_COMPLETE {
            gl.delete_framebuffer(framebuffer);
            gl.delete_texture(texture);
            return Err(format!("framebuffer status {status:#x}"));
        }
        Ok(Target {
            framebuffer,
            texture,
            size: [w, h],
        })
    }
}
