//! Fault injection for crash tests: a plan that makes the writer thread abort the process (or fail
//! with an IO error) at one named point of one group commit.
//!
//! It is compiled into every build so that what the crash tests exercise is the shipped code. Its
//! cost when off (the default) is one `Option` check per group commit. It never fires on its own:
//! only a [`FaultPlan`] put into `EventLogConfig::fault_plan` arms it, and only once.

use std::io;

/// A point in the writer thread's group commit where a fault can be injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultPoint {
    /// After the group was taken from the queue, before any byte of it is written.
    BeforeWrite,
    /// After the group was written up to the middle of its last entry, leaving a torn tail.
    AfterPartialWrite,
    /// After the whole group was written, before it was fsynced.
    AfterWriteBeforeFsync,
    /// After the group was fsynced, before any appender was told.
    AfterFsyncBeforeAck,
}

impl FaultPoint {
    /// Every fault point, in the order a group commit passes them.
    pub const ALL: [FaultPoint; 4] = [
        FaultPoint::BeforeWrite,
        FaultPoint::AfterPartialWrite,
        FaultPoint::AfterWriteBeforeFsync,
        FaultPoint::AfterFsyncBeforeAck,
    ];
}

/// What happens when the plan fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// `std::process::abort()`: the process dies as in a crash (page-cache contents survive).
    Abort,
    /// The commit fails with an injected IO error, as a failing disk would make it.
    FailWithIoError,
}

/// Fire `action` at `point` during the `at_group`-th group commit (counting from 1) since open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultPlan {
    /// Where in the group commit to fire.
    pub point: FaultPoint,
    /// Which group commit to fire in, counting from 1.
    pub at_group: u64,
    /// What to do.
    pub action: FaultAction,
}

impl FaultPlan {
    /// Fires the plan if `point` during group number `group` is the planned one.
    pub(crate) fn check(&self, point: FaultPoint, group: u64) -> io::Result<()> {
        if point != self.point || group != self.at_group {
            return Ok(());
        }
        match self.action {
            FaultAction::Abort => std::process::abort(),
            FaultAction::FailWithIoError => {
                Err(io::Error::other(format!("injected fault at {point:?}")))
            }
        }
    }
}

/// Checks an optional plan; the form the writer calls at each point.
pub(crate) fn check_fault(
    plan: Option<&FaultPlan>,
    point: FaultPoint,
    group: u64,
) -> io::Result<()> {
    match plan {
        Some(plan) => plan.check(point, group),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_only_at_the_planned_point_and_group() {
        let plan = FaultPlan {
            point: FaultPoint::AfterWriteBeforeFsync,
            at_group: 3,
            action: FaultAction::FailWithIoError,
        };
        let check = |point: FaultPoint, group: u64, fires: bool| {
            assert_eq!(
                check_fault(Some(&plan), point, group).is_err(),
                fires,
                "{point:?} in group {group}"
            );
        };
        check(FaultPoint::AfterWriteBeforeFsync, 3, true);
        check(FaultPoint::AfterWriteBeforeFsync, 2, false);
        check(FaultPoint::BeforeWrite, 3, false);
        assert!(check_fault(None, FaultPoint::BeforeWrite, 1).is_ok());
    }
}
