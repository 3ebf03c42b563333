//! End-to-end tests of ingest and LookupEvents over the real CloudTrail corpus
//! (`/work/shared/corpus/real`), checked against a brute-force model of the same query, plus the
//! edge cases the corpus lacks: data events, Insights, replays, retention, reopening.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use opentrail_eventlog::{Consumer, Entry, Seq};
use opentrail_record::{Envelope, RecordSource, split_records};
use serde_json::{Value, json};

use crate::summary::{AttributeKey, Category, RecordSummary, summarize};
use crate::{History, HistoryConfig};

const ACCOUNT: &str = "111122223333";
const CORPUS: &str = "/work/shared/corpus/real";

fn envelope(account: &str, record: impl Into<Bytes>) -> Envelope {
    Envelope {
        account_id: account.into(),
        source: RecordSource::Ingest,
        ingest_time_ms: 1_700_000_000_000,
        record: record.into(),
    }
}

fn corpus_envelopes() -> Vec<Envelope> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("corpus directory")
        .map(|set| set.unwrap().path())
        .filter(|set| set.is_dir())
        .flat_map(|set| std::fs::read_dir(set).unwrap())
        .map(|file| file.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut envelopes = Vec::new();
    for file in files {
        let outcome = split_records(&std::fs::read(&file).unwrap(), 1 << 30).unwrap();
        for record in outcome.accepted {
            envelopes.push(envelope(ACCOUNT, record.bytes));
        }
    }
    assert!(envelopes.len() > 3000, "corpus has {}", envelopes.len());
    envelopes
}

fn entries(envelopes: &[Envelope]) -> Vec<Entry> {
    envelopes
        .iter()
        .enumerate()
        .map(|(seq, envelope)| Entry {
            seq: Seq(seq as u64),
            payload: envelope.encode(),
        })
        .collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    history: History,
}

fn fixture(retention_days: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = HistoryConfig {
        retention: Duration::from_secs(retention_days * 24 * 3600),
    };
    let history = History::open(&dir.path().join("history.db"), config).unwrap();
    Fixture { _dir: dir, history }
}

/// Feeds `envelopes` through the consumer in batches of 1000, as the event log would.
fn ingest(history: &History, envelopes: &[Envelope]) {
    let mut consumer = history.consumer().unwrap();
    for batch in entries(envelopes).chunks(1000) {
        consumer.apply(batch).unwrap();
    }
}

/// Every page of one query, following NextToken; returns the EventIds in order.
fn walk(history: &History, region: &str, mut input: Value, now: DateTime<Utc>) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let page = history.lookup(ACCOUNT, region, &input, now).unwrap();
        let events = page["Events"].as_array().unwrap();
        let max = input["MaxResults"].as_u64().unwrap_or(50) as usize;
        assert!(events.len() <= max);
        ids.extend(
            events
                .iter()
                .map(|event| event["EventId"].as_str().unwrap().to_owned()),
        );
        match page.get("NextToken") {
            Some(token) => {
                assert_eq!(events.len(), max, "only full pages carry a NextToken");
                input["NextToken"] = token.clone();
            }
            None => return ids,
        }
    }
}

/// The model: the unique management records of the corpus, in ingest order.
fn model(envelopes: &[Envelope]) -> Vec<(RecordSummary, usize)> {
    let mut seen = HashSet::new();
    envelopes
        .iter()
        .filter_map(|envelope| summarize(&envelope.record))
        .filter(|summary| seen.insert(summary.event_id.clone()))
        .enumerate()
        .map(|(order, summary)| (summary, order))
        .collect()
}

fn expected(
    model: &[(RecordSummary, usize)],
    region: &str,
    attribute: Option<(AttributeKey, &str)>,
    range: (i64, i64),
) -> Vec<String> {
    let mut matches: Vec<&(RecordSummary, usize)> = model
        .iter()
        .filter(|(summary, _)| {
            summary.category == Category::Management
                && summary.region == region
                && (range.0..=range.1).contains(&summary.event_time)
                && match attribute {
                    None => true,
                    Some((AttributeKey::EventId, value)) => summary.event_id == value,
                    Some((key, value)) => summary.attribute_values().contains(&(key, value)),
                }
        })
        .collect();
    matches.sort_by_key(|(summary, order)| std::cmp::Reverse((summary.event_time, *order)));
    matches
        .into_iter()
        .map(|(summary, _)| summary.event_id.clone())
        .collect()
}

