//! Raw HTTP helpers for the mesos-local conformance tests (ureq, not the driver).
#![allow(dead_code)]

use mesos_sched::local::protojson;
use mesos_sched::local::{LocalCluster, LocalConfig};
use mesos_sched::proto::scheduler::{call, event, Call, Event};
use mesos_sched::proto::v1;
use mesos_sched::recordio::Decoder;
use prost::Message;
use std::collections::VecDeque;
use std::io::Read;
use std::time::{Duration, Instant};

pub const JSON: &str = "application/json";
pub const PROTOBUF: &str = "application/x-protobuf";

pub fn config() -> LocalConfig {
    LocalConfig {
        heartbeat_interval: Duration::from_millis(500),
        status_update_retry: Duration::from_millis(300),
        ..LocalConfig::default()
    }
}

pub fn start(config: LocalConfig) -> LocalCluster {
    LocalCluster::start(config).expect("cluster starts")
}

pub fn agent(read_timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_per_read(read_timeout)
            .build(),
    )
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn headers_of(response: &ureq::http::Response<ureq::Body>) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect()
}

/// POST with optional Content-Type and extra headers; reads the whole answer.
pub fn post(url: &str, content_type: Option<&str>, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut request = agent(Some(Duration::from_secs(10))).post(url);
    if let Some(ct) = content_type {
        request = request.header("Content-Type", ct);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let mut response = request.send(body).expect("request answered");
    let status = response.status().as_u16();
    let headers = headers_of(&response);
    let body = response
        .body_mut()
        .with_config()
        .limit(100 << 20)
        .read_to_vec()
        .unwrap_or_default();
    Reply {
        status,
        headers,
        body,
    }
}

pub fn get(url: &str) -> Reply {
    let mut response = agent(Some(Duration::from_secs(10)))
        .get(url)
        .call()
        .expect("request answered");
    let status = response.status().as_u16();
    let headers = headers_of(&response);
    let body = response.body_mut().read_to_vec().unwrap_or_default();
    Reply {
        status,
        headers,
        body,
    }
}

pub fn scheduler_url(base: &str) -> String {
    format!("{base}/api/v1/scheduler")
}

pub fn framework_info(name: &str) -> v1::FrameworkInfo {
    v1::FrameworkInfo {
        user: "tester".into(),
        name: name.into(),
        ..Default::default()
    }
}

pub fn with_capabilities(
    mut info: v1::FrameworkInfo,
    caps: &[v1::framework_info::capability::Type],
) -> v1::FrameworkInfo {
    for cap in caps {
        info.capabilities.push(v1::framework_info::Capability {
            r#type: Some(*cap as i32),
        });
    }
    info
}

pub fn subscribe_call(info: v1::FrameworkInfo) -> Call {
    Call {
        framework_id: info.id.clone(),
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(call::Subscribe {
            framework_info: info,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Encodes a call in the given content type (JSON through the project's mapping).
pub fn encode_call(call: &Call, content_type: &str) -> Vec<u8> {
    let bytes = call.encode_to_vec();
    if content_type == JSON {
        let json = protojson::protobuf_to_json(protojson::CALL, &bytes).unwrap();
        serde_json::to_vec(&json).unwrap()
    } else {
        bytes
    }
}

/// A SUBSCRIBE stream read as a raw client would.
pub struct Stream {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub stream_id: String,
    pub framework_id: String,
    pub content_type: String,
    pub base: String,
    chunks: std::sync::mpsc::Receiver<Result<Vec<u8>, String>>,
    decoder: Decoder,
    queue: VecDeque<Event>,
    pub raw_records: Vec<Vec<u8>>,
    pub ended: bool,
    pub error: Option<String>,
}

impl Stream {
    /// Subscribes with `content_type` for the call and `accept` for the events.
    pub fn open(base: &str, call: &Call, content_type: &str, accept: Option<&str>) -> Stream {
        Self::open_with(base, call, content_type, accept, &[])
    }

    pub fn open_with(
        base: &str,
        call: &Call,
        content_type: &str,
        accept: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Stream {
        let mut request = agent(Some(Duration::from_secs(5)))
            .post(scheduler_url(base))
            .header("Content-Type", content_type);
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let response = request
            .send(&encode_call(call, content_type)[..])
            .expect("subscribe answered");
        let status = response.status().as_u16();
        let headers = headers_of(&response);
        let find = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let stream_id = find("Mesos-Stream-Id");
        let content_type = find("Content-Type");
        let mut reader = response.into_body().into_reader();
        // A reader thread: next() can then wait with its own timeout.
        let (tx, chunks) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => {
                        let _ = tx.send(Ok(Vec::new()));
                        return;
                    }
                    Ok(n) => {
                        if tx.send(Ok(buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return;
                    }
                }
            }
        });
        let mut stream = Stream {
            status,
            headers,
            stream_id,
            framework_id: String::new(),
            content_type,
            base: base.to_string(),
            chunks,
            decoder: Decoder::default(),
            queue: VecDeque::new(),
            raw_records: Vec::new(),
            ended: false,
            error: None,
        };
        if status == 200 {
            if let Some(first) = stream.peek_subscribed() {
                stream.framework_id = first;
            }
        }
        stream
    }

    pub fn subscribe(base: &str, info: v1::FrameworkInfo) -> Stream {
        let stream = Self::open(base, &subscribe_call(info), PROTOBUF, Some(PROTOBUF));
        assert_eq!(stream.status, 200);
        assert!(!stream.framework_id.is_empty(), "SUBSCRIBED received");
        stream
    }

    fn peek_subscribed(&mut self) -> Option<String> {
        let event = self.next(Duration::from_secs(5))?;
        let id = event
            .subscribed
            .as_ref()
            .map(|s| s.framework_id.value.clone());
        self.queue.push_front(event);
        id
    }

    fn fill(&mut self, timeout: Duration) -> bool {
        match self.chunks.recv_timeout(timeout) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => true,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                self.ended = true;
                false
            }
            Ok(Ok(data)) if data.is_empty() => {
                self.ended = true;
                if let Err(e) = self.decoder.finish() {
                    self.error = Some(e.to_string());
                }
                false
            }
            Ok(Ok(data)) => {
                let mut records = Vec::new();
                if let Err(e) = self.decoder.feed(&data, &mut records) {
                    self.error = Some(e.to_string());
                    self.ended = true;
                    return false;
                }
                for record in records {
                    self.raw_records.push(record.to_vec());
                    let event = if self.content_type == JSON {
                        let value: serde_json::Value =
                            serde_json::from_slice(&record).expect("JSON event");
                        let bytes = protojson::json_to_protobuf(protojson::EVENT, &value)
                            .expect("event JSON maps");
                        Event::decode(bytes.as_slice()).expect("event decodes")
                    } else {
                        Event::decode(record.as_ref()).expect("event decodes")
                    };
                    self.queue.push_back(event);
                }
                true
            }
            Ok(Err(e)) => {
                self.error = Some(e);
                self.ended = true;
                false
            }
        }
    }

    /// The next event (any type), or None at EOF/error/timeout.
    pub fn next(&mut self, timeout: Duration) -> Option<Event> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            let now = Instant::now();
            if self.ended || now >= deadline {
                return None;
            }
            self.fill(deadline - now);
        }
    }

    /// The next event of `kind`, skipping others.
    pub fn expect(&mut self, kind: event::Type, timeout: Duration) -> Event {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Some(event) if event.r#type == Some(kind as i32) => return event,
                Some(_) => continue,
                None => panic!(
                    "no {kind:?} event within {timeout:?} (ended={}, error={:?})",
                    self.ended, self.error
                ),
            }
        }
    }

    /// Reads until the stream ends; returns the events seen.
    pub fn drain_to_end(&mut self, timeout: Duration) -> Vec<Event> {
        let deadline = Instant::now() + timeout;
        let mut events = Vec::new();
        while Instant::now() < deadline {
            match self.next(deadline.saturating_duration_since(Instant::now())) {
                Some(e) => events.push(e),
                None => break,
            }
        }
        events
    }

    /// The next UPDATE for `task_id`, skipping other events.
    pub fn expect_update(&mut self, task_id: &str, timeout: Duration) -> v1::TaskStatus {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self.expect(event::Type::Update, left);
            let status = event.update.unwrap().status;
            if status.task_id.value == task_id {
                return status;
            }
        }
    }

    pub fn call(&self, call: &Call, content_type: &str) -> Reply {
        post(
            &scheduler_url(&self.base),
            Some(content_type),
            &[("Mesos-Stream-Id", self.stream_id.as_str())],
            &encode_call(call, content_type),
        )
    }

    pub fn fid(&self) -> Option<v1::FrameworkId> {
        Some(v1::FrameworkId {
            value: self.framework_id.clone(),
        })
    }

    pub fn send(&self, kind: call::Type, fill: impl FnOnce(&mut Call)) -> Reply {
        let mut c = Call {
            framework_id: self.fid(),
            r#type: Some(kind as i32),
            ..Default::default()
        };
        fill(&mut c);
        self.call(&c, PROTOBUF)
    }

    pub fn acknowledge(&self, status: &v1::TaskStatus) -> Reply {
        self.send(call::Type::Acknowledge, |c| {
            c.acknowledge = Some(call::Acknowledge {
                agent_id: status.agent_id.clone().unwrap(),
                task_id: status.task_id.clone(),
                uuid: status.uuid.clone().unwrap(),
            })
        })
    }

    /// Waits for an update of `task_id` and acknowledges it when it has a uuid.
    pub fn update_acked(&mut self, task_id: &str, timeout: Duration) -> v1::TaskStatus {
        let status = self.expect_update(task_id, timeout);
        if status.uuid.is_some() {
            assert_eq!(self.acknowledge(&status).status, 202);
        }
        status
    }

    pub fn offers(&mut self, timeout: Duration) -> Vec<v1::Offer> {
        self.expect(event::Type::Offers, timeout)
            .offers
            .unwrap()
            .offers
    }
}

