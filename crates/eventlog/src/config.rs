//! The knobs of an event log, with the defaults OpenTrail runs with.
//!
//! Only things an operator or a test has a reason to change are here; the on-disk format's limits
//! are constants in `format`, not settings.

use crate::fault::FaultPlan;

/// Settings for [`crate::EventLog::open`].
#[derive(Clone, Debug)]
pub struct EventLogConfig {
    /// A segment is rolled before an entry would take it past this size (an entry larger than the
    /// limit gets a segment of its own). Default 128 MiB.
    pub segment_max_bytes: u64,
    /// The writer stops taking requests into one group commit once it holds this many payload
    /// bytes, which bounds the writer's memory and one commit's latency. Default 32 MiB.
    pub max_group_bytes: usize,
    /// Group commits of at most this many bytes first write 1 MiB of zeros ahead of the data (once
    /// per MiB) and then overwrite them, which lets fdatasync skip the journal commit that a
    /// growing file needs. Larger groups are bound by disk bandwidth and simply append. 0 turns
    /// preallocation off. Default 256 KiB.
    pub preallocate_groups_up_to_bytes: u64,
    /// How many append requests may wait for the writer before appenders wait to enqueue.
    /// Default 4096.
    pub request_queue_len: usize,
    /// Whether `open` reads and checks every sealed segment, not just the active one. Off by
    /// default because it reads the whole log; sealed segments are checked as readers read them.
    pub verify_sealed_segments_on_open: bool,
    /// A fault to inject (crash tests only). Default `None`.
    pub fault_plan: Option<FaultPlan>,
}

impl Default for EventLogConfig {
    fn default() -> Self {
        EventLogConfig {
            segment_max_bytes: 128 * 1024 * 1024,
            max_group_bytes: 32 * 1024 * 1024,
            preallocate_groups_up_to_bytes: 256 * 1024,
            request_queue_len: 4096,
            verify_sealed_segments_on_open: false,
            fault_plan: None,
        }
    }
}
