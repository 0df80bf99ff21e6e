//! Drawing for a machine whose CPU paints every pixel itself: Mesa's llvmpipe under Xvfb, in
//! a VM, or without a GPU driver. There each triangle a frame holds costs CPU time, in
//! proportion to what is drawn rather than to the window's size (a blank 1280x800 window
//! at 20 frames a second costs about 2 % of a core; the Levels tab several times that, until
//! `kept_frame` repainted only what changed).

/// Whether the OpenGL renderer is a software rasteriser, by the name it reports.
pub(crate) fn is_software(renderer: &str) -> bool {
    let name = renderer.to_ascii_lowercase();
    [
        "llvmpipe",
        "softpipe",
        "software rasterizer",
        "swrast",
        "swiftshader",
        "gdi generic",
    ]
    .iter()
    .any(|s| name.contains(s))
}

/// Under software GL, turns egui's feathering off and repaints only what changed. Feathering anti-aliases each shape's edge
/// with a strip of thin triangles: it doubles a frame's triangles (9,668 against 4,724 on the
/// Levels tab), and thin triangles are the rasteriser's dearest. Without it, round corners
/// and sloped lines are drawn with hard edges; text and straight edges look the same.
pub fn adapt(cc: &eframe::CreationContext) {
    use eframe::glow::HasContext;
    let Some(gl) = cc.gl.as_ref() else {
        return;
    };
    // SAFETY: a string query on the context eframe made current for the app's creation.
    let renderer = unsafe { gl.get_parameter_string(eframe::glow::RENDERER) };
    if !is_software(&renderer) {
        return;
    }
    cc.egui_ctx
        .tessellation_options_mut(|o| o.feathering = false);
    // Framebuffer blits need OpenGL (ES) 3. SCPANEL_KEPT_FRAME=0 paints every frame whole,
    // to compare (scripts/bench-draw.sh).
    let version = gl.version();
    if version.major >= 3 && std::env::var("SCPANEL_KEPT_FRAME").as_deref() != Ok("0") {
        crate::gui::render::kept_frame::install(&cc.egui_ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::is_software;

    #[test]
    fn software_renderers_are_told_from_gpus() {
        assert!(is_software("llvmpipe (LLVM 15.0.6, 256 bits)"));
        assert!(is_software("softpipe"));
        assert!(is_software("Software Rasterizer"));
        assert!(is_software("Google SwiftShader"));
        assert!(!is_software("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
        assert!(!is_software(
            "AMD Radeon RX 6600 (radeonsi, navi23, LLVM 15.0.7, DRM 3.49)"
        ));
        assert!(!is_software("NVIDIA GeForce RTX 3060/PCIe/SSE2"));
    }
}
