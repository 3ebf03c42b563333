//! Integration tests of `opentrail-integrity`: the one test binary of this crate.
//!
//! New integration tests go in a module here. Unit tests of single functions stay next to the code.

mod cli_compat;
