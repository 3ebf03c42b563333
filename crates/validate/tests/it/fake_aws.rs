//! A tiny AWS stand-in for the differential tests: the five calls `validate-logs` makes (reference
//! §6.7) on one loopback port — CloudTrail JSON 1.1 (DescribeTrails, ListPublicKeys) and S3 path-style
//! (GetBucketLocation, ListObjects v1 with `encoding-type=url`, GetObject with `x-amz-meta-*` taken
//! from `.metadata.json` sidecars) — served from a fixture directory on every request, so tests can
//! change files between runs. HTTP/1.1 keep-alive, a thread per connection. No signature checks.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// What the server answers.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The bucket name served from `root`.
    pub bucket: String,
    /// The bucket directory.
    pub root: PathBuf,
    /// DescribeTrails' `trailList`.
    pub trails: Value,
    /// ListPublicKeys' `PublicKeyList`.
    pub public_keys: Value,
    /// Keys per ListObjects page.
    pub page_size: usize,
    /// Object key → (status, error code) to answer GetObject with.
    pub failures: HashMap<String, (u16, String)>,
}

/// A running server.
pub struct FakeAws {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    config: Arc<Mutex<FakeConfig>>,
    /// Request lines seen, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl FakeAws {
    /// Starts serving `config`.
    pub fn start(config: FakeConfig) -> FakeAws {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let config = Arc::new(Mutex::new(config));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (shared_config, shared_requests) = (Arc::clone(&config), Arc::clone(&requests));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, requests) = (Arc::clone(&shared_config), Arc::clone(&shared_requests));
                std::thread::spawn(move || serve_connection(stream, &config, &requests));
            }
        });
        FakeAws {
            url,
            config,
            requests,
        }
    }

    /// Changes the configuration for later requests.
    pub fn update(&self, change: impl FnOnce(&mut FakeConfig)) {
        change(&mut self.config.lock().expect("config"));
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn serve_connection(stream: TcpStream, config: &Mutex<FakeConfig>, requests: &Mutex<Vec<String>>) {
    // Without it, each response waits on the client's delayed ACK (~40 ms), which would penalise a
    // sequential client such as the aws CLI far more than a parallel one.
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader) {
        requests.lock().expect("requests").push(format!(
            "{} {}?{}",
            request.method, request.path, request.query
        ));
        let snapshot = config.lock().expect("config").clone();
        let (status, headers, body) = answer(&request, &snapshot);
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nx-amzn-RequestId: fake\r\n",
            reason(status),
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut response = head.into_bytes();
        response.extend_from_slice(&body);
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request {
        method,
        path: percent_decode(path),
        query: query.to_owned(),
        headers,
        body,
    })
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn answer(request: &Request, config: &FakeConfig) -> Answer {
    if request.method == "POST" {
        return cloudtrail(request, config);
    }
    let path = request.path.trim_start_matches('/');
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    if bucket != config.bucket {
        return s3_error(404, "NoSuchBucket", "The specified bucket does not exist");
    }
    let query = parse_query(&request.query);
    if key.is_empty() && query.contains_key("location") {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
        return (200, vec![], body.as_bytes().to_vec());
    }
    if key.is_empty() {
        return list_objects(&query, config);
    }
    get_object(key, config)
}

fn cloudtrail(request: &Request, config: &FakeConfig) -> Answer {
    let target = request
        .headers
        .get("x-amz-target")
        .cloned()
        .unwrap_or_default();
    let body = match target.rsplit('.').next().unwrap_or_default() {
        "DescribeTrails" => json!({"trailList": config.trails}),
        "ListPublicKeys" => json!({"PublicKeyList": config.public_keys}),
        "DescribeOrganization" => {
            json!({"Organization": {"Id": "o-abc1234567", "MasterAccountId": "123456789012"}})
        }
        other => {
            let error = json!({"__type": "UnknownOperationException", "message": other});
            return (400, vec![], error.to_string().into_bytes());
        }
    };
    let headers = vec![(
        "Content-Type".to_owned(),
        "application/x-amz-json-1.1".to_owned(),
    )];
    (200, headers, body.to_string().into_bytes())
}

fn list_objects(query: &HashMap<String, String>, config: &FakeConfig) -> Answer {
    let prefix = query.get("prefix").cloned().unwrap_or_default();
    let marker = query.get("marker").cloned().unwrap_or_default();
    let mut keys = Vec::new();
    collect(&config.root, "", &mut keys);
    keys.retain(|key| key.starts_with(&prefix) && *key > marker);
    keys.sort();
    let truncated = keys.len() > config.page_size;
    keys.truncate(config.page_size);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    xml.push_str(&format!(
        "<Name>{}</Name><Prefix>{}</Prefix><Marker>{}</Marker><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>{truncated}</IsTruncated>",
        config.bucket,
        url_encode(&prefix),
        url_encode(&marker)
    ));
    if truncated && let Some(last) = keys.last() {
        xml.push_str(&format!("<NextMarker>{}</NextMarker>", url_encode(last)));
    }
    for key in &keys {
        xml.push_str(&format!(
            "<Contents><Key>{}</Key><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>",
            url_encode(key)
        ));
    }
    xml.push_str("</ListBucketResult>");
    (200, vec![], xml.into_bytes())
}

fn get_object(key: &str, config: &FakeConfig) -> Answer {
    if let Some((status, code)) = config.failures.get(key) {
        return s3_error(*status, code, "Injected failure");
    }
    let path = config.root.join(key);
    if key.ends_with(".metadata.json") || !path.is_file() {
        return s3_error(404, "NoSuchKey", "The specified key does not exist.");
    }
    let body = fs::read(&path).expect("object");
    let mut headers = vec![(
        "Content-Type".to_owned(),
        "application/octet-stream".to_owned(),
    )];
    if let Ok(sidecar) = fs::read(format!("{}.metadata.json", path.display())) {
        let metadata: Value = serde_json::from_slice(&sidecar).expect("sidecar json");
        for (name, value) in metadata.as_object().expect("sidecar object") {
            headers.push((
                format!("x-amz-meta-{name}"),
                value.as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    (200, headers, body)
}

fn s3_error(status: u16, code: &str, message: &str) -> Answer {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fake</RequestId></Error>"
    );
    (
        status,
        vec![("Content-Type".to_owned(), "application/xml".to_owned())],
        body.into_bytes(),
    )
}

fn collect(folder: &Path, prefix: &str, keys: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if entry.path().is_dir() {
            collect(&entry.path(), &key, keys);
        } else if !name.ends_with(".metadata.json") {
            keys.push(key);
        }
    }
}

fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(name),
                percent_decode(&value.replace('+', " ")),
            )
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(byte) = text
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// S3's `encoding-type=url` encoding (spaces as `+`).
fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}
