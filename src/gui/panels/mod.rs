//! One file (or folder) per part of the window. A panel draws one session (or the window's
//! shared state) and pushes [`Action`](crate::gui::actions::Action)s; it never imports
//! another panel or the app.

pub mod about;
pub mod boot;
pub mod buffers;
pub mod connect;
pub mod console;
pub mod join_box;
pub mod log;
pub mod mixer;
pub mod plots;
pub mod scope;
pub mod spectrum;
pub mod status_bar;
pub mod tree;
pub mod wall;
