//! Shared helpers of the driver tests: a recording `Scheduler`, message builders, and
//! a small scriptable fake master for transport faults that need byte-level control.
#![allow(dead_code)]

pub mod fake_master;
pub mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use mesos_sched::proto::v1;
use mesos_sched::{Driver, Scheduler};
use parking_lot::{Condvar, Mutex};
use prost::Message;

/// One callback, as recorded.
// A test log of a few dozen entries: the full TaskStatus inline is simpler than boxing it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Registered {
        framework_id: String,
        master_info: Vec<u8>,
    },
    Reregistered,
    Disconnected,
    Offers(Vec<Vec<u8>>),
    Rescinded(String),
    Update(v1::TaskStatus, Vec<u8>),
    Message {
        executor_id: String,
        agent_id: String,
        data: Vec<u8>,
    },
    SlaveLost(String),
    ExecutorLost {
        executor_id: String,
        agent_id: String,
        status: i32,
    },
    Error {
        message: String,
        status_during: mesos_sched::Status,
    },
    InverseOffers(usize),
    InverseRescinded,
    OperationStatus,
    Heartbeat,
}

/// Code run inside a callback (to call driver methods from there).
pub type Hook = Box<dyn FnMut(&Driver, &Seen) + Send>;

#[derive(Default)]
pub struct Log {
    seen: Mutex<Vec<(Seen, std::thread::ThreadId, bool)>>,
    changed: Condvar,
    in_callback: std::sync::atomic::AtomicUsize,
    max_concurrent: std::sync::atomic::AtomicUsize,
}

impl Log {
    pub fn all(&self) -> Vec<Seen> {
        self.seen.lock().iter().map(|(s, _, _)| s.clone()).collect()
    }

    pub fn threads(&self) -> Vec<std::thread::ThreadId> {
        self.seen.lock().iter().map(|(_, t, _)| *t).collect()
    }

    /// Whether `driver.in_callback()` was true in every recorded callback.
    pub fn all_in_callback(&self) -> bool {
        self.seen.lock().iter().all(|(_, _, inside)| *inside)
    }

    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until `predicate` holds over everything seen so far.
    pub fn wait_for(&self, timeout: Duration, predicate: impl Fn(&[Seen]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut seen = self.seen.lock();
        loop {
            let list: Vec<Seen> = seen.iter().map(|(s, _, _)| s.clone()).collect();
            if predicate(&list) {
                return true;
            }
            if self.changed.wait_until(&mut seen, deadline).timed_out() {
                let list: Vec<Seen> = seen.iter().map(|(s, _, _)| s.clone()).collect();
                return predicate(&list);
            }
        }
    }

    pub fn count(&self, predicate: impl Fn(&Seen) -> bool) -> usize {
        self.all().iter().filter(|s| predicate(s)).count()
    }
}

pub struct Recorder {
    pub log: Arc<Log>,
    pub hook: Option<Hook>,
    pub callback_delay: Duration,
}

impl Recorder {
    pub fn new() -> (Recorder, Arc<Log>) {
        let log = Arc::new(Log::default());
        (
            Recorder {
                log: log.clone(),
                hook: None,
                callback_delay: Duration::ZERO,
            },
            log,
        )
    }

    pub fn with_hook(hook: impl FnMut(&Driver, &Seen) + Send + 'static) -> (Recorder, Arc<Log>) {
        let (mut recorder, log) = Recorder::new();
        recorder.hook = Some(Box::new(hook));
        (recorder, log)
    }

