//! A scriptable fake master speaking just enough HTTP/1.1 for the driver: byte-level
//! control over the event stream (raw chunks, EOF, RST, stalls) and over the answers to
//! SUBSCRIBE (status codes, redirects). Test code only; the faithful master is
//! `mesos_sched::local::LocalCluster`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mesos_sched::proto::{scheduler, v1};
use parking_lot::{Condvar, Mutex};
use prost::Message;

/// A scripted answer to the next SUBSCRIBE.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn status(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }
    /// No answer at all: the request hangs until the client closes the connection
    /// (a master that died in the middle of a request).
    pub fn hang() -> Answer {
        Answer::status(0, "")
    }
    pub fn redirect(location: &str) -> Answer {
        Answer {
            status: 307,
            headers: vec![("Location".into(), location.into())],
            body: String::new(),
        }
    }
}

/// A call the master received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub stream_id: Option<String>,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
    pub call: scheduler::Call,
}

struct Stream {
    socket: TcpStream,
    id: String,
    open: bool,
    closed_at: Option<Instant>,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    subscribe_answers: VecDeque<Answer>,
    call_answers: VecDeque<Answer>,
    streams: Vec<Stream>,
    stalled: bool,
    next_stream: u64,
    /// How long every call (not SUBSCRIBE) waits before its answer.
    call_delay: Duration,
    calls_in_flight: usize,
    max_calls_in_flight: usize,
}

pub struct FakeMaster {
    pub url: String,
    pub port: u16,
    inner: Arc<(Mutex<State>, Condvar)>,
    heartbeat_interval: f64,
}

impl FakeMaster {
    /// Starts on a free loopback port; heartbeats every `heartbeat_interval` seconds.
    pub fn start(heartbeat_interval: f64) -> FakeMaster {
        FakeMaster::start_on(0, heartbeat_interval)
    }

    /// Starts on a given loopback port (0 = any free one).
    pub fn start_on(port: u16, heartbeat_interval: f64) -> FakeMaster {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let inner: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let accept_inner = inner.clone();
        std::thread::spawn(move || {
            for socket in listener.incoming() {
                let Ok(socket) = socket else { break };
                let inner = accept_inner.clone();
                std::thread::spawn(move || serve(inner, socket, heartbeat_interval));
            }
        });
        let beat_inner = inner.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_secs_f64(heartbeat_interval));
            if Arc::strong_count(&beat_inner) == 1 {
                break;
            }
            if !beat_inner.0.lock().stalled {
                write_event_to_all(&beat_inner, &heartbeat());
            }
        });
        FakeMaster {
            url: format!("http://127.0.0.1:{port}"),
            port,
            inner,
            heartbeat_interval,
        }
    }

    pub fn master_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn script_subscribe(&self, answers: impl IntoIterator<Item = Answer>) {
        self.inner.0.lock().subscribe_answers.extend(answers);
    }

    pub fn script_calls(&self, answers: impl IntoIterator<Item = Answer>) {
        self.inner.0.lock().call_answers.extend(answers);
    }

    /// Every later call (not SUBSCRIBE) is answered only after `delay` (a slow master).
    pub fn set_call_delay(&self, delay: Duration) {
        self.inner.0.lock().call_delay = delay;
    }

    /// The most calls the master was answering at the same time.
    pub fn max_calls_in_flight(&self) -> usize {
        self.inner.0.lock().max_calls_in_flight
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.0.lock().received.clone()
    }

    pub fn received_count(&self) -> usize {
        self.inner.0.lock().received.len()
    }

    pub fn received_of_type(&self, kind: scheduler::call::Type) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.call.r#type == Some(kind as i32))
            .collect()
    }

    /// Waits for a received call matching `predicate`.
    pub fn wait_received(
        &self,
        timeout: Duration,
        predicate: impl Fn(&Received) -> bool,
    ) -> Option<Received> {
        let deadline = Instant::now() + timeout;
        let (lock, changed) = &*self.inner;
        let mut state = lock.lock();
        loop {
            if let Some(found) = state.received.iter().find(|r| predicate(r)) {
                return Some(found.clone());
            }
            if changed.wait_until(&mut state, deadline).timed_out() {
                return None;
            }
        }
    }

    pub fn open_streams(&self) -> usize {
        self.inner
            .0
            .lock()
            .streams
            .iter()
            .filter(|s| s.open)
            .count()
    }

    /// When the last stream was seen closed by the client.
    pub fn last_stream_closed_at(&self) -> Option<Instant> {
        self.inner
            .0
            .lock()
            .streams
            .iter()
            .filter_map(|s| s.closed_at)
            .max()
    }

    pub fn wait_open_streams(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (lock, changed) = &*self.inner;
        let mut state = lock.lock();
        loop {
            if state.streams.iter().filter(|s| s.open).count() == count {
                return true;
            }
            if changed.wait_until(&mut state, deadline).timed_out() {
                return false;
            }
        }
    }

    pub fn push_event(&self, event: &scheduler::Event) {
        write_event_to_all(&self.inner, event);
    }

    /// Writes `bytes` as one HTTP chunk (arbitrary stream content).
    pub fn push_raw(&self, bytes: &[u8]) {
        write_chunk_to_all(&self.inner, bytes);
    }

    pub fn stall(&self, stalled: bool) {
        self.inner.0.lock().stalled = stalled;
    }

    /// Ends every stream cleanly (terminating chunk), then closes.
    pub fn close_streams(&self) {
        write_raw_to_all(&self.inner, b"0\r\n\r\n", true, false);
    }

    /// Resets every stream (RST).
    pub fn reset_streams(&self) {
        write_raw_to_all(&self.inner, b"", true, true);
    }

    pub fn heartbeat_interval(&self) -> f64 {
        self.heartbeat_interval
    }
}

