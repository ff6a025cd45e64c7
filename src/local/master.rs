//! The cluster: master state (frameworks, agents, offers, tasks), the allocator, the
//! agents' status update managers, command tasks (real processes or simulated) and the
//! timers that drive retries, failover timeouts and simulated task ends.
//!
//! One lock (`Cluster::state`) guards all state. It is never held while writing to a
//! socket: events go onto per-stream channels (see `stream.rs`).

use super::resources::Resources;
use super::stream::{Framing, StreamCmd, StreamFaults, StreamHandle};
use super::util::{self, log_debug, log_info, log_warn};
use crate::proto::scheduler::{call, event, Call, Event};
use crate::proto::v1::{
    self, framework_info::capability::Type as Capability, offer::operation::Type as OperationType,
    task_status::Reason, task_status::Source, TaskState,
};
use parking_lot::{Condvar, Mutex};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

pub const VERSION: &str = "1.12.0";
const MAX_COMPLETED_TASKS: usize = 1000;
const MAX_COMPLETED_FRAMEWORKS: usize = 100;
/// Most bytes of call bodies kept for `received_calls` (later calls are not kept).
pub const MAX_RECORDED_CALL_BYTES: usize = 32 * 1024 * 1024;
/// Ids of removed frameworks remembered (to refuse their resubscription), oldest
/// forgotten first; upstream remembers fewer (`--max_completed_frameworks`, 50).
const MAX_REMOVED_FRAMEWORK_IDS: usize = 1000;
/// Upstream's status update retry cap.
const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(600);
/// Delay before re-offering resources declined with a zero filter (upstream's batch
/// allocation interval is 1 s; shorter keeps tests fast without a hot loop).
const REOFFER_DELAY: Duration = Duration::from_millis(100);
pub const DURATION_LABEL: &str = "mesos_local.duration_ms";
pub const EXIT_CODE_LABEL: &str = "mesos_local.exit_code";

/// Settings the cluster runs with (resolved from `LocalConfig`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub agents: usize,
    pub resources: Resources,
    pub heartbeat: Duration,
    pub simulate: Option<Duration>,
    pub work_dir: PathBuf,
    pub status_retry: Duration,
    pub ip: String,
    pub hostname: String,
}

pub struct Framework {
    pub id: String,
    pub info: v1::FrameworkInfo,
    pub roles: Vec<String>,
    pub suppressed: HashSet<String>,
    pub stream: Option<StreamHandle>,
    /// Changes on every (re)subscription and disconnection: stale timers check it.
    pub epoch: u64,
    pub tasks: HashMap<String, Task>,
    pub offers: HashSet<String>,
    /// Per agent: resources refused until the instant.
    pub filters: HashMap<String, (Resources, Instant)>,
    pub registered_at: f64,
    pub recovered: bool,
}

impl Framework {
    pub fn partition_aware(&self) -> bool {
        self.has_capability(Capability::PartitionAware)
    }
    pub fn has_capability(&self, c: Capability) -> bool {
        self.info
            .capabilities
            .iter()
            .any(|cap| cap.r#type == Some(c as i32))
    }
    pub fn connected(&self) -> bool {
        self.stream.is_some()
    }
    fn send(&self, event: Event) {
        if let Some(stream) = &self.stream {
            stream.send(event);
        }
    }
}

pub struct Task {
    pub id: String,
    pub name: String,
    pub agent_id: String,
    pub executor_id: Option<String>,
    pub resources: Resources,
    /// Latest state (what the agent knows).
    pub state: TaskState,
    /// State of the update being delivered to the framework (reconciliation answers this).
    pub status_update_state: Option<TaskState>,
    /// Status update manager: updates not yet acknowledged, head in flight.
    pub pending: VecDeque<v1::TaskStatus>,
    pub pid: Option<u32>,
    pub kill_requested: bool,
    pub sim_exit_code: i32,
    pub kill_grace: Duration,
    pub labels: Vec<(String, String)>,
    /// The TaskInfo parts upstream's /state shows (`labels`, `container`, `health_check`,
    /// `discovery`), as JSON of the received bytes; built only for tasks that have them.
    pub info_json: serde_json::Map<String, serde_json::Value>,
    pub sandbox: Option<PathBuf>,
    /// Resources returned to the agent (once the master learned the terminal state).
    pub released: bool,
}

impl Task {
    fn terminal(&self) -> bool {
        is_terminal(self.state)
    }
}

pub fn is_terminal(state: TaskState) -> bool {
    matches!(
        state,
        TaskState::TaskFinished
            | TaskState::TaskFailed
            | TaskState::TaskKilled
            | TaskState::TaskError
            | TaskState::TaskLost
            | TaskState::TaskDropped
            | TaskState::TaskGone
            | TaskState::TaskGoneByOperator
    )
}

pub struct Agent {
    pub id: String,
    pub hostname: String,
    pub total: Resources,
    /// Offered or used.
    pub allocated: Resources,
    pub active: bool,
}

impl Agent {
    fn free(&self) -> Resources {
        let mut free = self.total.clone();
        free.subtract(&self.allocated);
        free
    }
}

pub struct OfferState {
    pub framework_id: String,
    pub agent_id: String,
    pub resources: Resources,
    pub role: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub frameworks: HashMap<String, Framework>,
    /// Frameworks in subscription order (for /state and allocation order).
    pub framework_order: Vec<String>,
    pub removed_frameworks: HashSet<String>,
    /// `removed_frameworks` in removal order, to forget the oldest.
    pub removed_order: VecDeque<String>,
    pub completed_frameworks: VecDeque<serde_json::Value>,
    pub agents: Vec<Agent>,
    pub removed_agents: HashSet<String>,
    pub offers: HashMap<String, OfferState>,
    pub completed_tasks: VecDeque<serde_json::Value>,
    pub next_framework: u64,
    pub next_offer: u64,
}

#[derive(Debug, Clone)]
pub enum TimerAction {
    RetryUpdate {
        framework: String,
        task: String,
        uuid: Vec<u8>,
        backoff: Duration,
    },
    FailoverTimeout {
        framework: String,
        epoch: u64,
    },
    SimulatedEnd {
        framework: String,
        task: String,
    },
    KillEscalate {
        pid: u32,
    },
    Allocate,
}

struct TimerEntry {
    at: Instant,
    seq: u64,
    action: TimerAction,
}
impl PartialEq for TimerEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for TimerEntry {}
impl PartialOrd for TimerEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TimerEntry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
pub struct Timers {
    heap: Mutex<BinaryHeap<Reverse<TimerEntry>>>,
    wake: Condvar,
    seq: AtomicU64,
}

impl Timers {
    pub fn schedule(&self, after: Duration, action: TimerAction) {
        // Far-future timers (huge failover timeouts) are capped instead of overflowing.
        let after = after.min(Duration::from_secs(100 * 365 * 86400));
        let entry = TimerEntry {
            at: Instant::now() + after,
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            action,
        };
        let mut heap = self.heap.lock();
        let earliest = heap.peek().map(|Reverse(e)| e.at);
        let notify = earliest.is_none_or(|at| entry.at < at);
        heap.push(Reverse(entry));
        if notify {
            self.wake.notify_one();
        }
    }
    fn due(&self, shutdown: &AtomicBool) -> Vec<TimerAction> {
        let mut heap = self.heap.lock();
        loop {
            if shutdown.load(Ordering::Relaxed) {
                return Vec::new();
            }
            let now = Instant::now();
            let mut due = Vec::new();
            while let Some(Reverse(top)) = heap.peek() {
                if top.at > now {
                    break;
                }
                due.push(heap.pop().unwrap().0.action);
            }
            if !due.is_empty() {
                return due;
            }
            let until = heap
                .peek()
                .map(|Reverse(e)| e.at)
                .unwrap_or(now + Duration::from_millis(200))
                .min(now + Duration::from_millis(200));
            self.wake.wait_until(&mut heap, until);
        }
    }
    pub fn notify(&self) {
        self.wake.notify_all();
    }
    /// Drops the timers of a removed framework (a week-long failover timeout must not
    /// keep its entry, nor its updates' retries, for a week).
    fn forget_framework(&self, id: &str) {
        self.forget(|action| action.framework() == Some(id));
    }
    /// Drops the timers whose action matches.
    fn forget(&self, matches: impl Fn(&TimerAction) -> bool) {
        self.heap
            .lock()
            .retain(|Reverse(entry)| !matches(&entry.action));
    }
    pub fn len(&self) -> usize {
        self.heap.lock().len()
    }
}

impl TimerAction {
    fn framework(&self) -> Option<&str> {
        match self {
            TimerAction::RetryUpdate { framework, .. }
            | TimerAction::FailoverTimeout { framework, .. }
            | TimerAction::SimulatedEnd { framework, .. } => Some(framework),
            TimerAction::KillEscalate { .. } | TimerAction::Allocate => None,
        }
    }
}

/// Bodies of received calls kept for tests, bounded in bytes.
#[derive(Default)]
pub struct RecordedCalls {
    pub calls: Vec<(String, Vec<u8>)>,
    pub bytes: usize,
}

/// Call-level faults (time windows).
#[derive(Default)]
pub struct CallFaults {
    pub fail: Mutex<Option<(u16, Instant)>>,
    pub delay: Mutex<Option<(Duration, Instant)>>,
    pub no_leader_until: Mutex<Option<Instant>>,
}

pub struct MasterSlot {
    pub id: String,
    pub port: u16,
    pub stopped: AtomicBool,
}

pub struct Cluster {
    pub settings: Settings,
    pub state: Mutex<State>,
    pub timers: Timers,
    pub stream_faults: Arc<StreamFaults>,
    pub call_faults: CallFaults,
    pub masters: Vec<MasterSlot>,
    pub leader: Mutex<Option<usize>>,
    /// None when calls are not recorded (`LocalConfig::record_calls`).
    pub received: Option<Mutex<RecordedCalls>>,
    pub shutting_down: AtomicBool,
    pub tls: bool,
    pub authenticate: Option<(String, String)>,
    pub admin: bool,
    pub framing: Framing,
    /// Writes to subscription streams' sockets so far (see `Framing`).
    pub stream_writes: Arc<AtomicU64>,
    /// Stops a master the way ZooKeeper sees a crash (admin `stop_master`); installed
    /// by `zk::ZkLocalCluster` (None without --zk: nothing would elect a new leader).
    pub stop_master_hook: Mutex<Option<StopMasterHook>>,
    me: Weak<Cluster>,
}

pub type StopMasterHook = Arc<dyn Fn(usize) + Send + Sync>;

/// The answer to a scheduler call other than SUBSCRIBE.
pub struct CallResult {
    pub status: u16,
    pub body: String,
}

impl CallResult {
    pub fn accepted() -> Self {
        CallResult {
            status: 202,
            body: String::new(),
        }
    }
    pub fn error(status: u16, body: impl Into<String>) -> Self {
        CallResult {
            status,
            body: body.into(),
        }
    }
}

fn framework_id_of(id: &str) -> v1::FrameworkId {
    v1::FrameworkId {
        value: id.to_string(),
    }
}
fn agent_id_of(id: &str) -> v1::AgentId {
    v1::AgentId {
        value: id.to_string(),
    }
}
fn task_id_of(id: &str) -> v1::TaskId {
    v1::TaskId {
        value: id.to_string(),
    }
}
fn executor_id_of(id: &str) -> v1::ExecutorId {
    v1::ExecutorId {
        value: id.to_string(),
    }
}

pub fn update_event(status: v1::TaskStatus) -> Event {
    Event {
        r#type: Some(event::Type::Update as i32),
        update: Some(event::Update { status }),
        ..Default::default()
    }
}

fn state_name(state: TaskState) -> &'static str {
    state.as_str_name()
}