/// One corpus query: the optional attribute and the inclusive time range.
type Case = (Option<(AttributeKey, String)>, (i64, i64));

#[test]
fn lookups_over_the_real_corpus_match_the_model_and_page_exactly_once_newest_first() {
    let fixture = fixture(36500);
    let envelopes = corpus_envelopes();
    ingest(&fixture.history, &envelopes);
    let model = model(&envelopes);
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let region = "us-east-1";
    let times: Vec<i64> = model
        .iter()
        .filter(|(summary, _)| summary.region == region)
        .map(|(summary, _)| summary.event_time)
        .collect();
    let (first, last) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    let middle = (first + (last - first) / 4, last - (last - first) / 4);
    let mut cases: Vec<Case> = vec![(None, (0, i64::MAX)), (None, middle)];
    for key in [
        AttributeKey::EventName,
        AttributeKey::ReadOnly,
        AttributeKey::Username,
        AttributeKey::ResourceType,
        AttributeKey::ResourceName,
        AttributeKey::EventSource,
        AttributeKey::AccessKeyId,
    ] {
        for range in [(0, i64::MAX), middle] {
            let value = model
                .iter()
                .filter(|(summary, _)| summary.region == region)
                .filter(|(summary, _)| (range.0..=range.1).contains(&summary.event_time))
                .find_map(|(summary, _)| {
                    summary
                        .attribute_values()
                        .into_iter()
                        .find(|(found, _)| *found == key)
                })
                .unwrap_or_else(|| panic!("corpus has no {key:?}"))
                .1
                .to_owned();
            cases.push((Some((key, value)), range));
        }
    }
    let some_id = model[model.len() / 2].0.event_id.clone();
    cases.push((
        Some((AttributeKey::EventId, some_id.clone())),
        (0, i64::MAX),
    ));
    cases.push((Some((AttributeKey::ReadOnly, "true".into())), middle));
    cases.push((
        Some((AttributeKey::EventName, "NoSuchCall".into())),
        (0, i64::MAX),
    ));
    for (attribute, range) in cases {
        let mut input = json!({"MaxResults": 7});
        if let Some((key, value)) = &attribute {
            input["LookupAttributes"] =
                json!([{"AttributeKey": key.api_name(), "AttributeValue": value}]);
        }
        if range != (0, i64::MAX) {
            input["StartTime"] = json!(range.0);
            input["EndTime"] = json!(range.1);
        }
        let want = expected(
            &model,
            region,
            attribute
                .as_ref()
                .map(|(key, value)| (*key, value.as_str())),
            range,
        );
        let region_of_id = model.iter().find(|(s, _)| s.event_id == some_id).unwrap();
        let lookup_region = match &attribute {
            Some((AttributeKey::EventId, _)) => region_of_id.0.region.as_str(),
            _ => region,
        };
        let want = if lookup_region == region {
            want
        } else {
            expected(
                &model,
                lookup_region,
                attribute
                    .as_ref()
                    .map(|(key, value)| (*key, value.as_str())),
                range,
            )
        };
        let got = walk(&fixture.history, lookup_region, input.clone(), now);
        assert_eq!(got, want, "{input}");
        if attribute
            .as_ref()
            .is_none_or(|(_, value)| value != "NoSuchCall")
        {
            assert!(!got.is_empty(), "{input} matched nothing");
        }
    }
}

