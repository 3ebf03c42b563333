//! Consumer cursors: one small file per consumer holding the Seq of the next entry it has not yet
//! applied, replaced atomically (temp file, fsync, rename, directory fsync), plus the in-memory copy
//! that compaction and lag metrics read.
//!
//! A cursor only moves forward, and only after the consumer's own output is durable, so after any
//! crash a consumer resumes at or before the first entry whose effect it may have lost
//! (at-least-once). This module does not run consumers; `consumer` does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::error::{EventLogError, Result};
use crate::format;
use crate::segment::sync_dir;
use crate::seq::Seq;

/// A consumer's name, safe to use as a file name: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting
/// with `.`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsumerName(String);

impl ConsumerName {
    /// Checks and wraps a consumer name.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let allowed = |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-');
        let valid =
            (1..=64).contains(&name.len()) && !name.starts_with('.') && name.bytes().all(allowed);
        if valid {
            Ok(ConsumerName(name))
        } else {
            Err(EventLogError::InvalidConsumerName { name })
        }
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConsumerName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The cursor directory and the last saved position of every registered consumer.
#[derive(Debug)]
pub(crate) struct CursorRegistry {
    dir: PathBuf,
    positions: Mutex<BTreeMap<ConsumerName, Seq>>,
    /// Consumers being run right now; two runners of one cursor would apply batches twice and
    /// could save their checkpoints out of order.
    running: Mutex<BTreeSet<ConsumerName>>,
}

impl CursorRegistry {
    /// Opens (creating if needed) the cursor directory of the log in `log_dir` and loads every cursor.
    pub(crate) fn open(log_dir: &Path) -> Result<Self> {
        let dir = log_dir.join(format::CURSOR_DIR_NAME);
        if !dir.is_dir() {
            fs::create_dir(&dir)
                .map_err(|error| EventLogError::io("creating directory", &dir, error))?;
            sync_dir(log_dir)?;
        }
        let positions = load_cursors(&dir)?;
        Ok(CursorRegistry {
            dir,
            positions: Mutex::new(positions),
            running: Mutex::new(BTreeSet::new()),
        })
    }

    /// Locks the in-memory positions; compaction holds this while it removes segments so that no
    /// consumer registers in between.
    pub(crate) fn lock(&self) -> MutexGuard<'_, BTreeMap<ConsumerName, Seq>> {
        self.positions
            .lock()
            .expect("cursor registry lock poisoned")
    }

    /// Marks `name` as running; fails if it already is. `finish_run` undoes it.
    pub(crate) fn start_run(&self, name: &ConsumerName) -> Result<()> {
        let mut running = self.running.lock().expect("running set lock poisoned");
        if running.insert(name.clone()) {
            Ok(())
        } else {
            Err(EventLogError::ConsumerAlreadyRunning {
                name: name.to_string(),
            })
        }
    }

    pub(crate) fn finish_run(&self, name: &ConsumerName) {
        self.running
            .lock()
            .expect("running set lock poisoned")
            .remove(name);
    }

    /// The saved position of `name`, if it is registered.
    pub(crate) fn position(&self, name: &ConsumerName) -> Option<Seq> {
        self.lock().get(name).copied()
    }

    /// Every registered consumer and its saved position.
    pub(crate) fn all(&self) -> Vec<(ConsumerName, Seq)> {
        self.lock()
            .iter()
            .map(|(name, seq)| (name.clone(), *seq))
            .collect()
    }

    /// Registers `name` at `start()` unless it is registered already; returns its position.
    pub(crate) fn register(&self, name: &ConsumerName, start: impl FnOnce() -> Seq) -> Result<Seq> {
        let mut positions = self.lock();
        if let Some(position) = positions.get(name) {
            return Ok(*position);
        }
        let position = start();
        self.write_cursor_file(name, position)?;
        positions.insert(name.clone(), position);
        Ok(position)
    }

    /// Durably saves `position` for `name`; a position behind the saved one is ignored.
    pub(crate) fn save(&self, name: &ConsumerName, position: Seq) -> Result<()> {
        if self.position(name).is_some_and(|saved| saved >= position) {
            return Ok(());
        }
        self.write_cursor_file(name, position)?;
        let mut positions = self.lock();
        let saved = positions.entry(name.clone()).or_insert(position);
        *saved = (*saved).max(position);
        Ok(())
    }

