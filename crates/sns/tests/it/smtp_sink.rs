//! A tiny SMTP server on `127.0.0.1:0` for the e-mail tests: it speaks just enough SMTP (220,
//! EHLO/HELO, MAIL FROM, RCPT TO, DATA up to the lone ".", RSET/NOOP, QUIT; STARTTLS is
//! advertised but refused with 454) to take what lettre sends, records what happened on every
//! connection, and plays scripted faults (hang up at once, refuse the greeting, refuse MAIL
//! FROM, refuse the data) on the next connections. It is no mail server: no pipelining, no
//! size limits, one recipient list per connection.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the sink does to one connection instead of taking the e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Closes the connection before saying anything (a server that is down).
    HangUp,
    /// Answers the connection with this reply and closes it (e.g. `421 ...`).
    Greeting(&'static str),
    /// Answers `MAIL FROM` with this reply (e.g. `451 ...`).
    MailFrom(&'static str),
    /// Answers the end of `DATA` with this reply (e.g. `554 ...`).
    Data(&'static str),
}

/// One e-mail the sink accepted.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The `MAIL FROM` address.
    pub envelope_from: String,
    /// The `RCPT TO` addresses.
    pub envelope_to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, CRLF line ends.
    pub data: String,
}

impl ReceivedMail {
    /// The value of a header (unfolded), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.data.split_once("\r\n\r\n")?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The body as text: quoted-printable decoded when so encoded, LF line ends.
    pub fn body(&self) -> String {
        let (_, body) = self
            .data
            .split_once("\r\n\r\n")
            .expect("header/body separator");
        let decoded = match self.header("Content-Transfer-Encoding").as_deref() {
            Some("quoted-printable") => decode_quoted_printable(body),
            _ => body.to_owned(),
        };
        decoded.replace("\r\n", "\n")
    }
}

/// What happened on one connection.
#[derive(Debug, Clone)]
pub enum SinkEvent {
    /// A scripted fault was played.
    Faulted(Fault),
    /// An e-mail was accepted.
    Accepted(ReceivedMail),
    /// The client left without sending an e-mail.
    LeftWithoutMail {
        /// Whether it asked for STARTTLS (which the sink refuses).
        asked_starttls: bool,
    },
}

/// The running sink.
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    events: mpsc::UnboundedReceiver<SinkEvent>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
}

impl SmtpSink {
    /// Starts listening on `127.0.0.1:0`.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (sender, events) = mpsc::unbounded_channel();
        let faults = Arc::new(Mutex::new(VecDeque::new()));
        tokio::spawn(accept_loop(listener, sender, faults.clone()));
        SmtpSink {
            addr,
            events,
            faults,
        }
    }

    /// The next connections meet these faults, one each, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.faults.lock().unwrap().extend(faults);
    }

    /// The next event, waiting up to ten seconds.
    pub async fn next_event(&mut self) -> SinkEvent {
        tokio::time::timeout(Duration::from_secs(10), self.events.recv())
            .await
            .expect("an smtp connection within 10 s")
            .expect("sink running")
    }

    /// The next accepted e-mail (panics on a fault event).
    pub async fn next_mail(&mut self) -> ReceivedMail {
        match self.next_event().await {
            SinkEvent::Accepted(mail) => mail,
            other => panic!("expected an e-mail, got {other:?}"),
        }
    }

    /// Whether anything happened (without waiting).
    pub fn try_next(&mut self) -> Option<SinkEvent> {
        self.events.try_recv().ok()
    }
}

async fn accept_loop(
    listener: TcpListener,
    sender: mpsc::UnboundedSender<SinkEvent>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let fault = faults.lock().unwrap().pop_front();
        let sender = sender.clone();
        tokio::spawn(async move {
            if let Some(event) = serve(stream, fault).await {
                let _ = sender.send(event);
            }
        });
    }
}

/// One connection; `None` only when the sink could not write to the client.
async fn serve(stream: TcpStream, fault: Option<Fault>) -> Option<SinkEvent> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    match fault {
        Some(Fault::HangUp) => return Some(SinkEvent::Faulted(Fault::HangUp)),
        Some(Fault::Greeting(reply)) => {
            let _ = write.write_all(format!("{reply}\r\n").as_bytes()).await;
            return Some(SinkEvent::Faulted(Fault::Greeting(reply)));
        }
        _ => {}
    }
    reply(&mut write, "220 sink.test ESMTP").await?;
    let mut mail = ReceivedMail {
        envelope_from: String::new(),
        envelope_to: Vec::new(),
        data: String::new(),
    };
    let mut outcome = None;
    let mut asked_starttls = false;
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => reply(&mut write, "250-sink.test\r\n250 STARTTLS").await?,
            "STAR" => {
                asked_starttls = true;
                reply(&mut write, "454 4.7.0 TLS not available").await?;
            }
            "MAIL" => {
                if let Some(Fault::MailFrom(answer)) = fault {
                    reply(&mut write, answer).await?;
                    outcome = Some(SinkEvent::Faulted(Fault::MailFrom(answer)));
                    continue;
                }
                mail.envelope_from = angle_address(&line);
                reply(&mut write, "250 sender ok").await?;
            }
            "RCPT" => {
                mail.envelope_to.push(angle_address(&line));
                reply(&mut write, "250 recipient ok").await?;
            }
            "DATA" => {
                reply(&mut write, "354 end with <CRLF>.<CRLF>").await?;
                mail.data = read_data(&mut lines).await?;
                if let Some(Fault::Data(answer)) = fault {
                    reply(&mut write, answer).await?;
                    outcome = Some(SinkEvent::Faulted(Fault::Data(answer)));
                } else {
                    reply(&mut write, "250 queued").await?;
                    outcome = Some(SinkEvent::Accepted(mail.clone()));
                }
            }
            "QUIT" => {
                reply(&mut write, "221 bye").await?;
                break;
            }
            _ => reply(&mut write, "250 ok").await?,
        }
    }
    Some(outcome.unwrap_or(SinkEvent::LeftWithoutMail { asked_starttls }))
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, line: &str) -> Option<()> {
    write.write_all(format!("{line}\r\n").as_bytes()).await.ok()
}

/// The lines after `DATA` up to the lone ".", dot-unstuffed, joined with CRLF.
async fn read_data(
    lines: &mut tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
) -> Option<String> {
    let mut data = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if line == "." {
            return Some(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
        data.push_str("\r\n");
    }
    None
}

/// `MAIL FROM:<a@b> ...` -> `a@b`.
fn angle_address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_owned()
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let mut bytes = Vec::new();
    let mut rest = joined.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        let escaped = (first == b'=' && tail.len() >= 2)
            .then(|| std::str::from_utf8(&tail[..2]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                bytes.push(byte);
                rest = &tail[2..];
            }
            None => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).expect("utf-8 body")
}
