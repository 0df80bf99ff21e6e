//! Widgets more than one place could draw, holding no session state.

pub(crate) mod scope_source;
pub mod spectrum_view;