    /// Forgets `name` and deletes its cursor file; returns whether it was registered.
    pub(crate) fn remove(&self, name: &ConsumerName) -> Result<bool> {
        let mut positions = self.lock();
        let path = self.dir.join(format::cursor_file_name(name.as_str()));
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir)?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(EventLogError::io("removing cursor", &path, error)),
        }
        Ok(positions.remove(name).is_some())
    }

    fn write_cursor_file(&self, name: &ConsumerName, position: Seq) -> Result<()> {
        let path = self.dir.join(format::cursor_file_name(name.as_str()));
        let temp = self
            .dir
            .join(format!("{}{}", name.as_str(), format::CURSOR_TEMP_SUFFIX));
        let mut file = File::create(&temp)
            .map_err(|error| EventLogError::io("creating cursor", &temp, error))?;
        file.write_all(&format::encode_cursor(position))
            .and_then(|()| file.sync_all())
            .map_err(|error| EventLogError::io("writing cursor", &temp, error))?;
        fs::rename(&temp, &path)
            .map_err(|error| EventLogError::io("renaming cursor into", &path, error))?;
        sync_dir(&self.dir)
    }
}

/// Loads every cursor file in `dir`, deleting temp files a crash left behind.
fn load_cursors(dir: &Path) -> Result<BTreeMap<ConsumerName, Seq>> {
    let listing = fs::read_dir(dir).map_err(|error| EventLogError::io("listing", dir, error))?;
    let mut positions = BTreeMap::new();
    for item in listing {
        let path = item
            .map_err(|error| EventLogError::io("listing", dir, error))?
            .path();
        let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if file_name.ends_with(format::CURSOR_TEMP_SUFFIX) {
            fs::remove_file(&path).map_err(|error| EventLogError::io("removing", &path, error))?;
            continue;
        }
        let Some(consumer) = format::parse_cursor_file_name(file_name) else {
            continue;
        };
        let name = ConsumerName::new(consumer)?;
        positions.insert(name, read_cursor_file(&path)?);
    }
    Ok(positions)
}

fn read_cursor_file(path: &Path) -> Result<Seq> {
    let bytes = fs::read(path).map_err(|error| EventLogError::io("reading cursor", path, error))?;
    format::decode_cursor(&bytes).map_err(|problem| EventLogError::BadHeader {
        path: path.to_path_buf(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_names_are_checked() {
        let check = |name: &str, valid: bool| {
            assert_eq!(ConsumerName::new(name).is_ok(), valid, "{name:?}")
        };
        for name in ["history", "trail.my-trail_1", "a", &"x".repeat(64)] {
            check(name, true);
        }
        for name in [
            "",
            ".hidden",
            "../escape",
            "a/b",
            "space here",
            &"x".repeat(65),
            "ü",
        ] {
            check(name, false);
        }
    }

    #[test]
    fn cursors_survive_reopening_and_only_move_forward() {
        let dir = tempfile::tempdir().unwrap();
        let name = ConsumerName::new("history").unwrap();
        let registry = CursorRegistry::open(dir.path()).unwrap();
        assert_eq!(registry.register(&name, || Seq(3)).unwrap(), Seq(3));
        assert_eq!(registry.register(&name, || Seq(0)).unwrap(), Seq(3));
        registry.save(&name, Seq(10)).unwrap();
        registry.save(&name, Seq(7)).unwrap();
        fs::write(dir.path().join("cursors/history.cursor.tmp"), b"half").unwrap();

        let reopened = CursorRegistry::open(dir.path()).unwrap();
        assert_eq!(reopened.position(&name), Some(Seq(10)));
        assert!(!dir.path().join("cursors/history.cursor.tmp").exists());
        assert!(reopened.remove(&name).unwrap());
        assert_eq!(CursorRegistry::open(dir.path()).unwrap().all(), vec![]);
    }

    #[test]
    fn a_damaged_cursor_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let registry = CursorRegistry::open(dir.path()).unwrap();
        registry
            .save(&ConsumerName::new("trail").unwrap(), Seq(5))
            .unwrap();
        let path = dir.path().join("cursors/trail.cursor");
        let mut bytes = fs::read(&path).unwrap();
        bytes[13] ^= 1;
        fs::write(&path, bytes).unwrap();
        let error = CursorRegistry::open(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("trail.cursor") && error.contains("checksum"),
            "{error}"
        );
    }
}