pub fn command_task(id: &str, offer: &v1::Offer, command: &str, cpus: f64) -> v1::TaskInfo {
    v1::TaskInfo {
        name: id.into(),
        task_id: v1::TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", cpus), scalar("mem", 32.0)],
        command: Some(v1::CommandInfo {
            value: Some(command.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn scalar(name: &str, value: f64) -> v1::Resource {
    v1::Resource {
        name: name.into(),
        r#type: v1::value::Type::Scalar as i32,
        scalar: Some(v1::value::Scalar { value }),
        ..Default::default()
    }
}

pub fn launch(stream: &Stream, offers: &[&v1::Offer], tasks: Vec<v1::TaskInfo>) -> Reply {
    stream.send(call::Type::Accept, |c| {
        c.accept = Some(call::Accept {
            offer_ids: offers.iter().map(|o| o.id.clone()).collect(),
            operations: vec![v1::offer::Operation {
                r#type: Some(v1::offer::operation::Type::Launch as i32),
                launch: Some(v1::offer::operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            filters: Some(v1::Filters {
                refuse_seconds: Some(0.0),
            }),
        })
    })
}

pub fn state_of(status: &v1::TaskStatus) -> v1::TaskState {
    v1::TaskState::try_from(status.state).unwrap()
}

pub const SECS5: Duration = Duration::from_secs(5);