/// A master-generated status update (no uuid, as upstream).
#[allow(clippy::too_many_arguments)]
fn master_status(
    task_id: &str,
    agent_id: Option<&str>,
    state: TaskState,
    message: &str,
    reason: Reason,
    executor_id: Option<&str>,
) -> v1::TaskStatus {
    v1::TaskStatus {
        task_id: task_id_of(task_id),
        state: state as i32,
        message: Some(message.to_string()),
        source: Some(Source::Master as i32),
        reason: Some(reason as i32),
        agent_id: agent_id.map(agent_id_of),
        executor_id: executor_id.map(executor_id_of),
        timestamp: Some(util::now_secs()),
        ..Default::default()
    }
}

impl Cluster {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: Settings,
        masters: Vec<MasterSlot>,
        tls: bool,
        authenticate: Option<(String, String)>,
        admin: bool,
        record_calls: bool,
        framing: Framing,
    ) -> Arc<Cluster> {
        let mut state = State::default();
        let master_id = masters[0].id.clone();
        for index in 0..settings.agents {
            state.agents.push(Agent {
                id: format!("{master_id}-S{index}"),
                hostname: settings.hostname.clone(),
                total: settings.resources.clone(),
                allocated: Resources::default(),
                active: true,
            });
        }
        Arc::new_cyclic(|me| Cluster {
            settings,
            state: Mutex::new(state),
            timers: Timers::default(),
            stream_faults: Arc::new(StreamFaults::default()),
            call_faults: CallFaults::default(),
            masters,
            leader: Mutex::new(Some(0)),
            received: record_calls.then(Default::default),
            shutting_down: AtomicBool::new(false),
            tls,
            authenticate,
            admin,
            framing,
            stream_writes: Default::default(),
            stop_master_hook: Mutex::new(None),
            me: me.clone(),
        })
    }

    /// Runs the timer loop on the calling thread until shutdown.
    pub fn run_timers(self: &Arc<Self>) {
        loop {
            let due = self.timers.due(&self.shutting_down);
            if self.shutting_down.load(Ordering::Relaxed) {
                return;
            }
            let mut st = self.state.lock();
            for action in due {
                self.fire(&mut st, action);
            }
        }
    }

    fn fire(&self, st: &mut State, action: TimerAction) {
        match action {
            TimerAction::RetryUpdate {
                framework,
                task,
                uuid,
                backoff,
            } => {
                let Some(fw) = st.frameworks.get(&framework) else {
                    return;
                };
                let Some(t) = fw.tasks.get(&task) else { return };
                let Some(head) = t.pending.front() else {
                    return;
                };
                if head.uuid.as_deref() != Some(uuid.as_slice()) {
                    return;
                }
                log_debug!(
                    "retrying status update {} of task {task}",
                    state_name(TaskState::try_from(head.state).unwrap_or(TaskState::TaskLost))
                );
                fw.send(update_event(head.clone()));
                let next = (backoff * 2).min(MAX_RETRY_BACKOFF);
                self.timers.schedule(
                    next,
                    TimerAction::RetryUpdate {
                        framework,
                        task,
                        uuid,
                        backoff: next,
                    },
                );
            }
            TimerAction::FailoverTimeout { framework, epoch } => {
                let expired = st
                    .frameworks
                    .get(&framework)
                    .is_some_and(|fw| fw.epoch == epoch && !fw.connected());
                if expired {
                    log_info!("framework {framework} failover timeout expired: removing it");
                    self.remove_framework(st, &framework);
                }
            }
            TimerAction::SimulatedEnd { framework, task } => {
                let Some(t) = st
                    .frameworks
                    .get(&framework)
                    .and_then(|f| f.tasks.get(&task))
                else {
                    return;
                };
                if t.terminal() || t.kill_requested {
                    return;
                }
                let (state, message) = if t.sim_exit_code == 0 {
                    (
                        TaskState::TaskFinished,
                        "Command exited with status 0".to_string(),
                    )
                } else {
                    (
                        TaskState::TaskFailed,
                        format!("Command exited with status {}", t.sim_exit_code),
                    )
                };
                self.executor_update(st, &framework, &task, state, &message, None);
            }
            TimerAction::KillEscalate { pid } => {
                // SAFETY: signal to a process group we created; harmless if it is gone.
                unsafe {
                    libc::kill(-(pid as i32), libc::SIGKILL);
                }
            }
            TimerAction::Allocate => self.allocate(st),
        }
    }

    fn me(&self) -> Arc<Cluster> {
        self.me.upgrade().expect("cluster alive")
    }

    // ----------------------------------------------------------------------------------
    // Subscription

    /// Handles a validated SUBSCRIBE; the stream handle is new (its thread is about to
    /// start). Pushes SUBSCRIBED + HEARTBEAT, or ERROR + close for a refusal.
    pub fn subscribe(&self, subscribe: call::Subscribe, stream: StreamHandle) -> Option<String> {
        let mut st = self.state.lock();
        let mut info = subscribe.framework_info;
        let requested_id = info
            .id
            .as_ref()
            .map(|id| id.value.clone())
            .filter(|v| !v.is_empty());
        if let Some(id) = &requested_id {
            if st.removed_frameworks.contains(id) {
                stream.command(StreamCmd::ErrorAndClose(
                    "Framework has been removed".into(),
                ));
                return None;
            }
        }
        if let Err(message) = validate_framework_info(&info) {
            stream.command(StreamCmd::ErrorAndClose(message));
            return None;
        }
        let id = match requested_id {
            Some(id) => id,
            None => {
                let id = format!("{}-{:04}", self.masters[0].id, st.next_framework);
                st.next_framework += 1;
                id
            }
        };
        info.id = Some(framework_id_of(&id));
        let roles = framework_roles(&info);
        let suppressed: HashSet<String> = subscribe.suppressed_roles.into_iter().collect();
        if let Err(message) = validate_suppressed_roles(&roles, &suppressed) {
            stream.command(StreamCmd::ErrorAndClose(message));
            return None;
        }
        let subscribed = Event {
            r#type: Some(event::Type::Subscribed as i32),
            subscribed: Some(event::Subscribed {
                framework_id: framework_id_of(&id),
                heartbeat_interval_seconds: Some(self.settings.heartbeat.as_secs_f64()),
                master_info: Some(self.master_info(stream.master)),
            }),
            ..Default::default()
        };
        stream.send(subscribed);
        stream.send(super::stream::heartbeat_event());
        let existing = st.frameworks.contains_key(&id);
        if existing {
            // Failover (or reconnection): the new stream wins; outstanding offers are
            // dropped silently and re-offered.
            let offers: Vec<String> = st.frameworks[&id].offers.iter().cloned().collect();
            for offer in offers {
                self.remove_offer(&mut st, &offer);
            }
            let fw = st.frameworks.get_mut(&id).unwrap();
            if let Some(old) = fw.stream.take() {
                old.command(StreamCmd::ErrorAndClose("Framework failed over".into()));
            }
            log_info!("framework {id} ({}) re-subscribed", info.name);
            fw.info = info;
            fw.roles = roles;
            fw.suppressed = suppressed;
            fw.stream = Some(stream);
            fw.epoch += 1;
            fw.recovered = false;
            // Its failover timeout no longer applies (a framework reconnecting often
            // under a long timeout must not pile them up).
            self.timers.forget(|action| {
                matches!(action, TimerAction::FailoverTimeout { framework, .. } if *framework == id)
            });
            // Resend what is in flight: the agents' retries would do it later anyway.
            for task in fw.tasks.values() {
                if let Some(head) = task.pending.front() {
                    fw.send(update_event(head.clone()));
                }
            }
        } else {
            log_info!("framework {id} ({}) subscribed", info.name);
            st.framework_order.push(id.clone());
            st.frameworks.insert(
                id.clone(),
                Framework {
                    id: id.clone(),
                    info,
                    roles,
                    suppressed,
                    stream: Some(stream),
                    epoch: 1,
                    tasks: HashMap::new(),
                    offers: HashSet::new(),
                    filters: HashMap::new(),
                    registered_at: util::now_secs(),
                    recovered: false,
                },
            );
        }
        self.allocate(&mut st);
        Some(id)
    }

    pub fn master_info(&self, index: usize) -> v1::MasterInfo {
        let slot = &self.masters[index];
        let ip: std::net::Ipv4Addr = self
            .settings
            .ip
            .parse()
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST);
        v1::MasterInfo {
            id: slot.id.clone(),
            // Network byte order, as upstream: the in-memory u32 of the address bytes.
            ip: u32::from_ne_bytes(ip.octets()),
            port: u32::from(slot.port),
            pid: Some(format!("master@{}:{}", self.settings.ip, slot.port)),
            hostname: Some(self.settings.hostname.clone()),
            version: Some(VERSION.into()),
            domain: None,
            address: Some(v1::Address {
                hostname: Some(self.settings.hostname.clone()),
                ip: Some(self.settings.ip.clone()),
                port: i32::from(slot.port),
            }),
            capabilities: vec![v1::master_info::Capability {
                r#type: Some(v1::master_info::capability::Type::AgentUpdate as i32),
            }],
        }
    }

    /// A stream ended (client went away, fault, or the master closed it).
    pub fn stream_closed(&self, framework: &str, stream_id: &str) {
        let mut st = self.state.lock();
        let Some(fw) = st.frameworks.get_mut(framework) else {
            return;
        };
        if fw.stream.as_ref().map(|s| s.id.as_str()) != Some(stream_id) {
            return;
        }
        fw.stream = None;
        fw.epoch += 1;
        let timeout = fw.info.failover_timeout.unwrap_or(0.0);
        let epoch = fw.epoch;
        let offers: Vec<String> = fw.offers.iter().cloned().collect();
        log_info!("framework {framework} disconnected (failover timeout {timeout} s)");
        for offer in offers {
            self.remove_offer(&mut st, &offer);
        }
        if timeout.is_nan() || timeout <= 0.0 {
            self.remove_framework(&mut st, framework);
        } else {
            let after = Duration::try_from_secs_f64(timeout)
                .unwrap_or(Duration::from_secs(u32::MAX as u64));
            self.timers.schedule(
                after,
                TimerAction::FailoverTimeout {
                    framework: framework.to_string(),
                    epoch,
                },
            );
        }
        self.allocate(&mut st);
    }

    /// Removes a framework: kills its tasks, drops its offers, ends its stream without ERROR.
    pub fn remove_framework(&self, st: &mut State, id: &str) {
        let Some(mut fw) = st.frameworks.remove(id) else {
            return;
        };
        log_info!("removing framework {id}");
        st.framework_order.retain(|f| f != id);
        self.timers.forget_framework(id);
        st.removed_frameworks.insert(id.to_string());
        st.removed_order.push_back(id.to_string());
        if st.removed_order.len() > MAX_REMOVED_FRAMEWORK_IDS {
            if let Some(oldest) = st.removed_order.pop_front() {
                st.removed_frameworks.remove(&oldest);
            }
        }
        for offer in fw.offers.drain().collect::<Vec<_>>() {
            if let Some(o) = st.offers.remove(&offer) {
                if let Some(agent) = st.agents.iter_mut().find(|a| a.id == o.agent_id) {
                    agent.allocated.subtract(&o.resources);
                }
            }
        }
        for (_, task) in fw.tasks.drain() {
            if let Some(pid) = task.pid {
                kill_process_group(pid, libc::SIGKILL);
            }
            if !task.released {
                if let Some(agent) = st.agents.iter_mut().find(|a| a.id == task.agent_id) {
                    agent.allocated.subtract(&task.resources);
                }
            }
            let state = if task.terminal() {
                task.state
            } else {
                TaskState::TaskKilled
            };
            push_completed(st, task_json(&fw.id, &task, state));
        }
        if let Some(stream) = fw.stream.take() {
            stream.command(StreamCmd::Close);
        }
        st.completed_frameworks.push_back(serde_json::json!({
            "id": fw.id, "name": fw.info.name, "active": false,
        }));
        if st.completed_frameworks.len() > MAX_COMPLETED_FRAMEWORKS {
            st.completed_frameworks.pop_front();
        }
        self.allocate(st);
    }

    // ----------------------------------------------------------------------------------
    // Calls

    /// Handles a validated non-SUBSCRIBE call: first upstream's framework checks (known:
    /// 400, principal: 400, connected: 403, stream id: 400), then the call itself.
    pub fn handle_call(&self, call: Call, stream_id: Option<&str>) -> CallResult {
        let mut st = self.state.lock();
        let id = call
            .framework_id
            .as_ref()
            .map(|f| f.value.clone())
            .unwrap_or_default();
        let Some(fw) = st.frameworks.get(&id) else {
            return CallResult::error(400, "Framework cannot be found");
        };
        if let Some((principal, _)) = &self.authenticate {
            if fw.info.principal.as_deref() != Some(principal.as_str()) {
                return CallResult::error(
                    400,
                    format!(
                        "Authenticated principal '{principal}' does not match principal '{}' set in `FrameworkInfo`",
                        fw.info.principal.clone().unwrap_or_default()
                    ),
                );
            }
        }
        let Some(stream) = &fw.stream else {
            return CallResult::error(403, "Framework is not subscribed");
        };
        let Some(stream_id) = stream_id else {
            return CallResult::error(
                400,
                "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
            );
        };
        if stream.id != stream_id {
            return CallResult::error(
                400,
                format!(
                    "The stream ID '{stream_id}' included in this request didn't match the stream ID currently associated with framework ID {id}"
                ),
            );
        }
        let st = &mut *st;
        let kind = call.r#type.and_then(|t| call::Type::try_from(t).ok());
        log_debug!("{:?} call from framework {id}", kind);
        match kind {
            Some(call::Type::Teardown) => {
                log_info!("TEARDOWN of framework {id}");
                self.remove_framework(st, &id);
            }
            Some(call::Type::Accept) => self.accept(st, &id, call.accept.unwrap_or_default()),
            Some(call::Type::Decline) => {
                let decline = call.decline.unwrap_or_default();
                let refuse = refuse_duration(decline.filters.as_ref());
                for offer in decline.offer_ids {
                    self.decline_offer(st, &id, &offer.value, refuse);
                }
                self.allocate(st);
            }
            Some(call::Type::Revive) => {
                let roles = call.revive.map(|r| r.roles).unwrap_or_default();
                let fw = st.frameworks.get_mut(&id).unwrap();
                if roles.is_empty() {
                    fw.suppressed.clear();
                } else {
                    for role in &roles {
                        fw.suppressed.remove(role);
                    }
                }
                fw.filters.clear();
                self.allocate(st);
            }
            Some(call::Type::Suppress) => {
                let roles = call.suppress.map(|r| r.roles).unwrap_or_default();
                let fw = st.frameworks.get_mut(&id).unwrap();
                if roles.is_empty() {
                    fw.suppressed = fw.roles.iter().cloned().collect();
                } else {
                    fw.suppressed.extend(roles);
                }
            }
            Some(call::Type::Kill) => {
                let kill = call.kill.unwrap_or_default();
                self.kill(st, &id, kill);
            }
            Some(call::Type::Shutdown) => {
                let shutdown = call.shutdown.unwrap_or_default();
                self.shutdown_executor(
                    st,
                    &id,
                    &shutdown.agent_id.value,
                    &shutdown.executor_id.value,
                );
            }
            Some(call::Type::Acknowledge) => {
                let ack = call.acknowledge.unwrap_or_default();
                self.acknowledge(st, &id, &ack.task_id.value, &ack.uuid);
            }
            Some(call::Type::Reconcile) => {
                let reconcile = call.reconcile.unwrap_or_default();
                self.reconcile(st, &id, reconcile);
            }
            Some(call::Type::Message) => {
                let message = call.message.unwrap_or_default();
                self.message(st, &id, message);
            }
            Some(call::Type::UpdateFramework) => {
                let update = call.update_framework.unwrap_or_default();
                return self.update_framework(st, &id, update);
            }
            Some(call::Type::Request)
            | Some(call::Type::AcceptInverseOffers)
            | Some(call::Type::DeclineInverseOffers)
            | Some(call::Type::AcknowledgeOperationStatus)
            | Some(call::Type::ReconcileOperations) => {}
            Some(call::Type::Unknown) | None | Some(call::Type::Subscribe) => {
                return CallResult::error(501, "");
            }
        }
        CallResult::accepted()
    }

    fn update_framework(
        &self,
        st: &mut State,
        id: &str,
        update: call::UpdateFramework,
    ) -> CallResult {
        let mut info = update.framework_info;
        if let Err(message) = validate_framework_info(&info) {
            return CallResult::error(400, message);
        }
        info.id = Some(framework_id_of(id));
        let fw = st.frameworks.get_mut(id).unwrap();
        if fw.info.principal != info.principal {
            return CallResult::error(400, "Changing framework's principal is not allowed");
        }
        let roles = framework_roles(&info);
        let suppressed: HashSet<String> = update.suppressed_roles.into_iter().collect();
        if let Err(message) = validate_suppressed_roles(&roles, &suppressed) {
            return CallResult::error(400, message);
        }
        fw.roles = roles;
        fw.info = info;
        fw.suppressed = suppressed;
        // Offers for roles the framework left are rescinded.
        let roles = fw.roles.clone();
        let stale: Vec<String> = fw
            .offers
            .iter()
            .filter(|o| {
                st.offers
                    .get(*o)
                    .and_then(|offer| offer.role.as_ref())
                    .is_some_and(|role| !roles.contains(role))
            })
            .cloned()
            .collect();
        for offer in stale {
            self.rescind_offer(st, &offer);
        }
        self.allocate(st);
        CallResult {
            status: 200,
            body: String::new(),
        }
    }

    // ----------------------------------------------------------------------------------
    // Offers

    /// Offers every agent's free resources to frameworks that want them.
    pub fn allocate(&self, st: &mut State) {
        if st.frameworks.is_empty() {
            return;
        }
        let now = Instant::now();
        let order = st.framework_order.clone();
        // One OFFERS event per framework per allocation, as upstream's allocator does.
        let mut batches: HashMap<String, Vec<v1::Offer>> = HashMap::new();
        for agent_index in 0..st.agents.len() {
            if !st.agents[agent_index].active {
                continue;
            }
            for fw_id in &order {
                let free = st.agents[agent_index].free();
                if free.is_empty() {
                    break;
                }
                let agent_id = st.agents[agent_index].id.clone();
                let Some(fw) = st.frameworks.get(fw_id) else {
                    continue;
                };
                if !fw.connected() {
                    continue;
                }
                let eligible: Vec<&String> = fw
                    .roles
                    .iter()
                    .filter(|r| !fw.suppressed.contains(*r))
                    .collect();
                if eligible.is_empty() {
                    continue;
                }
                if fw
                    .offers
                    .iter()
                    .any(|o| st.offers.get(o).is_some_and(|o| o.agent_id == agent_id))
                {
                    continue;
                }
                if let Some((refused, until)) = fw.filters.get(&agent_id) {
                    if *until > now && refused.contains(&free) {
                        continue;
                    }
                }
                let multi_role = fw.has_capability(Capability::MultiRole);
                let role = eligible[agent_index % eligible.len()].clone();
                let offer_id = format!("{}-O{}", self.masters[0].id, st.next_offer);
                st.next_offer += 1;
                let role_field = multi_role.then_some(role.as_str());
                let offer = v1::Offer {
                    id: v1::OfferId {
                        value: offer_id.clone(),
                    },
                    framework_id: framework_id_of(fw_id),
                    agent_id: agent_id_of(&agent_id),
                    hostname: st.agents[agent_index].hostname.clone(),
                    resources: free.to_proto(role_field),
                    allocation_info: role_field.map(|r| v1::resource::AllocationInfo {
                        role: Some(r.to_string()),
                    }),
                    ..Default::default()
                };
                batches.entry(fw_id.clone()).or_default().push(offer);
                let fw = st.frameworks.get_mut(fw_id).unwrap();
                fw.offers.insert(offer_id.clone());
                fw.filters.remove(&agent_id);
                st.agents[agent_index].allocated.add(&free);
                st.offers.insert(
                    offer_id,
                    OfferState {
                        framework_id: fw_id.clone(),
                        agent_id,
                        resources: free,
                        role: Some(role),
                    },
                );
            }
        }
        for (fw_id, offers) in batches {
            if let Some(fw) = st.frameworks.get(&fw_id) {
                fw.send(Event {
                    r#type: Some(event::Type::Offers as i32),
                    offers: Some(event::Offers { offers }),
                    ..Default::default()
                });
            }
        }
    }

    /// Removes an offer and returns its resources (no event).
    fn remove_offer(&self, st: &mut State, offer_id: &str) -> Option<OfferState> {
        let offer = st.offers.remove(offer_id)?;
        if let Some(agent) = st.agents.iter_mut().find(|a| a.id == offer.agent_id) {
            agent.allocated.subtract(&offer.resources);
        }
        if let Some(fw) = st.frameworks.get_mut(&offer.framework_id) {
            fw.offers.remove(offer_id);
        }
        Some(offer)
    }

    fn rescind_offer(&self, st: &mut State, offer_id: &str) {
        if let Some(offer) = self.remove_offer(st, offer_id) {
            if let Some(fw) = st.frameworks.get(&offer.framework_id) {
                fw.send(Event {
                    r#type: Some(event::Type::Rescind as i32),
                    rescind: Some(event::Rescind {
                        offer_id: v1::OfferId {
                            value: offer_id.to_string(),
                        },
                    }),
                    ..Default::default()
                });
            }
        }
    }

    fn decline_offer(&self, st: &mut State, fw_id: &str, offer_id: &str, refuse: Duration) {
        let owned = st
            .offers
            .get(offer_id)
            .is_some_and(|o| o.framework_id == fw_id);
        if !owned {
            return;
        }
        let offer = self.remove_offer(st, offer_id).unwrap();
        self.add_filter(st, fw_id, &offer.agent_id, offer.resources, refuse);
    }

    fn add_filter(
        &self,
        st: &mut State,
        fw_id: &str,
        agent_id: &str,
        resources: Resources,
        refuse: Duration,
    ) {
        if let Some(fw) = st.frameworks.get_mut(fw_id) {
            if refuse > Duration::ZERO {
                fw.filters
                    .insert(agent_id.to_string(), (resources, Instant::now() + refuse));
                self.timers.schedule(refuse, TimerAction::Allocate);
            } else {
                // Hold back briefly, like upstream's batch allocation, then re-offer.
                fw.filters.insert(
                    agent_id.to_string(),
                    (resources, Instant::now() + REOFFER_DELAY),
                );
                self.timers.schedule(REOFFER_DELAY, TimerAction::Allocate);
            }
        }
    }

    // ----------------------------------------------------------------------------------
    // ACCEPT

    fn accept(&self, st: &mut State, fw_id: &str, accept: call::Accept) {
        let partition_aware = st.frameworks[fw_id].partition_aware();
        let refuse = refuse_duration(accept.filters.as_ref());
        // Validate the offers as upstream does (validation::offer::validate).
        let mut error: Option<String> = None;
        let mut seen = HashSet::new();
        let mut agent: Option<String> = None;
        if accept.offer_ids.is_empty() {
            error = Some("No offers specified".into());
        }
        for offer_id in &accept.offer_ids {
            if !seen.insert(offer_id.value.clone()) {
                error = Some(format!("Duplicate offer {} in offer list", offer_id.value));
                break;
            }
            match st.offers.get(&offer_id.value) {
                None => {
                    error = Some(format!("Offer {} is no longer valid", offer_id.value));
                    break;
                }
                Some(o) if o.framework_id != fw_id => {
                    error = Some(format!(
                        "Offer {} has invalid framework {} while framework {fw_id} is expected",
                        offer_id.value, o.framework_id
                    ));
                    break;
                }
                Some(o) => match &agent {
                    Some(a) if *a != o.agent_id => {
                        error = Some(format!(
                            "Aggregated offers must belong to one single agent. Offer {} uses agent {} and offer {} uses agent {a}",
                            offer_id.value, o.agent_id, accept.offer_ids[0].value
                        ));
                        break;
                    }
                    _ => agent = Some(o.agent_id.clone()),
                },
            }
        }
        if let Some(error) = error {
            // Valid offers among them are still used up (returned to the allocator).
            for offer_id in &accept.offer_ids {
                if st
                    .offers
                    .get(&offer_id.value)
                    .is_some_and(|o| o.framework_id == fw_id)
                {
                    self.remove_offer(st, &offer_id.value);
                }
            }
            let state = if partition_aware {
                TaskState::TaskDropped
            } else {
                TaskState::TaskLost
            };
            let fw = &st.frameworks[fw_id];
            for operation in &accept.operations {
                for task in operation_tasks(operation) {
                    fw.send(update_event(master_status(
                        &task.task_id.value,
                        Some(&task.agent_id.value),
                        state,
                        &format!("Task launched with invalid offers: {error}"),
                        Reason::InvalidOffers,
                        None,
                    )));
                }
            }
            log_warn!("ACCEPT of framework {fw_id} with invalid offers: {error}");
            self.allocate(st);
            return;
        }
        let agent_id = agent.unwrap();
        let mut available = Resources::default();
        for offer_id in &accept.offer_ids {
            let offer = self.remove_offer(st, &offer_id.value).unwrap();
            available.add(&offer.resources);
        }
        // The offered resources stay allocated while operations use them.
        if let Some(a) = st.agents.iter_mut().find(|a| a.id == agent_id) {
            a.allocated.add(&available);
        }
        for operation in accept.operations {
            match operation
                .r#type
                .and_then(|t| OperationType::try_from(t).ok())
            {
                Some(OperationType::Launch) => {
                    let tasks = operation.launch.map(|l| l.task_infos).unwrap_or_default();
                    for task in tasks {
                        self.launch(st, fw_id, &agent_id, task, None, &mut available);
                    }
                }
                Some(OperationType::LaunchGroup) => {
                    let Some(group) = operation.launch_group else {
                        continue;
                    };
                    self.launch_group(st, fw_id, &agent_id, group, &mut available);
                }
                _ => {
                    log_warn!(
                        "ignoring unsupported offer operation {:?}",
                        operation.r#type
                    );
                }
            }
        }
        // Unused resources go back, filtered for `refuse`.
        if let Some(a) = st.agents.iter_mut().find(|a| a.id == agent_id) {
            a.allocated.subtract(&available);
        }
        if !available.is_empty() {
            self.add_filter(st, fw_id, &agent_id, available, refuse);
        }
        self.allocate(st);
    }

    fn task_error(
        &self,
        st: &State,
        fw_id: &str,
        task: &v1::TaskInfo,
        reason: Reason,
        message: &str,
    ) {
        log_warn!(
            "task {} of framework {fw_id} is invalid: {message}",
            task.task_id.value
        );
        st.frameworks[fw_id].send(update_event(master_status(
            &task.task_id.value,
            Some(&task.agent_id.value),
            TaskState::TaskError,
            message,
            reason,
            None,
        )));
    }

    /// Validates a task like upstream's validation::task; None = valid.
    fn validate_task(
        &self,
        st: &State,
        fw_id: &str,
        agent_id: &str,
        task: &v1::TaskInfo,
        available: &Resources,
    ) -> Result<Resources, String> {
        let id = &task.task_id.value;
        if id.is_empty() || id.contains('/') || id.contains('\0') || id == "." || id == ".." {
            return Err(format!("TaskID '{id}' contains invalid characters"));
        }
        if st.frameworks[fw_id].tasks.contains_key(id) {
            return Err(format!("Task has duplicate ID: {id}"));
        }
        if task.agent_id.value != agent_id {
            return Err(format!(
                "Task uses agent ID {} which does not match agent ID {agent_id} of the offers",
                task.agent_id.value
            ));
        }
        if task.executor.is_some() == task.command.is_some() {
            return Err("Task should have at least one (but not both) of CommandInfo or ExecutorInfo present".into());
        }
        let mut used = Resources::from_proto(&task.resources)
            .map_err(|e| format!("Task uses invalid resources: {e}"))?;
        if let Some(executor) = &task.executor {
            let executor_resources = Resources::from_proto(&executor.resources)
                .map_err(|e| format!("Executor uses invalid resources: {e}"))?;
            used.add(&executor_resources);
        }
        if used.is_empty() {
            return Err("Task uses no resources".into());
        }
        if !available.contains(&used) {
            return Err(format!(
                "Task uses more resources {} than available {}",
                used.to_state_json(),
                available.to_state_json()
            ));
        }
        Ok(used)
    }

    fn launch(
        &self,
        st: &mut State,
        fw_id: &str,
        agent_id: &str,
        task: v1::TaskInfo,
        group_executor: Option<&v1::ExecutorInfo>,
        available: &mut Resources,
    ) {
        let used = match self.validate_task(st, fw_id, agent_id, &task, available) {
            Ok(used) => used,
            Err(message) => {
                let reason = if group_executor.is_some() {
                    Reason::TaskGroupInvalid
                } else {
                    Reason::TaskInvalid
                };
                self.task_error(st, fw_id, &task, reason, &message);
                return;
            }
        };
        // Already counted as allocated: ACCEPT holds the offered resources.
        available.subtract(&used);
        let executor_id = group_executor
            .map(|e| e.executor_id.value.clone())
            .or_else(|| task.executor.as_ref().map(|e| e.executor_id.value.clone()))
            .unwrap_or_else(|| task.task_id.value.clone());
        let labels: Vec<(String, String)> = task
            .labels
            .as_ref()
            .map(|l| {
                l.labels
                    .iter()
                    .map(|l| (l.key.clone(), l.value.clone().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        let label = |key: &str| {
            labels
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let kill_grace = task
            .kill_policy
            .as_ref()
            .and_then(|k| k.grace_period.as_ref())
            .map(|d| Duration::from_nanos(d.nanoseconds.max(0) as u64))
            .unwrap_or(Duration::from_secs(3));
        let sim_exit_code = label(EXIT_CODE_LABEL)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let sim_duration = label(DURATION_LABEL)
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_millis);
        let task_id = task.task_id.value.clone();
        log_info!("launching task {task_id} of framework {fw_id} on agent {agent_id}");
        let record = Task {
            id: task_id.clone(),
            name: task.name.clone(),
            agent_id: agent_id.to_string(),
            executor_id: Some(executor_id.clone()),
            resources: used,
            state: TaskState::TaskStaging,
            status_update_state: None,
            pending: VecDeque::new(),
            pid: None,
            kill_requested: false,
            sim_exit_code,
            kill_grace,
            labels: labels.clone(),
            info_json: state_info_json(&task),
            sandbox: None,
            released: false,
        };
        st.frameworks
            .get_mut(fw_id)
            .unwrap()
            .tasks
            .insert(task_id.clone(), record);

        if let Some(default_duration) = self.settings.simulate {
            let duration = sim_duration.unwrap_or(default_duration);
            self.executor_update(st, fw_id, &task_id, TaskState::TaskStarting, "", None);
            self.executor_update(st, fw_id, &task_id, TaskState::TaskRunning, "", None);
            self.timers.schedule(
                duration,
                TimerAction::SimulatedEnd {
                    framework: fw_id.to_string(),
                    task: task_id,
                },
            );
            return;
        }

        let command = task
            .command
            .clone()
            .or_else(|| task.executor.as_ref().and_then(|e| e.command.clone()))
            .or_else(|| group_executor.and_then(|e| e.command.clone()))
            .unwrap_or_default();
        let sandbox = self
            .settings
            .work_dir
            .join("frameworks")
            .join(sanitize(fw_id))
            .join("executors")
            .join(sanitize(&executor_id))
            .join("tasks")
            .join(sanitize(&task_id));
        match spawn_command(&command, &sandbox, fw_id, agent_id, &task_id, &executor_id) {
            Ok(child) => {
                let pid = child.id();
                let t = st
                    .frameworks
                    .get_mut(fw_id)
                    .unwrap()
                    .tasks
                    .get_mut(&task_id)
                    .unwrap();
                t.pid = Some(pid);
                t.sandbox = Some(sandbox);
                self.executor_update(st, fw_id, &task_id, TaskState::TaskStarting, "", None);
                self.executor_update(st, fw_id, &task_id, TaskState::TaskRunning, "", None);
                let cluster = self.me();
                let fw = fw_id.to_string();
                let spawned = std::thread::Builder::new()
                    .name("mesos-local-task".into())
                    .spawn(move || {
                        let mut child = child;
                        let status = child.wait();
                        cluster.process_exited(&fw, &task_id, status);
                    });
                if spawned.is_err() {
                    log_warn!("could not start a waiter thread for task");
                }
            }
            Err(e) => {
                let message = format!("Failed to launch the command: {e}");
                let t = st
                    .frameworks
                    .get_mut(fw_id)
                    .unwrap()
                    .tasks
                    .get_mut(&task_id)
                    .unwrap();
                t.sandbox = Some(sandbox);
                self.executor_update(
                    st,
                    fw_id,
                    &task_id,
                    TaskState::TaskFailed,
                    &message,
                    Some(Reason::CommandExecutorFailed),
                );
            }
        }
    }

    fn launch_group(
        &self,
        st: &mut State,
        fw_id: &str,
        agent_id: &str,
        group: v1::offer::operation::LaunchGroup,
        available: &mut Resources,
    ) {
        let executor = group.executor;
        // Upstream validates the group as a whole: one invalid task fails them all.
        let mut error = None;
        let mut ids = HashSet::new();
        let mut needed = Resources::from_proto(&executor.resources).unwrap_or_default();
        for task in &group.task_group.tasks {
            if !ids.insert(task.task_id.value.clone()) {
                error = Some(format!(
                    "Duplicate task ID {} in the task group",
                    task.task_id.value
                ));
            }
            if task.executor.is_some() {
                error = Some("'TaskInfo.executor' must not be set".into());
            }
            if task.task_id.value.is_empty()
                || st.frameworks[fw_id].tasks.contains_key(&task.task_id.value)
            {
                error = Some(format!("Task has duplicate ID: {}", task.task_id.value));
            }
            if task.agent_id.value != agent_id {
                error = Some(format!(
                    "Task uses agent ID {} which does not match agent ID {agent_id} of the offers",
                    task.agent_id.value
                ));
            }
            match Resources::from_proto(&task.resources) {
                Ok(r) => needed.add(&r),
                Err(e) => error = Some(format!("Task uses invalid resources: {e}")),
            }
        }
        if group.task_group.tasks.is_empty() {
            error = Some("Task group cannot be empty".into());
        }
        if error.is_none() && !available.contains(&needed) {
            error = Some("Task group uses more resources than available".into());
        }
        if let Some(message) = error {
            for task in &group.task_group.tasks {
                self.task_error(st, fw_id, task, Reason::TaskGroupInvalid, &message);
            }
            return;
        }
        // Executor resources are charged to the first task (they come back with it).
        let mut executor_resources = Resources::from_proto(&executor.resources).unwrap_or_default();
        for mut task in group.task_group.tasks {
            let mut with_executor = task.resources.clone();
            with_executor.extend(executor_resources.to_proto(None));
            executor_resources = Resources::default();
            task.resources = with_executor;
            self.launch(st, fw_id, agent_id, task, Some(&executor), available);
        }
    }

    // ----------------------------------------------------------------------------------
    // Status updates

    /// An update from the agent/executor side (carries a fresh uuid; reliable delivery).
    pub fn executor_update(
        &self,
        st: &mut State,
        fw_id: &str,
        task_id: &str,
        state: TaskState,
        message: &str,
        reason: Option<Reason>,
    ) {
        let Some(fw) = st.frameworks.get_mut(fw_id) else {
            return;
        };
        let Some(task) = fw.tasks.get_mut(task_id) else {
            return;
        };
        let was_terminal = task.terminal();
        if was_terminal {
            return;
        }
        task.state = state;
        let status = v1::TaskStatus {
            task_id: task_id_of(task_id),
            state: state as i32,
            message: (!message.is_empty()).then(|| message.to_string()),
            source: Some(Source::Executor as i32),
            reason: reason.map(|r| r as i32),
            agent_id: Some(agent_id_of(&task.agent_id)),
            executor_id: task.executor_id.as_deref().map(executor_id_of),
            timestamp: Some(util::now_secs()),
            uuid: Some(util::uuid_bytes().to_vec()),
            ..Default::default()
        };
        task.pending.push_back(status);
        if task.pending.len() == 1 {
            self.forward_head(st, fw_id, task_id);
        }
    }

    /// Sends the head of a task's status update queue (the master learns the update
    /// now, as upstream's agent forwards one at a time) and arms its retry. A terminal
    /// head releases the task's resources.
    fn forward_head(&self, st: &mut State, fw_id: &str, task_id: &str) {
        let Some(fw) = st.frameworks.get_mut(fw_id) else {
            return;
        };
        let Some(task) = fw.tasks.get_mut(task_id) else {
            return;
        };
        let Some(head) = task.pending.front().cloned() else {
            return;
        };
        let state = TaskState::try_from(head.state).unwrap_or(TaskState::TaskLost);
        task.status_update_state = Some(state);
        let uuid = head.uuid.clone().unwrap_or_default();
        let release = is_terminal(state) && !task.released;
        if release {
            task.released = true;
        }
        let resources = task.resources.clone();
        let agent_id = task.agent_id.clone();
        if let Some(stream) = &fw.stream {
            stream.send(update_event(head));
        }
        self.timers.schedule(
            self.settings.status_retry,
            TimerAction::RetryUpdate {
                framework: fw_id.to_string(),
                task: task_id.to_string(),
                uuid,
                backoff: self.settings.status_retry,
            },
        );
        if release {
            if let Some(a) = st.agents.iter_mut().find(|a| a.id == agent_id) {
                a.allocated.subtract(&resources);
            }
            self.allocate(st);
        }
    }

    fn acknowledge(&self, st: &mut State, fw_id: &str, task_id: &str, uuid: &[u8]) {
        let Some(fw) = st.frameworks.get_mut(fw_id) else {
            return;
        };
        let Some(task) = fw.tasks.get_mut(task_id) else {
            return;
        };
        let matches = task
            .pending
            .front()
            .is_some_and(|head| head.uuid.as_deref() == Some(uuid));
        if !matches {
            log_debug!("ignoring acknowledgement of task {task_id} with an unknown uuid");
            return;
        }
        task.pending.pop_front();
        if !task.pending.is_empty() {
            self.forward_head(st, fw_id, task_id);
        } else {
            task.status_update_state = None;
            if task.terminal() {
                // Acknowledged terminal update: the task is gone from the agent and master.
                let task = fw.tasks.remove(task_id).unwrap();
                let json = task_json(fw_id, &task, task.state);
                push_completed(st, json);
            }
        }
    }

    fn process_exited(
        &self,
        fw_id: &str,
        task_id: &str,
        status: std::io::Result<std::process::ExitStatus>,
    ) {
        use std::os::unix::process::ExitStatusExt;
        let mut st = self.state.lock();
        let Some(task) = st
            .frameworks
            .get_mut(fw_id)
            .and_then(|f| f.tasks.get_mut(task_id))
        else {
            return;
        };
        task.pid = None;
        let killed = task.kill_requested;
        let (state, message) = match status {
            Ok(status) => match (status.code(), status.signal()) {
                (Some(code), _) if killed => (
                    TaskState::TaskKilled,
                    format!("Command exited with status {code}"),
                ),
                (Some(0), _) => (
                    TaskState::TaskFinished,
                    "Command exited with status 0".to_string(),
                ),
                (Some(code), _) => (
                    TaskState::TaskFailed,
                    format!("Command exited with status {code}"),
                ),
                (None, Some(signal)) => (
                    if killed {
                        TaskState::TaskKilled
                    } else {
                        TaskState::TaskFailed
                    },
                    format!("Command terminated with signal {}", signal_name(signal)),
                ),
                (None, None) => (TaskState::TaskFailed, "Command terminated".to_string()),
            },
            Err(e) => (
                TaskState::TaskFailed,
                format!("Failed to wait for the command: {e}"),
            ),
        };
        self.executor_update(&mut st, fw_id, task_id, state, &message, None);
        self.after_executor_exit(&mut st, fw_id, task_id);
    }

    /// After a SHUTDOWN, once the executor's last task ended: FAILURE{agent, executor, status}.
    fn after_executor_exit(&self, st: &mut State, fw_id: &str, task_id: &str) {
        let Some(fw) = st.frameworks.get(fw_id) else {
            return;
        };
        let Some(task) = fw.tasks.get(task_id) else {
            return;
        };
        if !task
            .labels
            .iter()
            .any(|(k, _)| k == "__mesos_local_shutdown")
        {
            return;
        }
        let executor = task.executor_id.clone().unwrap_or_default();
        let agent = task.agent_id.clone();
        let others_running = fw.tasks.values().any(|t| {
            t.executor_id.as_deref() == Some(executor.as_str())
                && t.agent_id == agent
                && !t.terminal()
        });
        if !others_running {
            fw.send(Event {
                r#type: Some(event::Type::Failure as i32),
                failure: Some(event::Failure {
                    agent_id: Some(agent_id_of(&agent)),
                    executor_id: Some(executor_id_of(&executor)),
                    // Wait status of an executor killed by SIGTERM... as upstream reports it.
                    status: Some(libc::SIGTERM),
                }),
                ..Default::default()
            });
        }
    }

    // ----------------------------------------------------------------------------------
    // KILL, SHUTDOWN, MESSAGE, RECONCILE

    fn kill(&self, st: &mut State, fw_id: &str, kill: call::Kill) {
        let task_id = kill.task_id.value.clone();
        let known = st.frameworks[fw_id].tasks.contains_key(&task_id);
        if !known {
            log_info!("cannot kill unknown task {task_id}: reconciling");
            self.reconcile(
                st,
                fw_id,
                call::Reconcile {
                    tasks: vec![call::reconcile::Task {
                        task_id: kill.task_id,
                        agent_id: kill.agent_id,
                    }],
                },
            );
            return;
        }
        let grace = kill
            .kill_policy
            .as_ref()
            .and_then(|k| k.grace_period.as_ref())
            .map(|d| Duration::from_nanos(d.nanoseconds.max(0) as u64));
        self.kill_task(st, fw_id, &task_id, grace);
    }

    fn kill_task(&self, st: &mut State, fw_id: &str, task_id: &str, grace: Option<Duration>) {
        let fw = st.frameworks.get_mut(fw_id).unwrap();
        let killing_state = fw.has_capability(Capability::TaskKillingState);
        let Some(task) = fw.tasks.get_mut(task_id) else {
            return;
        };
        if task.terminal() || task.kill_requested {
            return;
        }
        task.kill_requested = true;
        let grace = grace.unwrap_or(task.kill_grace);
        let pid = task.pid;
        if killing_state {
            self.executor_update(st, fw_id, task_id, TaskState::TaskKilling, "", None);
        }
        match pid {
            Some(pid) => {
                kill_process_group(pid, libc::SIGTERM);
                self.timers
                    .schedule(grace, TimerAction::KillEscalate { pid });
            }
            None => {
                // Simulated (or never started): killed at once.
                self.executor_update(
                    st,
                    fw_id,
                    task_id,
                    TaskState::TaskKilled,
                    "Command terminated with signal Terminated",
                    None,
                );
                self.after_executor_exit(st, fw_id, task_id);
            }
        }
    }

    fn shutdown_executor(&self, st: &mut State, fw_id: &str, agent_id: &str, executor_id: &str) {
        let tasks: Vec<String> = st.frameworks[fw_id]
            .tasks
            .values()
            .filter(|t| {
                t.agent_id == agent_id
                    && t.executor_id.as_deref() == Some(executor_id)
                    && !t.terminal()
            })
            .map(|t| t.id.clone())
            .collect();
        for task_id in tasks {
            if let Some(t) = st
                .frameworks
                .get_mut(fw_id)
                .unwrap()
                .tasks
                .get_mut(&task_id)
            {
                t.labels
                    .push(("__mesos_local_shutdown".into(), String::new()));
            }
            self.kill_task(st, fw_id, &task_id, None);
        }
    }

    fn message(&self, st: &mut State, fw_id: &str, message: call::Message) {
        let fw = &st.frameworks[fw_id];
        let running = fw.tasks.values().any(|t| {
            t.agent_id == message.agent_id.value
                && t.executor_id.as_deref() == Some(message.executor_id.value.as_str())
                && !t.terminal()
        });
        if !running {
            log_warn!(
                "dropping MESSAGE to unknown executor {}",
                message.executor_id.value
            );
            return;
        }
        // Local behaviour: the executor echoes every framework message back.
        fw.send(Event {
            r#type: Some(event::Type::Message as i32),
            message: Some(event::Message {
                agent_id: message.agent_id,
                executor_id: message.executor_id,
                data: message.data,
            }),
            ..Default::default()
        });
    }

    fn reconcile(&self, st: &mut State, fw_id: &str, reconcile: call::Reconcile) {
        let fw = &st.frameworks[fw_id];
        let partition_aware = fw.partition_aware();
        if reconcile.tasks.is_empty() {
            // Implicit: the latest state of every known task.
            for task in fw.tasks.values() {
                let state = task.status_update_state.unwrap_or(task.state);
                fw.send(update_event(master_status(
                    &task.id,
                    Some(&task.agent_id),
                    state,
                    "Reconciliation: Latest task state",
                    Reason::Reconciliation,
                    task.executor_id.as_deref(),
                )));
            }
            return;
        }
        for t in reconcile.tasks {
            let agent = t.agent_id.as_ref().map(|a| a.value.as_str());
            let status = if let Some(task) = fw.tasks.get(&t.task_id.value) {
                master_status(
                    &task.id,
                    Some(&task.agent_id),
                    task.status_update_state.unwrap_or(task.state),
                    "Reconciliation: Latest task state",
                    Reason::Reconciliation,
                    task.executor_id.as_deref(),
                )
            } else if let Some(a) =
                agent.filter(|a| st.agents.iter().any(|x| x.id == *a && x.active))
            {
                master_status(
                    &t.task_id.value,
                    Some(a),
                    if partition_aware {
                        TaskState::TaskGone
                    } else {
                        TaskState::TaskLost
                    },
                    "Reconciliation: Task is unknown to the agent",
                    Reason::Reconciliation,
                    None,
                )
            } else if let Some(a) = agent.filter(|a| st.removed_agents.contains(*a)) {
                let mut status = master_status(
                    &t.task_id.value,
                    Some(a),
                    if partition_aware {
                        TaskState::TaskUnreachable
                    } else {
                        TaskState::TaskLost
                    },
                    "Reconciliation: Task is unreachable",
                    Reason::Reconciliation,
                    None,
                );
                if partition_aware {
                    status.unreachable_time = Some(v1::TimeInfo {
                        nanoseconds: (util::now_secs() * 1e9) as i64,
                    });
                }
                status
            } else {
                master_status(
                    &t.task_id.value,
                    agent,
                    if partition_aware {
                        TaskState::TaskUnknown
                    } else {
                        TaskState::TaskLost
                    },
                    "Reconciliation: Task is unknown",
                    Reason::Reconciliation,
                    None,
                )
            };
            fw.send(update_event(status));
        }
    }

    // ----------------------------------------------------------------------------------
    // Faults and administration

    pub fn lose_agent(&self, agent_id: &str) -> bool {
        let mut st = self.state.lock();
        let st = &mut *st;
        let Some(agent) = st.agents.iter_mut().find(|a| a.id == agent_id && a.active) else {
            return false;
        };
        agent.active = false;
        let hostname = agent.hostname.clone();
        st.removed_agents.insert(agent_id.to_string());
        log_info!("agent {agent_id} lost");
        let offers: Vec<String> = st
            .offers
            .iter()
            .filter(|(_, o)| o.agent_id == agent_id)
            .map(|(id, _)| id.clone())
            .collect();
        for offer in offers {
            self.rescind_offer(st, &offer);
        }
        let now = util::now_secs();
        for fw_id in st.framework_order.clone() {
            let fw = st.frameworks.get_mut(&fw_id).unwrap();
            let partition_aware = fw.partition_aware();
            let lost: Vec<String> = fw
                .tasks
                .values()
                .filter(|t| t.agent_id == agent_id)
                .map(|t| t.id.clone())
                .collect();
            for task_id in lost {
                let task = fw.tasks.remove(&task_id).unwrap();
                if let Some(pid) = task.pid {
                    kill_process_group(pid, libc::SIGKILL);
                }
                let state = if partition_aware {
                    TaskState::TaskUnreachable
                } else {
                    TaskState::TaskLost
                };
                let mut status = master_status(
                    &task_id,
                    Some(agent_id),
                    state,
                    &format!("Agent {hostname} removed: agent lost"),
                    Reason::AgentRemoved,
                    task.executor_id.as_deref(),
                );
                if partition_aware {
                    status.unreachable_time = Some(v1::TimeInfo {
                        nanoseconds: (now * 1e9) as i64,
                    });
                }
                fw.send(update_event(status));
                let json = task_json(&fw_id, &task, state);
                st.completed_tasks.push_back(json);
            }
            fw.send(Event {
                r#type: Some(event::Type::Failure as i32),
                failure: Some(event::Failure {
                    agent_id: Some(agent_id_of(agent_id)),
                    executor_id: None,
                    status: None,
                }),
                ..Default::default()
            });
        }
        while st.completed_tasks.len() > MAX_COMPLETED_TASKS {
            st.completed_tasks.pop_front();
        }
        true
    }

    /// Ends every subscription stream with `cmd` (and, for ends the client notices,
    /// lets the stream threads report the disconnection).
    pub fn command_all_streams(&self, make: impl Fn() -> StreamCmd) {
        let st = self.state.lock();
        for fw in st.frameworks.values() {
            if let Some(stream) = &fw.stream {
                stream.command(make());
            }
        }
    }

    pub fn inject(&self, framework_id: &str, cmd: StreamCmd) -> bool {
        let st = self.state.lock();
        match st
            .frameworks
            .get(framework_id)
            .and_then(|f| f.stream.as_ref())
        {
            Some(stream) => {
                stream.command(cmd);
                true
            }
            None => false,
        }
    }

    /// Leader change: streams of the old leader end; frameworks stay known (as after
    /// agents re-register with a new master) and may re-subscribe with their ids.
    pub fn disconnect_all_for_leader_change(&self) {
        let mut st = self.state.lock();
        let ids: Vec<String> = st.framework_order.clone();
        for id in ids {
            let fw = st.frameworks.get_mut(&id).unwrap();
            if let Some(stream) = fw.stream.take() {
                stream.command(StreamCmd::Close);
            }
            fw.epoch += 1;
            fw.recovered = true;
            let offers: Vec<String> = fw.offers.iter().cloned().collect();
            for offer in offers {
                self.remove_offer(&mut st, &offer);
            }
        }
    }

    /// Kills every task process (shutdown).
    pub fn kill_all_tasks(&self) {
        let mut st = self.state.lock();
        for fw in st.frameworks.values_mut() {
            for task in fw.tasks.values_mut() {
                if let Some(pid) = task.pid.take() {
                    kill_process_group(pid, libc::SIGKILL);
                }
            }
            if let Some(stream) = fw.stream.take() {
                stream.command(StreamCmd::Close);
            }
        }
    }

    pub fn record_call(&self, content_type: &str, body: &[u8]) {
        let Some(received) = &self.received else {
            return;
        };
        let mut recorded = received.lock();
        let size = content_type.len() + body.len();
        if recorded.bytes + size <= MAX_RECORDED_CALL_BYTES {
            recorded.bytes += size;
            recorded
                .calls
                .push((content_type.to_string(), body.to_vec()));
        }
    }

    // ----------------------------------------------------------------------------------
    // /state

    pub fn state_json(&self) -> serde_json::Value {
        use serde_json::json;
        let leader = *self.leader.lock();
        let st = self.state.lock();
        let frameworks: Vec<_> = st
            .framework_order
            .iter()
            .filter_map(|id| st.frameworks.get(id))
            .map(|fw| {
                let mut tasks: Vec<_> = fw.tasks.values().map(|t| task_json(&fw.id, t, t.status_update_state.unwrap_or(t.state))).collect();
                tasks.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
                let offers: Vec<_> = fw
                    .offers
                    .iter()
                    .filter_map(|id| st.offers.get(id).map(|o| (id, o)))
                    .map(|(id, o)| {
                        json!({"id": id, "framework_id": o.framework_id, "agent_id": o.agent_id,
                               "resources": o.resources.to_state_json(), "role": o.role})
                    })
                    .collect();
                json!({
                    "id": fw.id,
                    "name": fw.info.name,
                    "user": fw.info.user,
                    "principal": fw.info.principal,
                    "roles": fw.roles,
                    "suppressed_roles": fw.suppressed.iter().collect::<Vec<_>>(),
                    "failover_timeout": fw.info.failover_timeout.unwrap_or(0.0),
                    "active": fw.connected(),
                    "connected": fw.connected(),
                    "recovered": fw.recovered,
                    "registered_time": fw.registered_at,
                    "stream_id": fw.stream.as_ref().map(|s| s.id.clone()),
                    "stream_encoding": fw.stream.as_ref().map(|s| s.encoding.content_type()),
                    "capabilities": fw.info.capabilities.iter()
                        .filter_map(|c| c.r#type)
                        .map(|t| Capability::try_from(t).map(|c| c.as_str_name().to_string()).unwrap_or_else(|_| t.to_string()))
                        .collect::<Vec<_>>(),
                    "tasks": tasks,
                    "offers": offers,
                    "unacknowledged_updates": fw.tasks.values().map(|t| t.pending.len()).sum::<usize>(),
                })
            })
            .collect();
        let agents: Vec<_> = st
            .agents
            .iter()
            .map(|a| {
                json!({
                    "id": a.id, "hostname": a.hostname, "active": a.active,
                    "resources": a.total.to_state_json(),
                    "used_resources": a.allocated.to_state_json(),
                })
            })
            .collect();
        json!({
            "version": VERSION,
            "id": self.masters[0].id,
            "leader": leader.map(|i| format!("master@{}:{}", self.settings.ip, self.masters[i].port)),
            "leader_index": leader,
            "hostname": self.settings.hostname,
            "simulate": self.settings.simulate.is_some(),
            "frameworks": frameworks,
            "completed_frameworks": st.completed_frameworks,
            "removed_framework_ids": st.removed_frameworks.iter().collect::<Vec<_>>(),
            "agents": agents,
            "slaves": agents,
            "completed_tasks": st.completed_tasks,
            "offers": st.offers.len(),
        })
    }
}

fn push_completed(st: &mut State, json: serde_json::Value) {
    st.completed_tasks.push_back(json);
    if st.completed_tasks.len() > MAX_COMPLETED_TASKS {
        st.completed_tasks.pop_front();
    }
}

/// The JSON of the TaskInfo fields upstream's /state shows for a task. Labels are an
/// array of `{key, value}`, as upstream renders them; the rest is the protobuf JSON mapping.
fn state_info_json(task: &v1::TaskInfo) -> serde_json::Map<String, serde_json::Value> {
    use prost::Message as _;
    let mut out = serde_json::Map::new();
    let mut put = |key: &str, message: &str, bytes: Option<Vec<u8>>| {
        let json = bytes.and_then(|b| super::protojson::protobuf_to_json(message, &b).ok());
        if let Some(json) = json {
            out.insert(key.to_string(), json);
        }
    };
    put(
        "container",
        "mesos.v1.ContainerInfo",
        task.container.as_ref().map(|m| m.encode_to_vec()),
    );
    put(
        "health_check",
        "mesos.v1.HealthCheck",
        task.health_check.as_ref().map(|m| m.encode_to_vec()),
    );
    put(
        "discovery",
        "mesos.v1.DiscoveryInfo",
        task.discovery.as_ref().map(|m| m.encode_to_vec()),
    );
    put(
        "labels",
        "mesos.v1.Labels",
        task.labels.as_ref().map(|m| m.encode_to_vec()),
    );
    if let Some(labels) = out
        .get_mut("labels")
        .and_then(|l| l.get_mut("labels"))
        .map(serde_json::Value::take)
    {
        out.insert("labels".into(), labels);
    }
    out
}

fn task_json(fw_id: &str, task: &Task, state: TaskState) -> serde_json::Value {
    let mut json = serde_json::json!({
        "id": task.id,
        "name": task.name,
        "framework_id": fw_id,
        "agent_id": task.agent_id,
        "slave_id": task.agent_id,
        "executor_id": task.executor_id,
        "state": state_name(state),
        "resources": task.resources.to_state_json(),
        "sandbox": task.sandbox.as_ref().map(|p| p.display().to_string()),
        "pid": task.pid,
    });
    if let Some(object) = json.as_object_mut() {
        object.extend(task.info_json.clone());
    }
    json
}

fn operation_tasks(operation: &v1::offer::Operation) -> Vec<&v1::TaskInfo> {
    match operation
        .r#type
        .and_then(|t| OperationType::try_from(t).ok())
    {
        Some(OperationType::Launch) => operation
            .launch
            .as_ref()
            .map(|l| l.task_infos.iter().collect())
            .unwrap_or_default(),
        Some(OperationType::LaunchGroup) => operation
            .launch_group
            .as_ref()
            .map(|g| g.task_group.tasks.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn refuse_duration(filters: Option<&v1::Filters>) -> Duration {
    // Upstream: absent filters = Filters() (5 s); negative = default; capped at a year.
    let seconds = filters.and_then(|f| f.refuse_seconds).unwrap_or(5.0);
    let seconds = if seconds.is_nan() || seconds < 0.0 {
        5.0
    } else {
        seconds.min(365.0 * 86400.0)
    };
    Duration::from_secs_f64(seconds)
}

// `FrameworkInfo.role` is deprecated upstream but still what non-MULTI_ROLE frameworks send.
#[allow(deprecated)]
pub fn framework_roles(info: &v1::FrameworkInfo) -> Vec<String> {
    let multi = info
        .capabilities
        .iter()
        .any(|c| c.r#type == Some(Capability::MultiRole as i32));
    if multi {
        info.roles.clone()
    } else {
        vec![info.role.clone().unwrap_or_else(|| "*".into())]
    }
}

fn validate_suppressed_roles(roles: &[String], suppressed: &HashSet<String>) -> Result<(), String> {
    let mut invalid: Vec<&String> = suppressed.iter().filter(|r| !roles.contains(r)).collect();
    if invalid.is_empty() {
        return Ok(());
    }
    invalid.sort();
    let list: Vec<&str> = invalid.iter().map(|r| r.as_str()).collect();
    Err(format!(
        "Suppressed roles {{ {} }} are not contained in the set of roles",
        list.join(", ")
    ))
}

fn validate_role(role: &str) -> Result<(), String> {
    if role.is_empty() {
        return Err("Role name cannot be empty".into());
    }
    if role == "." || role == ".." || role.starts_with('-') {
        return Err(format!(
            "Role '{role}' cannot be '.', '..' or start with '-'"
        ));
    }
    if role
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        || role.contains("//")
        || role.ends_with('/')
        || role.starts_with('/')
    {
        return Err(format!("Role '{role}' contains invalid characters"));
    }
    Ok(())
}

/// Upstream's framework subscription validation (the parts that apply here).
#[allow(deprecated)] // checks the legacy `FrameworkInfo.role` against `roles`
pub fn validate_framework_info(info: &v1::FrameworkInfo) -> Result<(), String> {
    let multi = info
        .capabilities
        .iter()
        .any(|c| c.r#type == Some(Capability::MultiRole as i32));
    if multi {
        if info.role.is_some() {
            return Err(
                "'FrameworkInfo.role' must not be set when MULTI_ROLE capability is set".into(),
            );
        }
        let mut seen = HashSet::new();
        for role in &info.roles {
            if role != "*" {
                validate_role(role)?;
            }
            if !seen.insert(role) {
                return Err(format!(
                    "'FrameworkInfo.roles' contains duplicate items: {role}"
                ));
            }
        }
    } else {
        if !info.roles.is_empty() {
            return Err(
                "'FrameworkInfo.roles' must not be set when MULTI_ROLE capability is not set"
                    .into(),
            );
        }
        if let Some(role) = &info.role {
            if role != "*" {
                validate_role(role)?;
            }
        }
    }
    if let Some(id) = &info.id {
        if id.value.contains('/') {
            return Err(format!("Invalid framework id '{}'", id.value));
        }
    }
    Ok(())
}

/// A path component from an id: never a separator, never "." or "..".
fn sanitize(id: &str) -> String {
    if id.is_empty() || id == "." || id == ".." {
        return "_".repeat(id.len().max(1));
    }
    id.chars()
        .map(|c| if c == '/' || c == '\0' { '_' } else { c })
        .collect()
}

fn kill_process_group(pid: u32, signal: i32) {
    // SAFETY: signals a process group this cluster created.
    unsafe {
        libc::kill(-(pid as i32), signal);
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGTERM => "Terminated".into(),
        libc::SIGKILL => "Killed".into(),
        libc::SIGINT => "Interrupt".into(),
        libc::SIGSEGV => "Segmentation fault".into(),
        libc::SIGABRT => "Aborted".into(),
        other => format!("{other}"),
    }
}

fn spawn_command(
    command: &v1::CommandInfo,
    sandbox: &Path,
    fw_id: &str,
    agent_id: &str,
    task_id: &str,
    executor_id: &str,
) -> std::io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    std::fs::create_dir_all(sandbox)?;
    let stdout = std::fs::File::create(sandbox.join("stdout"))?;
    let stderr = std::fs::File::create(sandbox.join("stderr"))?;
    let value = command.value.clone().unwrap_or_default();
    let shell = command.shell.unwrap_or(true);
    let mut cmd = if shell {
        if value.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "CommandInfo.value is empty",
            ));
        }
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(&value);
        c
    } else {
        if value.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "CommandInfo.value is empty",
            ));
        }
        let mut c = Command::new(&value);
        if let Some(arg0) = command.arguments.first() {
            c.arg0(arg0);
        }
        c.args(command.arguments.iter().skip(1));
        c
    };
    cmd.current_dir(sandbox)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .env("MESOS_SANDBOX", sandbox)
        .env("MESOS_DIRECTORY", sandbox)
        .env("MESOS_TASK_ID", task_id)
        .env("MESOS_AGENT_ID", agent_id)
        .env("MESOS_SLAVE_ID", agent_id)
        .env("MESOS_FRAMEWORK_ID", fw_id)
        .env("MESOS_EXECUTOR_ID", executor_id);
    if let Some(env) = &command.environment {
        for var in &env.variables {
            cmd.env(&var.name, var.value.clone().unwrap_or_default());
        }
    }
    // A task must not inherit the signal state of whatever thread started the cluster
    // (a driver's threads block signals; hosts ignore some): with SIGTERM blocked or
    // ignored, a kill would always wait for the SIGKILL escalation.
    let last_signal = libc::SIGRTMAX();
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
    // calls (sigemptyset, pthread_sigmask, sigaction through signal) on values it owns.
    unsafe {
        cmd.pre_exec(move || {
            reset_signal_state(last_signal);
            Ok(())
        });
    }
    cmd.spawn()
}

/// In a forked child: no blocked signals, every signal's disposition the default.
/// (Signals the C library reserves for itself refuse the change; that is fine.)
///
/// # Safety
/// Only between fork and exec (it changes the whole process's signal state).
unsafe fn reset_signal_state(last_signal: i32) {
    let mut empty: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut empty);
    libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    for signal in 1..=last_signal {
        if signal != libc::SIGKILL && signal != libc::SIGSTOP {
            libc::signal(signal, libc::SIG_DFL);
        }
    }
}
