//! The CloudTrail operations, one module per group, each an `impl ControlPlane` block of methods
//! named after the operation (`create_trail` for CreateTrail). `lookup` and `destination` hold
//! the rules several groups share.

mod destination;
mod logging;
mod lookup;
mod selectors;
mod tags;
mod trails;
