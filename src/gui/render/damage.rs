//! What changed on screen between two frames, found by comparing their shapes, and the
//! shapes a frame needs when only those regions are painted again.
//!
//! egui rebuilds every shape each frame, and normally every pixel is painted again. On a
//! software rasteriser that is most of a frame's cost (a Levels tab at 20 frames a second
//! spends most of its time on text that has not changed), so `kept_frame` keeps the last
//! frame and repaints only the rectangles this module finds.

use std::sync::Arc;

use egui::epaint::{ClippedShape, Shape, TextShape, TextureId};
use egui::{Pos2, Rect};

/// Past this many separate rectangles, the closest are merged: each costs a pass over the
/// shapes and a scissored clear.
const MAX_RECTS: usize = 8;

/// Past this many changed shapes' rectangles, their bounding box is the damage: merging
/// pairs is cubic in their number, and a frame that changes this many things (a scrolled
/// tree of thousands of nodes) is mostly repainted anyway.
const MANY_RECTS: usize = 64;

/// Past this share of the screen, painting everything is as cheap as painting the parts.
const FULL_SHARE: f32 = 0.6;

/// Where two frames differ.
#[derive(Debug, Clone, PartialEq)]
pub enum Damage {
    /// Paint everything again.
    Full,
    /// Paint these rectangles again (points, on whole pixels, disjoint); empty: nothing moved.
    Rects(Vec<Rect>),
}

/// The screen area a shape can touch: its bounds as painted, within its clip rectangle.
pub(crate) fn painted_bounds(s: &ClippedShape) -> Rect {
    let bounds = s.transform_after_tessellation * s.shape.visual_bounding_rect();
    bounds.intersect(s.clip_rect)
}

/// Compares the last frame's shapes with this frame's. Shapes are compared in paint order:
/// with the same count, pair by pair; otherwise what lies between the common start and the
/// common end has changed. Shapes showing a texture whose pixels changed (`retextured`) have
/// changed too.
pub(crate) fn between(
    old: &[ClippedShape],
    new: &[ClippedShape],
    retextured: &[TextureId],
    screen: Rect,
    ppp: f32,
) -> Damage {
    let mut touched: Vec<Rect> = Vec::new();
    if !retextured.is_empty() {
        touched.extend(
            old.iter()
                .chain(new)
                .filter(|s| shows_any(&s.shape, retextured))
                .map(painted_bounds),
        );
    }
    if old.len() == new.len() {
        for (a, b) in old.iter().zip(new) {
            if !same(a, b) {
                touched.push(painted_bounds(a));
                touched.push(painted_bounds(b));
            }
        }
    } else {
        let start = old.iter().zip(new).take_while(|(a, b)| same(a, b)).count();
        let room = old.len().min(new.len()) - start;
        let end = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(room)
            .take_while(|(a, b)| same(a, b))
            .count();
        touched.extend(old[start..old.len() - end].iter().map(painted_bounds));
        touched.extend(new[start..new.len() - end].iter().map(painted_bounds));
    }
    let mut rects: Vec<Rect> = touched
        .into_iter()
        .filter(|r| r.is_positive())
        .map(|r| on_pixels(r, screen, ppp))
        .filter(|r| r.is_positive())
        .collect();
    if rects.len() > MANY_RECTS {
        let all = rects.iter().fold(Rect::NOTHING, |a, r| a.union(*r));
        rects = vec![all];
    }
    merge(&mut rects);
    let area: f32 = rects.iter().map(|r| r.area()).sum();
    if area > FULL_SHARE * screen.area() {
        Damage::Full
    } else {
        Damage::Rects(rects)
    }
}

/// Whether a shape (or one inside it) is painted from one of `textures`. Untextured shapes
/// are painted from the font atlas's white pixel, so they count as showing the atlas.
fn shows_any(shape: &Shape, textures: &[TextureId]) -> bool {
    let mut stack = vec![shape];
    while let Some(s) = stack.pop() {
        match s {
            Shape::Vec(inner) => stack.extend(inner),
            s if textures.contains(&s.texture_id()) => return true,
            _ => {}
        }
    }
    false
}

/// Whether two shapes paint the same pixels. Text is most of a frame, and egui hands back the
/// same laid-out galley for text that has not changed, so the galleys are compared by address
/// before their glyphs are.
fn same(a: &ClippedShape, b: &ClippedShape) -> bool {
    if a.clip_rect != b.clip_rect
        || a.transform_after_tessellation != b.transform_after_tessellation
    {
        return false;
    }
    match (&a.shape, &b.shape) {
        (Shape::Text(x), Shape::Text(y)) => same_text(x, y),
        (x, y) => x == y,
    }
}