#[test]
fn returned_events_carry_the_summary_and_the_original_record_text() {
    let fixture = fixture(36500);
    let envelopes = corpus_envelopes();
    ingest(&fixture.history, &envelopes[..400]);
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let with_resources = envelopes[..400]
        .iter()
        .find(|envelope| {
            summarize(&envelope.record).is_some_and(|summary| {
                !summary.resources.is_empty() && summary.access_key_id.is_some()
            })
        })
        .expect("a record with resources and an access key");
    let summary = summarize(&with_resources.record).unwrap();
    let input =
        json!({"LookupAttributes":[{"AttributeKey":"EventId","AttributeValue":summary.event_id}]});
    let page = fixture
        .history
        .lookup(ACCOUNT, &summary.region, &input, now)
        .unwrap();
    let event = &page["Events"][0];
    assert_eq!(page["Events"].as_array().unwrap().len(), 1);
    assert!(page.get("NextToken").is_none());
    assert_eq!(
        event["CloudTrailEvent"].as_str().unwrap().as_bytes(),
        &with_resources.record[..]
    );
    assert_eq!(event["EventTime"], json!(summary.event_time as f64));
    assert_eq!(event["EventName"], json!(summary.event_name));
    assert_eq!(event["EventSource"], json!(summary.event_source));
    assert_eq!(event["AccessKeyId"], json!(summary.access_key_id));
    assert_eq!(event["ReadOnly"], json!(summary.read_only));
    let resource = &event["Resources"][0];
    assert_eq!(
        resource["ResourceName"],
        json!(summary.resources[0].resource_name)
    );
    assert!(
        !resource["ResourceName"]
            .as_str()
            .unwrap()
            .starts_with("arn:")
    );
}

fn record(id: &str, time: &str, extra: Value) -> Bytes {
    let mut record = json!({"eventVersion":"1.11","eventID":id,"eventTime":time,"awsRegion":"eu-west-1",
        "eventName":"CreateTrail","eventSource":"cloudtrail.amazonaws.com","readOnly":false,
        "eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management",
        "userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accessKeyId":"AKIAROOT"}});
    for (key, value) in extra.as_object().unwrap() {
        if value.is_null() {
            record.as_object_mut().unwrap().remove(key);
        } else {
            record[key] = value.clone();
        }
    }
    Bytes::from(serde_json::to_vec(&record).unwrap())
}

