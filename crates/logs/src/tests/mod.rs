//! Operation-level tests through [`crate::Logs::call`] and the programmatic entry points, one
//! file per area; `support` holds the fixture (temp dir, pinned clock, recording sink) and the
//! one `check` helper the tables use. New operation tests go in the file of their area.

mod events;
mod groups;
mod metric_filters;
mod service;
mod streams;
mod support;
