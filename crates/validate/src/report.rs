//! The CLI's output: status lines (valid ones on stdout with `--verbose` only, INVALID ones and gap
//! notices on stderr followed by a blank line, with the CLI's "last status was double-spaced"
//! bookkeeping), the counters, the found-time range and the summary block, byte for byte as
//! `CloudTrailValidateLogs` in awscli 1.46.3 writes them.
//!
//! It decides nothing about validity; it is told outcomes in the order they must appear.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::date::{DateValue, display_date};
use crate::failure::Failure;
use crate::logs::{LogOutcome, LogTarget};
use crate::traverse::parse_json_date;

/// Valid and invalid counts of one kind of file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Files found valid.
    pub valid: u64,
    /// Files found invalid.
    pub invalid: u64,
}

/// The run's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Standard digests.
    pub digests: Tally,
    /// Backfill digests.
    pub backfill_digests: Tally,
    /// Log files.
    pub logs: Tally,
}

/// Writes the report.
pub struct Report<'w> {
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    verbose: bool,
    last_status_double_spaced: bool,
    start: DateValue,
    end: DateValue,
    found_start: Option<DateValue>,
    found_end: Option<DateValue>,
    counts: Counts,
}

impl std::fmt::Debug for Report<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Report")
            .field("verbose", &self.verbose)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl<'w> Report<'w> {
    /// A report for the requested range.
    pub fn new(
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
        verbose: bool,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Self {
        Report {
            out,
            err,
            verbose,
            last_status_double_spaced: true,
            start: DateValue::from_utc(start),
            end: DateValue::from_utc(end),
            found_start: None,
            found_end: None,
            counts: Counts::default(),
        }
    }

    /// The counters so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// 1 when anything was invalid, else 0.
    pub fn exit_code(&self) -> i32 {
        let counts = self.counts;
        let invalid =
            counts.digests.invalid + counts.backfill_digests.invalid + counts.logs.invalid;
        i32::from(invalid > 0)
    }

    /// `Validating log files for trail ... between ... and ...` and a blank line.
    pub fn startup(&mut self, trail_arn: &str) -> io::Result<()> {
        write!(
            self.out,
            "Validating log files for trail {trail_arn} between {} and {}\n\n",
            self.start.display(),
            self.end.display()
        )
    }

    fn status(&mut self, message: &str, is_error: bool) -> io::Result<()> {
        if is_error {
            let lead = if self.last_status_double_spaced {
                ""
            } else {
                "\n"
            };
            write!(self.err, "{lead}{message}\n\n")?;
            self.last_status_double_spaced = true;
        } else if self.verbose {
            self.last_status_double_spaced = false;
            writeln!(self.out, "{message}")?;
        }
        Ok(())
    }

    /// A digest that verified. Fails like the CLI when its times cannot be compared with the range.
    pub fn valid_digest(
        &mut self,
        digest: &Map<String, Value>,
        is_backfill: bool,
    ) -> Result<(), ReportError> {
        self.track_found_times(digest)?;
        let tally = self.digest_tally(is_backfill);
        tally.valid += 1;
        let label = if is_backfill { "(backfill) " } else { "" };
        let line = format!(
            "{label}Digest file\ts3://{}/{}\tvalid",
            text_of(digest, "digestS3Bucket"),
            text_of(digest, "digestS3Object")
        );
        self.status(&line, false)?;
        Ok(())
    }

    /// A digest that failed (`line` is the full status line without the backfill prefix).
    pub fn invalid_digest(&mut self, line: &str, is_backfill: bool) -> io::Result<()> {
        self.digest_tally(is_backfill).invalid += 1;
        let label = if is_backfill { "(backfill) " } else { "" };
        self.status(&format!("{label}{line}"), true)
    }

    /// A digest that does not exist.
    pub fn missing_digest(&mut self, bucket: &str, key: &str, is_backfill: bool) -> io::Result<()> {
        self.invalid_digest(
            &format!("Digest file\ts3://{bucket}/{key}\tINVALID: not found"),
            is_backfill,
        )
    }

    /// A break in the chain with older digests still listed.
    pub fn gap(
        &mut self,
        next_end: DateTime<Utc>,
        last_start: DateTime<Utc>,
        is_backfill: bool,
    ) -> io::Result<()> {
        let label = if is_backfill { "(backfill) " } else { "" };
        let line = format!(
            "{label}No log files were delivered by CloudTrail between {} and {}",
            display_date(&next_end.naive_utc()),
            display_date(&last_start.naive_utc())
        );
        self.status(&line, true)
    }

    /// The outcome of one log file (not `Fatal`/`Skipped`, which end the report).
    pub fn log_file(&mut self, target: &LogTarget, outcome: &LogOutcome) -> io::Result<()> {
        let location = target.location().unwrap_or_default();
        let verdict = match outcome {
            LogOutcome::Valid => {
                self.counts.logs.valid += 1;
                return self.status(&format!("Log file\t{location}\tvalid"), false);
            }
            LogOutcome::HashMismatch => "hash value doesn't match",
            LogOutcome::NotFound => "not found",
            LogOutcome::InvalidFormat => "invalid format",
            LogOutcome::TrailingData => "unexpected data after end of compressed stream",
            LogOutcome::Fatal(_) | LogOutcome::Skipped => return Ok(()),
        };
        self.counts.logs.invalid += 1;
        self.status(&format!("Log file\t{location}\tINVALID: {verdict}"), true)
    }

    /// The closing block.
    pub fn summary(&mut self) -> io::Result<()> {
        if !self.last_status_double_spaced {
            writeln!(self.out)?;
        }
        writeln!(
            self.out,
            "Results requested for {} to {}",
            self.start.display(),
            self.end.display()
        )?;
        let counts = self.counts;
        let valid = counts.digests.valid + counts.backfill_digests.valid;
        let invalid = counts.digests.invalid + counts.backfill_digests.invalid;
        if valid == 0 && invalid == 0 {
            return writeln!(self.out, "No digests found");
        }
        match (self.found_start, self.found_end) {
            (Some(start), Some(end)) => writeln!(
                self.out,
                "Results found for {} to {}:",
                start.display(),
                end.display()
            )?,
            _ => writeln!(self.out, "No valid digests found in range")?,
        }
        self.ratio(counts.digests, "digest")?;
        self.ratio(counts.backfill_digests, "backfill digest")?;
        self.ratio(counts.logs, "log")?;
        writeln!(self.out)
    }

    fn ratio(&mut self, tally: Tally, name: &str) -> io::Result<()> {
        let total = tally.valid + tally.invalid;
        if total == 0 {
            return Ok(());
        }
        write!(self.out, "\n{}/{total} {name} files valid", tally.valid)?;
        if tally.invalid > 0 {
            write!(self.out, ", {}/{total} {name} files INVALID", tally.invalid)?;
        }
        Ok(())
    }

    fn digest_tally(&mut self, is_backfill: bool) -> &mut Tally {
        if is_backfill {
            &mut self.counts.backfill_digests
        } else {
            &mut self.counts.digests
        }
    }

    /// `_track_found_times`: Python's `max`/`min` keep the first argument on ties.
    fn track_found_times(&mut self, digest: &Map<String, Value>) -> Result<(), ReportError> {
        let digest_start =
            parse_json_date(digest, "digestStartTime").map_err(ReportError::Failed)?;
        let earliest = if self
            .start
            .compare(&digest_start)
            .map_err(ReportError::Failed)?
            .is_gt()
        {
            self.start
        } else {
            digest_start
        };
        let replace_start = match &self.found_start {
            None => true,
            Some(found) => earliest
                .compare(found)
                .map_err(ReportError::Failed)?
                .is_lt(),
        };
        if replace_start {
            self.found_start = Some(earliest);
        }
        let digest_end = parse_json_date(digest, "digestEndTime").map_err(ReportError::Failed)?;
        let latest = if self
            .end
            .compare(&digest_end)
            .map_err(ReportError::Failed)?
            .is_lt()
        {
            self.end
        } else {
            digest_end
        };
        let replace_end = match &self.found_end {
            None => true,
            Some(found) => latest.compare(found).map_err(ReportError::Failed)?.is_gt(),
        };
        if replace_end {
            self.found_end = Some(latest);
        }
        Ok(())
    }
}

/// Why reporting a digest failed.
#[derive(Debug)]
pub enum ReportError {
    /// Writing failed.
    Io(io::Error),
    /// Python raised while tracking times (the command ends).
    Failed(Failure),
}

impl From<io::Error> for ReportError {
    fn from(error: io::Error) -> ReportError {
        ReportError::Io(error)
    }
}

fn text_of(digest: &Map<String, Value>, name: &str) -> String {
    digest
        .get(name)
        .map(crate::python_compat::py_str)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn digest(start: &str, end: &str) -> Map<String, Value> {
        let value = json!({
            "digestS3Bucket": "b", "digestS3Object": "d", "digestStartTime": start, "digestEndTime": end
        });
        value.as_object().unwrap().clone()
    }

    type Step = Box<dyn Fn(&mut Report<'_>)>;

    fn check(verbose: bool, steps: Vec<Step>, expected_out: &str, expected_err: &str, code: i32) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exit = {
            let mut report = Report::new(
                &mut out,
                &mut err,
                verbose,
                at("2015-01-01T00:00:00Z"),
                at("2015-01-02T00:00:00Z"),
            );
            report.startup("arn:x").unwrap();
            for step in &steps {
                step(&mut report);
            }
            report.summary().unwrap();
            report.exit_code()
        };
        assert_eq!(String::from_utf8(out).unwrap(), expected_out);
        assert_eq!(String::from_utf8(err).unwrap(), expected_err);
        assert_eq!(exit, code);
    }

    const HEAD: &str = "Validating log files for trail arn:x between 2015-01-01T00:00:00Z and 2015-01-02T00:00:00Z\n\n";

    fn valid_log() -> LogTarget {
        LogTarget {
            bucket: json!("b"),
            key: Some(json!("l")),
            hash_value: None,
        }
    }

    #[test]
    fn nothing_found() {
        check(
            false,
            vec![],
            &format!(
                "{HEAD}Results requested for 2015-01-01T00:00:00Z to 2015-01-02T00:00:00Z\nNo digests found\n"
            ),
            "",
            0,
        );
    }

    #[test]
    fn verbose_valid_run() {
        let steps: Vec<Step> = vec![
            Box::new(|report| {
                report
                    .valid_digest(
                        &digest("2015-01-01T05:00:00Z", "2015-01-01T06:00:00Z"),
                        false,
                    )
                    .unwrap()
            }),
            Box::new(|report| report.log_file(&valid_log(), &LogOutcome::Valid).unwrap()),
        ];
        let out = format!(
            "{HEAD}Digest file\ts3://b/d\tvalid\nLog file\ts3://b/l\tvalid\n\nResults requested for 2015-01-01T00:00:00Z to 2015-01-02T00:00:00Z\nResults found for 2015-01-01T05:00:00Z to 2015-01-01T06:00:00Z:\n\n1/1 digest files valid\n1/1 log files valid\n"
        );
        check(true, steps, &out, "", 0);
    }

    #[test]
    fn invalid_lines_are_double_spaced_on_stderr() {
        let steps: Vec<Step> = vec![
            Box::new(|report| {
                report
                    .valid_digest(
                        &digest("2014-12-31T23:00:00Z", "2015-01-03T00:00:00Z"),
                        false,
                    )
                    .unwrap()
            }),
            Box::new(|report| {
                report
                    .log_file(&valid_log(), &LogOutcome::HashMismatch)
                    .unwrap()
            }),
            Box::new(|report| {
                report
                    .log_file(&valid_log(), &LogOutcome::TrailingData)
                    .unwrap()
            }),
            Box::new(|report| report.missing_digest("b", "k", true).unwrap()),
            Box::new(|report| {
                report
                    .valid_digest(
                        &digest("2015-01-01T01:00:00Z", "2015-01-01T02:00:00Z"),
                        true,
                    )
                    .unwrap()
            }),
            Box::new(|report| {
                report
                    .log_file(&valid_log(), &LogOutcome::NotFound)
                    .unwrap()
            }),
            Box::new(|report| {
                report
                    .log_file(&valid_log(), &LogOutcome::InvalidFormat)
                    .unwrap()
            }),
            Box::new(|report| {
                report
                    .gap(
                        at("2015-01-01T01:00:00Z"),
                        at("2015-01-01T03:00:00Z"),
                        false,
                    )
                    .unwrap()
            }),
        ];
        let out = format!(
            "{HEAD}Digest file\ts3://b/d\tvalid\n(backfill) Digest file\ts3://b/d\tvalid\nResults requested for 2015-01-01T00:00:00Z to 2015-01-02T00:00:00Z\nResults found for 2015-01-01T00:00:00Z to 2015-01-02T00:00:00Z:\n\n1/1 digest files valid\n1/2 backfill digest files valid, 1/2 backfill digest files INVALID\n0/4 log files valid, 4/4 log files INVALID\n"
        );
        let err = "\nLog file\ts3://b/l\tINVALID: hash value doesn't match\n\nLog file\ts3://b/l\tINVALID: unexpected data after end of compressed stream\n\n(backfill) Digest file\ts3://b/k\tINVALID: not found\n\n\nLog file\ts3://b/l\tINVALID: not found\n\nLog file\ts3://b/l\tINVALID: invalid format\n\nNo log files were delivered by CloudTrail between 2015-01-01T01:00:00Z and 2015-01-01T03:00:00Z\n\n";
        check(true, steps, &out, err, 1);
    }

    #[test]
    fn only_invalid_digests() {
        let steps: Vec<Step> = vec![Box::new(|report| {
            report
                .invalid_digest("Digest file\ts3://b/k\tINVALID: invalid format", false)
                .unwrap()
        })];
        let out = format!(
            "{HEAD}Results requested for 2015-01-01T00:00:00Z to 2015-01-02T00:00:00Z\nNo valid digests found in range\n\n0/1 digest files valid, 1/1 digest files INVALID\n"
        );
        check(
            false,
            steps,
            &out,
            "Digest file\ts3://b/k\tINVALID: invalid format\n\n",
            1,
        );
    }

    #[test]
    fn naive_digest_times_end_the_run() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut report = Report::new(
            &mut out,
            &mut err,
            false,
            at("2015-01-01T00:00:00Z"),
            at("2015-01-02T00:00:00Z"),
        );
        let failure = report.valid_digest(
            &digest("2015-01-01T05:00:00", "2015-01-01T06:00:00Z"),
            false,
        );
        let Err(ReportError::Failed(failure)) = failure else {
            panic!("expected a comparison failure");
        };
        assert_eq!(
            failure.text(),
            "can't compare offset-naive and offset-aware datetimes"
        );
    }
}