fn same_text(a: &TextShape, b: &TextShape) -> bool {
    a.pos == b.pos
        && a.underline == b.underline
        && a.fallback_color == b.fallback_color
        && a.override_text_color == b.override_text_color
        && a.opacity_factor == b.opacity_factor
        && a.angle == b.angle
        && (Arc::ptr_eq(&a.galley, &b.galley) || a.galley == b.galley)
}

/// Grows a rectangle to whole pixels plus one on each side (for antialiased edges and the
/// scissor's rounding), within the screen.
fn on_pixels(r: Rect, screen: Rect, ppp: f32) -> Rect {
    let px = |v: f32, up: bool| {
        let p = v * ppp;
        (if up { p.ceil() + 1.0 } else { p.floor() - 1.0 }) / ppp
    };
    Rect::from_min_max(
        Pos2::new(px(r.min.x, false), px(r.min.y, false)),
        Pos2::new(px(r.max.x, true), px(r.max.y, true)),
    )
    .intersect(screen)
}

/// Unites overlapping rectangles until none overlap, then the pairs that grow least when
/// joined until at most `MAX_RECTS` remain. Unions stay on whole pixels.
fn merge(rects: &mut Vec<Rect>) {
    loop {
        let mut joined = false;
        let mut i = 0;
        while i < rects.len() {
            let mut j = i + 1;
            while j < rects.len() {
                if rects[i].intersects(rects[j]) {
                    let r = rects.swap_remove(j);
                    rects[i] = rects[i].union(r);
                    joined = true;
                } else {
                    j += 1;
                }
            }
            i += 1;
        }
        if joined {
            continue;
        }
        if rects.len() <= MAX_RECTS {
            return;
        }
        let mut best = (0, 1, f32::INFINITY);
        for i in 0..rects.len() {
            for j in i + 1..rects.len() {
                let growth = rects[i].union(rects[j]).area() - rects[i].area() - rects[j].area();
                if growth < best.2 {
                    best = (i, j, growth);
                }
            }
        }
        let r = rects.swap_remove(best.1);
        rects[best.0] = rects[best.0].union(r);
    }
}

/// The shapes that repaint `rects`: every shape touching a rectangle, in paint order, clipped
/// to it. Shapes that touch none are left out, so they cost nothing to tessellate or paint.
pub(crate) fn within(shapes: &[ClippedShape], rects: &[Rect]) -> Vec<ClippedShape> {
    // A mesh's bounds walk all its vertices (the scope's trace has thousands): once each.
    let bounds: Vec<Rect> = shapes.iter().map(painted_bounds).collect();
    let mut out = Vec::new();
    for r in rects {
        for (s, b) in shapes.iter().zip(&bounds) {
            if b.intersects(*r) {
                let mut s = s.clone();
                s.clip_rect = s.clip_rect.intersect(*r);
                out.push(s);
            }
        }
    }
    out
}