fn heartbeat() -> scheduler::Event {
    scheduler::Event {
        r#type: Some(scheduler::event::Type::Heartbeat as i32),
        ..Default::default()
    }
}

pub fn subscribed(framework_id: &str, heartbeat_interval: f64) -> scheduler::Event {
    scheduler::Event {
        r#type: Some(scheduler::event::Type::Subscribed as i32),
        subscribed: Some(scheduler::event::Subscribed {
            framework_id: v1::FrameworkId {
                value: framework_id.to_string(),
            },
            heartbeat_interval_seconds: Some(heartbeat_interval),
            master_info: Some(v1::MasterInfo {
                id: "fake".into(),
                ip: 16777343,
                port: 5050,
                ..Default::default()
            }),
        }),
        ..Default::default()
    }
}

pub fn record(event: &scheduler::Event) -> Vec<u8> {
    let payload = event.encode_to_vec();
    let mut out = format!("{}\n", payload.len()).into_bytes();
    out.extend_from_slice(&payload);
    out
}

fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

fn write_event_to_all(inner: &Arc<(Mutex<State>, Condvar)>, event: &scheduler::Event) {
    write_chunk_to_all(inner, &record(event));
}

fn write_chunk_to_all(inner: &Arc<(Mutex<State>, Condvar)>, bytes: &[u8]) {
    write_raw_to_all(inner, &chunk(bytes), false, false);
}

fn write_raw_to_all(inner: &Arc<(Mutex<State>, Condvar)>, bytes: &[u8], close: bool, reset: bool) {
    let mut state = inner.0.lock();
    for stream in state.streams.iter_mut().filter(|s| s.open) {
        if !bytes.is_empty() {
            let _ = stream.socket.write_all(bytes);
        }
        if close {
            if reset {
                set_linger_zero(&stream.socket);
            }
            let _ = stream.socket.shutdown(Shutdown::Both);
            stream.open = false;
        }
    }
    inner.1.notify_all();
}

fn set_linger_zero(socket: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt with a valid fd and a correctly sized linger struct.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

struct Request {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        path,
        headers,
        body,
    })
}

fn respond(socket: &mut TcpStream, answer: &Answer) {
    let mut text = format!(
        "HTTP/1.1 {} Fake\r\nContent-Length: {}\r\n",
        answer.status,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(&answer.body);
    let _ = socket.write_all(text.as_bytes());
}

fn serve(inner: Arc<(Mutex<State>, Condvar)>, socket: TcpStream, heartbeat_interval: f64) {
    let mut writer = socket.try_clone().unwrap();
    let mut reader = BufReader::new(socket);
    while let Some(request) = read_request(&mut reader) {
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let call = scheduler::Call::decode(request.body.as_slice()).unwrap_or_default();
        let is_subscribe = call.r#type == Some(scheduler::call::Type::Subscribe as i32);
        {
            let mut state = inner.0.lock();
            state.received.push(Received {
                path: request.path.clone(),
                stream_id: header("mesos-stream-id"),
                authorization: header("authorization"),
                body: request.body.clone(),
                call: call.clone(),
            });
            inner.1.notify_all();
        }
        if !is_subscribe {
            let (answer, delay) = {
                let mut state = inner.0.lock();
                state.calls_in_flight += 1;
                state.max_calls_in_flight = state.max_calls_in_flight.max(state.calls_in_flight);
                (state.call_answers.pop_front(), state.call_delay)
            };
            let answer = answer.unwrap_or_else(|| Answer::status(202, ""));
            if answer.status == 0 {
                let mut sink = [0u8; 64];
                while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
                return;
            }
            std::thread::sleep(delay);
            respond(&mut writer, &answer);
            inner.0.lock().calls_in_flight -= 1;
            continue;
        }
        let answer = inner.0.lock().subscribe_answers.pop_front();
        if let Some(answer) = answer {
            respond(&mut writer, &answer);
            continue;
        }
        // A subscription: SUBSCRIBED then a HEARTBEAT, then the stream stays open.
        let framework_id = call
            .subscribe
            .as_ref()
            .and_then(|s| s.framework_info.id.as_ref())
            .map(|id| id.value.clone())
            .unwrap_or_else(|| "fake-framework".to_string());
        let stream_id = {
            let mut state = inner.0.lock();
            state.next_stream += 1;
            format!("00000000-0000-4000-8000-{:012}", state.next_stream)
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nMesos-Stream-Id: {stream_id}\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        let mut first = head.into_bytes();
        first.extend(chunk(&record(&subscribed(
            &framework_id,
            heartbeat_interval,
        ))));
        first.extend(chunk(&record(&heartbeat())));
        {
            let mut state = inner.0.lock();
            let _ = writer.write_all(&first);
            state.streams.push(Stream {
                socket: writer.try_clone().unwrap(),
                id: stream_id.clone(),
                open: true,
                closed_at: None,
            });
            inner.1.notify_all();
        }
        // The client sends nothing more on a stream: a read returning means it closed.
        let mut sink = [0u8; 64];
        let _ = reader.read(&mut sink);
        let mut state = inner.0.lock();
        if let Some(stream) = state.streams.iter_mut().find(|s| s.id == stream_id) {
            stream.open = false;
            stream.closed_at = Some(Instant::now());
        }
        inner.1.notify_all();
        return;
    }
}
