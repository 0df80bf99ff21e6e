//! One file (or folder) per part of the window. A panel draws one session (or the window's
//! shared state) and pushes [`Action`](crate::gui::actions::Action)s; it never imports
//! another panel or the app.

pub(crate) mod about;
pub(crate) mod boot;
pub(crate) mod buffers;
pub(crate) mod connect;
pub(crate) mod console;
pub(crate) mod doctor;
pub mod flow;
pub(crate) mod join_box;
pub mod log;
pub(crate) mod mixer;
pub(crate) mod plots;
pub(crate) mod scope;
pub mod shows;
pub(crate) mod spectrum;
pub(crate) mod status_bar;
pub(crate) mod tree;
pub mod wall;
