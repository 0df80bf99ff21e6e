//! Widgets more than one place could draw, holding no session state.

pub mod scope_source;
pub mod spectrum_view;