fn ids_for(history: &History, account: &str, input: Value, now: DateTime<Utc>) -> Vec<String> {
    let page = history.lookup(account, "eu-west-1", &input, now).unwrap();
    page["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["EventId"].as_str().unwrap().to_owned())
        .collect()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap()
}

#[test]
fn replays_and_reingested_files_do_not_duplicate_but_other_accounts_are_separate() {
    let fixture = fixture(90);
    let batch = vec![
        envelope(ACCOUNT, record("a", "2025-05-01T00:00:00Z", json!({}))),
        envelope(ACCOUNT, record("b", "2025-05-02T00:00:00Z", json!({}))),
        envelope(
            "999988887777",
            record("a", "2025-05-01T00:00:00Z", json!({})),
        ),
    ];
    let mut consumer = fixture.history.consumer().unwrap();
    let entries = entries(&batch);
    consumer.apply(&entries).unwrap();
    consumer.apply(&entries).unwrap();
    consumer.apply(&entries[1..2]).unwrap();
    assert_eq!(consumer.counts().indexed, 3);
    assert_eq!(consumer.counts().duplicates, 4);
    let all = json!({});
    assert_eq!(
        ids_for(&fixture.history, ACCOUNT, all.clone(), now()),
        ["b", "a"]
    );
    assert_eq!(
        ids_for(&fixture.history, "999988887777", all.clone(), now()),
        ["a"]
    );
    assert!(ids_for(&fixture.history, "000000000000", all, now()).is_empty());
    let garbage = Entry {
        seq: Seq(9),
        payload: Bytes::from_static(b"\x09garbage"),
    };
    consumer.apply(&[garbage]).unwrap();
    assert_eq!(consumer.counts().undecodable, 1);
}

#[test]
fn data_and_network_events_are_never_in_history_and_insights_only_on_request() {
    let fixture = fixture(90);
    let insight = json!({"eventType":"AwsCloudTrailInsight","eventCategory":"Insight","userIdentity":null,
        "eventName":null,"eventSource":null,"readOnly":null,"managementEvent":null,
        "insightDetails":{"state":"Start","eventName":"RunInstances","eventSource":"ec2.amazonaws.com"}});
    ingest(
        &fixture.history,
        &[
            envelope(ACCOUNT, record("mgmt", "2025-05-01T00:00:00Z", json!({}))),
            envelope(
                ACCOUNT,
                record(
                    "data",
                    "2025-05-01T00:00:01Z",
                    json!({"eventCategory":"Data","managementEvent":false,"eventName":"GetObject"}),
                ),
            ),
            envelope(
                ACCOUNT,
                record(
                    "legacy-data",
                    "2025-05-01T00:00:02Z",
                    json!({"eventCategory":null,"managementEvent":false}),
                ),
            ),
            envelope(
                ACCOUNT,
                record(
                    "vpce",
                    "2025-05-01T00:00:03Z",
                    json!({"eventCategory":"NetworkActivity","eventType":"AwsVpceEvent"}),
                ),
            ),
            envelope(ACCOUNT, record("insight", "2025-05-01T00:00:04Z", insight)),
        ],
    );
    let history = &fixture.history;
    assert_eq!(ids_for(history, ACCOUNT, json!({}), now()), ["mgmt"]);
    let by_id =
        |id: &str| json!({"LookupAttributes":[{"AttributeKey":"EventId","AttributeValue":id}]});
    assert!(ids_for(history, ACCOUNT, by_id("data"), now()).is_empty());
    assert!(ids_for(history, ACCOUNT, by_id("insight"), now()).is_empty());
    let insights = json!({"EventCategory":"insight"});
    assert_eq!(ids_for(history, ACCOUNT, insights, now()), ["insight"]);
    let by_name = json!({"EventCategory":"insight",
        "LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"RunInstances"}]});
    assert_eq!(ids_for(history, ACCOUNT, by_name, now()), ["insight"]);
    let page = history
        .lookup(
            ACCOUNT,
            "eu-west-1",
            &json!({"EventCategory":"insight"}),
            now(),
        )
        .unwrap();
    assert_eq!(page["Events"][0]["EventSource"], "ec2.amazonaws.com");
    let root = json!({"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"root"}]});
    assert_eq!(ids_for(history, ACCOUNT, root, now()), ["mgmt"]);
}

#[test]
fn time_ranges_are_inclusive_and_ties_break_deterministically() {
    let fixture = fixture(90);
    let same_second: Vec<Envelope> = (0..5)
        .map(|n| {
            envelope(
                ACCOUNT,
                record(&format!("t{n}"), "2025-05-01T00:00:00Z", json!({})),
            )
        })
        .chain([
            envelope(ACCOUNT, record("before", "2025-04-30T23:59:59Z", json!({}))),
            envelope(ACCOUNT, record("after", "2025-05-01T00:00:01Z", json!({}))),
        ])
        .collect();
    ingest(&fixture.history, &same_second);
    let second = Utc
        .with_ymd_and_hms(2025, 5, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let exact = json!({"StartTime": second, "EndTime": second, "MaxResults": 2});
    let walked = walk(&fixture.history, "eu-west-1", exact, now());
    assert_eq!(walked, ["t4", "t3", "t2", "t1", "t0"]);
    let fractional = json!({"StartTime": second as f64 - 0.5, "EndTime": second as f64 + 0.5});
    assert_eq!(
        ids_for(&fixture.history, ACCOUNT, fractional, now()).len(),
        5
    );
    let from = json!({"StartTime": second});
    assert_eq!(ids_for(&fixture.history, ACCOUNT, from, now()).len(), 6);
}

#[test]
fn tokens_replayed_with_other_parameters_are_refused_and_errors_surface() {
    let fixture = fixture(90);
    let events: Vec<Envelope> = (0..3)
        .map(|n| {
            envelope(
                ACCOUNT,
                record(&format!("e{n}"), "2025-05-01T00:00:00Z", json!({})),
            )
        })
        .collect();
    ingest(&fixture.history, &events);
    let history = &fixture.history;
    let first = history
        .lookup(ACCOUNT, "eu-west-1", &json!({"MaxResults": 2}), now())
        .unwrap();
    let token = first["NextToken"].clone();
    let other = json!({"MaxResults": 2, "NextToken": token,
        "LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateTrail"}]});
    let error = history
        .lookup(ACCOUNT, "eu-west-1", &other, now())
        .unwrap_err();
    assert_eq!(error.code, "InvalidNextTokenException");
    let elsewhere = history
        .lookup(ACCOUNT, "us-east-1", &json!({"NextToken": token}), now())
        .unwrap_err();
    assert_eq!(elsewhere.code, "InvalidNextTokenException");
    let last = history
        .lookup(
            ACCOUNT,
            "eu-west-1",
            &json!({"MaxResults": 2, "NextToken": token}),
            now(),
        )
        .unwrap();
    assert_eq!(last["Events"].as_array().unwrap().len(), 1);
    assert!(last.get("NextToken").is_none());
    let errors = [
        (json!({"MaxResults": 0}), "InvalidMaxResultsException"),
        (
            json!({"StartTime": 5, "EndTime": 4}),
            "InvalidTimeRangeException",
        ),
        (
            json!({"EventCategory": "data"}),
            "InvalidEventCategoryException",
        ),
        (
            json!({"LookupAttributes":[{"AttributeKey":"Region","AttributeValue":"x"}]}),
            "InvalidLookupAttributesException",
        ),
    ];
    for (input, code) in errors {
        let error = history
            .lookup(ACCOUNT, "eu-west-1", &input, now())
            .unwrap_err();
        assert_eq!(error.code, code, "{input}");
        assert!(!error.message.is_empty());
    }
}

#[test]
fn retention_hides_and_removes_old_events_and_history_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let history = History::open(&path, HistoryConfig::default()).unwrap();
    let resources =
        json!({"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::old-bucket"}]});
    let mut events: Vec<Envelope> = (0..1200)
        .map(|n| {
            envelope(
                ACCOUNT,
                record(
                    &format!("old{n}"),
                    "2025-02-01T00:00:00Z",
                    resources.clone(),
                ),
            )
        })
        .collect();
    events.push(envelope(
        ACCOUNT,
        record("new", "2025-05-20T00:00:00Z", resources.clone()),
    ));
    ingest(&history, &events);
    let by_bucket =
        json!({"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"old-bucket"}]});
    assert_eq!(
        ids_for(&history, ACCOUNT, by_bucket.clone(), now()),
        ["new"]
    );
    let old_time = Utc
        .with_ymd_and_hms(2025, 2, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let explicit_old = json!({"StartTime": old_time, "EndTime": old_time});
    assert!(ids_for(&history, ACCOUNT, explicit_old, now()).is_empty());
    let earlier = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
    assert_eq!(
        ids_for(&history, ACCOUNT, by_bucket.clone(), earlier).len(),
        50
    );

    assert_eq!(history.remove_expired(now()).unwrap(), 1200);
    assert_eq!(history.remove_expired(now()).unwrap(), 0);
    drop(history);

    let reopened = History::open(&path, HistoryConfig::default()).unwrap();
    assert_eq!(
        ids_for(&reopened, ACCOUNT, by_bucket.clone(), earlier),
        Vec::<String>::new()
    );
    assert_eq!(ids_for(&reopened, ACCOUNT, by_bucket, now()), ["new"]);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let lookup_rows: i64 = connection
        .query_row("SELECT count(*) FROM lookup", [], |row| row.get(0))
        .unwrap();
    // EventName, EventSource, ReadOnly, Username, AccessKeyId, ResourceType, two ResourceNames.
    assert_eq!(lookup_rows, 8);
    let mut consumer = reopened.consumer().unwrap();
    consumer.apply(&entries(&events[1200..])).unwrap();
    assert_eq!(consumer.counts().duplicates, 1);
}