/// The rest of the screen, as rectangles: what the kept frame supplies around the damage.
/// Horizontal bands between the rectangles' edges, each cut where rectangles cover it, and
/// bands with the same cuts joined.
pub(crate) fn outside(rects: &[Rect], screen: Rect) -> Vec<Rect> {
    let mut ys: Vec<f32> = vec![screen.min.y, screen.max.y];
    for r in rects {
        ys.extend([r.min.y, r.max.y]);
    }
    ys.retain(|y| (screen.min.y..=screen.max.y).contains(y));
    ys.sort_by(f32::total_cmp);
    ys.dedup();
    let mut out: Vec<Rect> = Vec::new();
    // The gaps of the band above, to join a band with the same gaps onto it.
    let mut above: Vec<(f32, f32)> = Vec::new();
    let mut above_start = out.len();
    for band in ys.windows(2) {
        let (y0, y1) = (band[0], band[1]);
        let mut covered: Vec<(f32, f32)> = rects
            .iter()
            .filter(|r| r.min.y <= y0 && r.max.y >= y1)
            .map(|r| (r.min.x, r.max.x))
            .collect();
        covered.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut gaps = Vec::new();
        let mut x = screen.min.x;
        for (a, b) in covered {
            if a > x {
                gaps.push((x, a));
            }
            x = x.max(b);
        }
        if x < screen.max.x {
            gaps.push((x, screen.max.x));
        }
        if gaps == above && !gaps.is_empty() {
            for r in &mut out[above_start..] {
                r.max.y = y1;
            }
        } else {
            above_start = out.len();
            out.extend(
                gaps.iter()
                    .map(|&(a, b)| Rect::from_min_max(Pos2::new(a, y0), Pos2::new(b, y1))),
            );
            above = gaps;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::epaint::{CornerRadius, RectShape, Shape, StrokeKind};
    use egui::{Color32, Stroke, emath::TSTransform, vec2};

    const SCREEN: Rect = Rect {
        min: Pos2::ZERO,
        max: Pos2::new(1280.0, 800.0),
    };

    fn rect(x: f32, y: f32, w: f32, h: f32, c: Color32) -> ClippedShape {
        ClippedShape {
            clip_rect: SCREEN,
            shape: Shape::Rect(RectShape::new(
                Rect::from_min_size(Pos2::new(x, y), vec2(w, h)),
                CornerRadius::ZERO,
                c,
                Stroke::NONE,
                StrokeKind::Inside,
            )),
            transform_after_tessellation: TSTransform::IDENTITY,
        }
    }

    fn frame() -> Vec<ClippedShape> {
        (0..20)
            .map(|i| rect(10.0 + 50.0 * i as f32, 10.0, 40.0, 20.0, Color32::GRAY))
            .collect()
    }

    #[test]
    fn the_same_shapes_damage_nothing() {
        assert_eq!(
            between(&frame(), &frame(), &[], SCREEN, 1.0),
            Damage::Rects(vec![])
        );
    }

    #[test]
    fn a_changed_shape_damages_its_old_and_new_place_on_whole_pixels() {
        let old = frame();
        let mut new = frame();
        new[3] = rect(160.5, 12.0, 40.0, 30.0, Color32::RED);
        let Damage::Rects(rects) = between(&old, &new, &[], SCREEN, 1.0) else {
            panic!("a small change is not a full repaint");
        };
        assert_eq!(rects.len(), 1);
        let r = rects[0];
        // Old: 160..200 x 10..30; new: 160.5..200.5 x 12..42; one pixel more each side.
        assert_eq!(
            r,
            Rect::from_min_max(Pos2::new(159.0, 9.0), Pos2::new(202.0, 43.0))
        );
    }

    #[test]
    fn separate_changes_stay_separate_rectangles() {
        let old = frame();
        let mut new = frame();
        new[0] = rect(10.0, 10.0, 40.0, 20.0, Color32::RED);
        new[19] = rect(960.0, 10.0, 40.0, 20.0, Color32::RED);
        let Damage::Rects(rects) = between(&old, &new, &[], SCREEN, 1.0) else {
            panic!("two small changes");
        };
        assert_eq!(rects.len(), 2, "{rects:?}");
        let area: f32 = rects.iter().map(|r| r.area()).sum();
        assert!(area < 2.0 * 42.0 * 22.0 + 1.0, "{area}");
    }

    #[test]
    fn an_inserted_shape_damages_only_what_lies_between_the_common_ends() {
        let old = frame();
        let mut new = frame();
        new.insert(5, rect(300.0, 300.0, 10.0, 10.0, Color32::RED));
        let Damage::Rects(rects) = between(&old, &new, &[], SCREEN, 1.0) else {
            panic!("one new shape");
        };
        assert_eq!(
            rects,
            vec![Rect::from_min_max(
                Pos2::new(299.0, 299.0),
                Pos2::new(311.0, 311.0)
            )]
        );
    }

    #[test]
    fn a_changed_texture_damages_the_shapes_that_show_it() {
        let image = TextureId::Managed(7);
        let mut shapes = frame();
        let at = Rect::from_min_size(Pos2::new(500.0, 300.0), vec2(64.0, 32.0));
        let mut mesh = egui::Mesh::with_texture(image);
        mesh.add_rect_with_uv(
            at,
            Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
            Color32::WHITE,
        );
        shapes.push(ClippedShape {
            clip_rect: SCREEN,
            shape: Shape::Vec(vec![Shape::mesh(mesh)]),
            transform_after_tessellation: TSTransform::IDENTITY,
        });
        assert_eq!(
            between(&shapes, &shapes, &[], SCREEN, 1.0),
            Damage::Rects(vec![])
        );
        let Damage::Rects(rects) = between(&shapes, &shapes, &[image], SCREEN, 1.0) else {
            panic!("one small picture");
        };
        assert_eq!(rects, vec![at.expand(1.0)]);
    }

    #[test]
    fn a_large_change_is_a_full_repaint() {
        let old = frame();
        let mut new = frame();
        new.push(rect(0.0, 0.0, 1280.0, 700.0, Color32::BLACK));
        assert_eq!(between(&old, &new, &[], SCREEN, 1.0), Damage::Full);
    }

    #[test]
    fn many_small_changes_merge_into_a_few_rectangles() {
        let old: Vec<_> = (0..40)
            .map(|i| {
                rect(
                    20.0 * i as f32,
                    (i % 5) as f32 * 100.0,
                    5.0,
                    5.0,
                    Color32::GRAY,
                )
            })
            .collect();
        let new: Vec<_> = (0..40)
            .map(|i| {
                rect(
                    20.0 * i as f32,
                    (i % 5) as f32 * 100.0,
                    5.0,
                    5.0,
                    Color32::RED,
                )
            })
            .collect();
        let Damage::Rects(rects) = between(&old, &new, &[], SCREEN, 1.0) else {
            panic!("small changes");
        };
        assert!(rects.len() <= MAX_RECTS, "{}", rects.len());
        for (i, a) in rects.iter().enumerate() {
            for b in &rects[i + 1..] {
                assert!(!a.intersects(*b), "{a:?} overlaps {b:?}");
            }
        }
        for s in &new {
            let b = painted_bounds(s);
            assert!(
                rects.iter().any(|r| r.contains_rect(b)),
                "{b:?} not covered"
            );
        }
    }

    #[test]
    fn thousands_of_changes_become_their_bounding_box() {
        // A tree of 20,000 rows recoloured at once: pairwise merging would take hours.
        let at = |i: usize, c| rect((i % 200) as f32 * 5.0, (i / 200) as f32 * 8.0, 3.0, 3.0, c);
        let old: Vec<_> = (0..20_000).map(|i| at(i, Color32::GRAY)).collect();
        let new: Vec<_> = (0..20_000).map(|i| at(i, Color32::RED)).collect();
        assert_eq!(between(&old, &new, &[], SCREEN, 1.0), Damage::Full);
        let few: Vec<_> = (0..1_000).map(|i| at(i, Color32::GRAY)).collect();
        let recoloured: Vec<_> = (0..1_000).map(|i| at(i, Color32::RED)).collect();
        let Damage::Rects(rects) = between(&few, &recoloured, &[], SCREEN, 1.0) else {
            panic!("five rows of small changes");
        };
        assert_eq!(
            rects,
            vec![Rect::from_min_max(Pos2::ZERO, Pos2::new(999.0, 36.0))]
        );
    }

    #[test]
    fn the_rest_of_the_screen_is_covered_once_around_the_damage() {
        let damage = [
            Rect::from_min_max(Pos2::new(100.0, 100.0), Pos2::new(300.0, 200.0)),
            Rect::from_min_max(Pos2::new(250.0, 150.0), Pos2::new(400.0, 500.0)),
            Rect::from_min_max(Pos2::new(1270.0, 790.0), Pos2::new(1280.0, 800.0)),
        ];
        // Overlapping damage is merged before it gets here, but `outside` must not care.
        let rest = outside(&damage, SCREEN);
        let area: f32 = rest.iter().map(|r| r.area()).sum();
        let damaged = 200.0 * 100.0 + 150.0 * 350.0 - 50.0 * 50.0 + 100.0;
        assert_eq!(area, SCREEN.area() - damaged);
        for r in &rest {
            assert!(SCREEN.contains_rect(*r));
            assert!(
                damage.iter().all(|d| !d.intersect(*r).is_positive()),
                "{r:?}"
            );
        }
        for (i, a) in rest.iter().enumerate() {
            for b in &rest[i + 1..] {
                assert!(!a.intersect(*b).is_positive(), "{a:?} overlaps {b:?}");
            }
        }
        assert!(
            rest.len() <= 10,
            "bands with the same cuts are joined: {}",
            rest.len()
        );
        assert_eq!(outside(&[], SCREEN), vec![SCREEN]);
        assert!(outside(&[SCREEN], SCREEN).is_empty());
    }

    #[test]
    fn a_region_is_repainted_by_every_shape_under_it_in_order_and_clipped_to_it() {
        let background = rect(0.0, 0.0, 400.0, 400.0, Color32::DARK_GRAY);
        let label = rect(100.0, 100.0, 50.0, 10.0, Color32::WHITE);
        let far = rect(900.0, 600.0, 50.0, 10.0, Color32::WHITE);
        let shapes = vec![background.clone(), label.clone(), far];
        let region = Rect::from_min_max(Pos2::new(90.0, 90.0), Pos2::new(160.0, 120.0));
        let out = within(&shapes, &[region]);
        assert_eq!(out.len(), 2, "the far shape is left out");
        assert_eq!(out[0].shape, background.shape);
        assert_eq!(out[1].shape, label.shape);
        assert!(out.iter().all(|s| s.clip_rect == region));
    }
}