    fn record(&mut self, driver: &Driver, seen: Seen) {
        use std::sync::atomic::Ordering;
        let now = self.log.in_callback.fetch_add(1, Ordering::SeqCst) + 1;
        self.log.max_concurrent.fetch_max(now, Ordering::SeqCst);
        if !self.callback_delay.is_zero() {
            std::thread::sleep(self.callback_delay);
        }
        if let Some(hook) = &mut self.hook {
            hook(driver, &seen);
        }
        self.log.in_callback.fetch_sub(1, Ordering::SeqCst);
        self.log
            .seen
            .lock()
            .push((seen, std::thread::current().id(), driver.in_callback()));
        self.log.changed.notify_all();
    }
}

fn id_value(bytes: &[u8]) -> String {
    v1::FrameworkId::decode(bytes)
        .map(|id| id.value)
        .unwrap_or_default()
}

impl Scheduler for Recorder {
    fn registered(&mut self, driver: &Driver, framework_id: &[u8], master_info: &[u8]) {
        let seen = Seen::Registered {
            framework_id: id_value(framework_id),
            master_info: master_info.to_vec(),
        };
        self.record(driver, seen);
    }
    fn reregistered(&mut self, driver: &Driver, _master_info: &[u8]) {
        self.record(driver, Seen::Reregistered);
    }
    fn disconnected(&mut self, driver: &Driver) {
        self.record(driver, Seen::Disconnected);
    }
    fn resource_offers(&mut self, driver: &Driver, offers: &[&[u8]]) {
        let offers = offers.iter().map(|o| o.to_vec()).collect();
        self.record(driver, Seen::Offers(offers));
    }
    fn offer_rescinded(&mut self, driver: &Driver, offer_id: &[u8]) {
        self.record(driver, Seen::Rescinded(id_value(offer_id)));
    }
    fn status_update(&mut self, driver: &Driver, task_status: &[u8]) {
        let status = v1::TaskStatus::decode(task_status).expect("a TaskStatus");
        self.record(driver, Seen::Update(status, task_status.to_vec()));
    }
    fn framework_message(
        &mut self,
        driver: &Driver,
        executor_id: &[u8],
        agent_id: &[u8],
        data: &[u8],
    ) {
        let seen = Seen::Message {
            executor_id: id_value(executor_id),
            agent_id: id_value(agent_id),
            data: data.to_vec(),
        };
        self.record(driver, seen);
    }
    fn slave_lost(&mut self, driver: &Driver, agent_id: &[u8]) {
        self.record(driver, Seen::SlaveLost(id_value(agent_id)));
    }
    fn executor_lost(&mut self, driver: &Driver, executor_id: &[u8], agent_id: &[u8], status: i32) {
        let seen = Seen::ExecutorLost {
            executor_id: id_value(executor_id),
            agent_id: id_value(agent_id),
            status,
        };
        self.record(driver, seen);
    }
    fn error(&mut self, driver: &Driver, message: &str) {
        let seen = Seen::Error {
            message: message.to_string(),
            status_during: driver.status(),
        };
        self.record(driver, seen);
    }
    fn inverse_offers(&mut self, driver: &Driver, inverse_offers: &[&[u8]]) {
        self.record(driver, Seen::InverseOffers(inverse_offers.len()));
    }
    fn inverse_offer_rescinded(&mut self, driver: &Driver, _id: &[u8]) {
        self.record(driver, Seen::InverseRescinded);
    }
    fn operation_status(&mut self, driver: &Driver, _status: &[u8]) {
        self.record(driver, Seen::OperationStatus);
    }
    fn heartbeat(&mut self, driver: &Driver) {
        self.record(driver, Seen::Heartbeat);
    }
}

pub fn framework_info(name: &str) -> v1::FrameworkInfo {
    v1::FrameworkInfo {
        user: String::new(),
        name: name.to_string(),
        ..Default::default()
    }
}

pub fn encode<M: Message>(message: &M) -> Vec<u8> {
    message.encode_to_vec()
}

/// Options that keep tests fast.
pub fn fast_options(driver: &Driver) {
    driver.set_option("backoff.initial_ms", "20").unwrap();
    driver.set_option("backoff.max_ms", "200").unwrap();
    driver.set_option("request.timeout_ms", "5000").unwrap();
    if let Ok(level) = std::env::var("MESOS_SCHED_TEST_LOG") {
        driver.set_option("log.level", &level).unwrap();
    }
}

/// A driver for `recorder` on `master` with `fast_options`, not started.
pub fn fast_driver(
    master: &str,
    recorder: Recorder,
    info: &v1::FrameworkInfo,
    credential: Option<&v1::Credential>,
    implicit_acknowledgements: bool,
) -> Driver {
    let credential = credential.map(encode);
    let driver = Driver::new(
        Box::new(recorder),
        &encode(info),
        master,
        credential.as_deref(),
        implicit_acknowledgements,
    )
    .unwrap();
    fast_options(&driver);
    driver
}

pub fn is_registered(seen: &[Seen]) -> bool {
    seen.iter().any(|s| matches!(s, Seen::Registered { .. }))
}

pub fn count_of(seen: &[Seen], predicate: impl Fn(&Seen) -> bool) -> usize {
    seen.iter().filter(|s| predicate(s)).count()
}

/// Polls `predicate` until it holds or `timeout` passes.
pub fn eventually(timeout: Duration, mut predicate: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if predicate() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A scalar resource.
pub fn scalar(name: &str, value: f64) -> v1::Resource {
    v1::Resource {
        name: name.to_string(),
        r#type: v1::value::Type::Scalar as i32,
        scalar: Some(v1::value::Scalar { value }),
        ..Default::default()
    }
}

/// A small command task on the offer's agent (labels optional).
pub fn command_task(
    offer: &[u8],
    task_id: &str,
    command: &str,
    labels: &[(&str, &str)],
) -> Vec<u8> {
    let offer = v1::Offer::decode(offer).expect("an Offer");
    let labels = (!labels.is_empty()).then(|| v1::Labels {
        labels: labels
            .iter()
            .map(|(k, v)| v1::Label {
                key: k.to_string(),
                value: Some(v.to_string()),
            })
            .collect(),
    });
    encode(&v1::TaskInfo {
        name: task_id.to_string(),
        task_id: v1::TaskId {
            value: task_id.to_string(),
        },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 0.01), scalar("mem", 8.0)],
        command: Some(v1::CommandInfo {
            value: Some(command.to_string()),
            shell: Some(true),
            ..Default::default()
        }),
        labels,
        ..Default::default()
    })
}

pub fn offer_id(offer: &[u8]) -> Vec<u8> {
    encode(&v1::Offer::decode(offer).expect("an Offer").id)
}

/// The task states seen for `task_id`, in order.
pub fn states_of(seen: &[Seen], task_id: &str) -> Vec<i32> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Update(status, _) if status.task_id.value == task_id => Some(status.state),
            _ => None,
        })
        .collect()
}

pub fn has_state(seen: &[Seen], task_id: &str, state: v1::TaskState) -> bool {
    states_of(seen, task_id).contains(&(state as i32))
}
