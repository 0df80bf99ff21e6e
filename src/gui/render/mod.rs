//! How frames reach the screen: the damage between frames, the kept frame that redraws only
//! what changed under software GL, and textures drawn once for many traces.

pub(crate) mod damage;
pub mod kept_frame;
pub mod software_gl;
pub(crate) mod trace_picture;
