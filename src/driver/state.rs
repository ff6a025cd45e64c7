//! The driver's shared state: what every thread reads and changes under one lock, the
//! queues between the threads, and the helpers every thread uses (abort, fatal, signals).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex, MutexGuard};

use super::calls::{self, call_type, FrameworkFacts};
use super::dispatcher::{DispatchSender, PollSignal};
use super::gate::PauseHook;
use super::options::Options;
use super::{Scheduler, Status};
use crate::detector::Detector;
use crate::http::TransportConfig;
use crate::log::{Level, Logger};
use crate::log_at;
use crate::proto::envelope;

/// Work for the dispatcher thread, in delivery order.
pub(crate) enum Dispatch {
    Registered {
        framework_id: Bytes,
        master_info: Bytes,
    },
    Reregistered {
        master_info: Bytes,
    },
    Disconnected,
    Event(Box<envelope::Event>),
    /// A TaskStatus made by the driver itself (never acknowledged).
    SyntheticUpdate(Vec<u8>),
    /// `abort_first`: abort the driver before the callback (unless no longer running);
    /// otherwise the driver was already aborted by whoever queued this.
    Error {
        message: String,
        abort_first: bool,
    },
    /// Wakes a waiting `poll` (the driver left RUNNING); no callback.
    Wake,
    Exit,
}

/// Work for the sender thread, in order.
pub(crate) enum Outgoing {
    Call {
        body: Vec<u8>,
        kind: i32,
        /// `Connection::generation` of the subscription it was made for: a call still
        /// queued when that subscription ends is dropped, never sent on the next one.
        generation: u64,
    },
    /// An ACKNOWLEDGE call: those of one task (same `task_key`) leave in the order they
    /// were queued, those of different tasks may overlap (`ack.connections`).
    Acknowledge {
        body: Vec<u8>,
        task_key: u64,
        generation: u64,
    },
    /// Close the subscription once everything queued before has been sent, then exit.
    Stop,
    /// stop(false) after an abort that closed a live subscription: subscribe once more
    /// (same framework id) just to send TEARDOWN, as the classic driver still could.
    TeardownAfterAbort,
}

/// The current subscription, once SUBSCRIBED arrived.
pub(crate) struct Connection {
    pub endpoint: String,
    pub stream_id: String,
    /// The calls' keep-alive agent of this subscription only: shut down when the
    /// subscription ends, so that a call hanging on a dead master ends at once.
    pub call_agent: ureq::Agent,
    /// The SUBSCRIBE attempt it came from (`State::stream_generation`).
    pub generation: u64,
}

pub(crate) struct State {
    pub status: Status,
    pub options: Options,
    /// The user's FrameworkInfo with user/hostname filled in (by appending).
    pub framework_info: Vec<u8>,
    pub facts: FrameworkFacts,
    /// Serialized FrameworkID: from the FrameworkInfo, then from SUBSCRIBED.
    pub framework_id: Option<Bytes>,
    pub suppressed_roles: BTreeSet<String>,
    pub offer_constraints: Option<Bytes>,
    /// Shared with the calls in flight, which read it without the lock.
    pub connection: Option<Arc<Connection>>,
    pub registered_once: bool,
    /// The agent of the current SUBSCRIBE attempt; `shutdown` closes its socket.
    pub stream_agent: Option<ureq::Agent>,
    pub stream_generation: u64,
    pub call_agent: Option<ureq::Agent>,
    /// Silence allowed on the current stream before it counts as dead.
    pub watchdog: Option<Duration>,
    /// Base URL of the leader of the current attempt.
    pub attempt_leader: Option<String>,
    pub dispatch_tx: Option<DispatchSender>,
    /// Poll mode: the event fd, from `set_option("dispatch", "poll")` until the driver
    /// is dropped.
    pub poll_signal: Option<Arc<PollSignal>>,
    /// Poll mode: the dispatch queue and the scheduler, held by the thread whose turn it
    /// is to run callbacks (None while a poller has them, and before start).
    pub poll_turn: Option<(mpsc::Receiver<Dispatch>, Box<dyn Scheduler>)>,
    pub send_tx: Option<mpsc::Sender<Outgoing>>,
    /// After a stop: when the monitor closes a stream the sender has not closed yet.
    pub stopped_at: Option<Instant>,
    pub sender_done: bool,
    /// The driver was subscribed when it was aborted (a later stop(false) tears down).
    pub connected_at_abort: bool,
    /// The short-lived subscription of a teardown after abort.
    pub teardown_agent: Option<ureq::Agent>,
    /// The thread running one of this driver's callbacks right now (the callback gate).
    pub callback_thread: Option<ThreadId>,
    /// Threads in `wait_until_finished` (join/run): woken when a callback ends.
    pub finish_waiters: usize,
    /// The driver aborted itself on a fatal error whose `error` callback has not run yet
    /// (join waits for it); a user's stop() or abort() cancels it.
    pub error_owed: bool,
}

pub(crate) struct Shared {
    pub logger: Logger,
    pub implicit_acks: bool,
    pub detector: Arc<dyn Detector>,
    /// The in-process cluster of master `local`, owned by the driver.
    pub local: Mutex<Option<Arc<crate::local::LocalCluster>>>,
    pub credential: Option<(String, Vec<u8>)>,
    pub state: Mutex<State>,
    pub changed: Condvar,
    pub last_errors: ThreadErrors,
    /// Test-only: where the dispatcher may be held (see `Driver::set_pause_hook`).
    pub pause_hook: Mutex<Option<PauseHook>>,
    pub scheduler: Mutex<Option<Box<dyn Scheduler>>>,
    pub threads: Mutex<Vec<JoinHandle<()>>>,
    /// Milliseconds since `epoch` when the stream last delivered bytes.
    pub last_activity_ms: AtomicU64,
    pub epoch: Instant,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    pub fn is_running(&self) -> bool {
        self.lock().status == Status::Running
    }

    /// Records a usage error of the calling thread.
    pub fn record_error(&self, message: &str) {
        self.last_errors.record(message);
    }

    pub(crate) fn touch(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_activity_ms.store(now, Ordering::Relaxed);
    }

    pub(crate) fn silence(&self) -> Duration {
        let now = self.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_activity_ms.load(Ordering::Relaxed)))
    }

    /// Forgets the subscription and interrupts its calls in flight (calls are dropped
    /// while disconnected, as by the classic driver; the master re-sends status updates
    /// that were not acknowledged).
    pub fn end_connection(state: &mut State) {
        if let Some(connection) = state.connection.take() {
            connection.call_agent.clone().shutdown();
        }
    }

    /// Closes the subscription socket now (the master sees the stream end).
    pub fn close_stream(&self) {
        let agent = self.lock().stream_agent.take();
        if let Some(agent) = agent {
            agent.shutdown();
        }
    }

    pub fn dispatch(state: &State, item: Dispatch) {
        if let Some(tx) = &state.dispatch_tx {
            tx.send(item);
        }
    }

    /// Queues the acknowledgement of `task_status`; statuses without uuid or agent id
    /// need none and are dropped here.
    pub fn acknowledge(&self, state: &State, task_status: &[u8]) {
        if let Some(target) = calls::ack_target(task_status) {
            self.queue_ack(state, target);
        }
    }

    /// Queues the acknowledgement of `target` (see `calls::ack_target`).
    pub fn queue_ack(&self, state: &State, target: calls::AckTarget) {
        let ack = target.call(state.framework_id.as_ref());
        self.queue_if_connected(state, call_type::ACKNOWLEDGE, |generation| {
            Outgoing::Acknowledge {
                body: ack.body,
                task_key: ack.task_key,
                generation,
            }
        });
    }

    /// Queues a call (not an acknowledgement) if subscribed; returns false if it was
    /// dropped (disconnected).
    pub fn send_if_connected(&self, state: &State, body: Vec<u8>, kind: i32) -> bool {
        self.queue_if_connected(state, kind, |generation| Outgoing::Call {
            body,
            kind,
            generation,
        })
    }

    /// Queues what `outgoing` makes for the current subscription's generation, if
    /// subscribed; returns false if it was dropped (disconnected).
    fn queue_if_connected(
        &self,
        state: &State,
        kind: i32,
        outgoing: impl FnOnce(u64) -> Outgoing,
    ) -> bool {
        let Some(connection) = &state.connection else {
            log_at!(
                self.logger,
                Level::Debug,
                "dropping call {kind}: not connected to a master"
            );
            return false;
        };
        if let Some(tx) = &state.send_tx {
            let _ = tx.send(outgoing(connection.generation));
        }
        true
    }

    /// The user's abort: aborts if running and cancels an `error` callback not yet begun
    /// (once abort returns, no callback starts).
    pub fn abort(&self) -> Status {
        let agents = {
            let mut state = self.lock();
            state.error_owed = false;
            if state.status != Status::Running {
                return state.status;
            }
            self.abort_locked(&mut state)
        };
        self.finish_abort(agents);
        Status::Aborted
    }

    /// Leaves RUNNING for ABORTED under the caller's lock; the connections to shut once
    /// the lock is released (`finish_abort`).
    pub(crate) fn abort_locked(&self, state: &mut State) -> [Option<ureq::Agent>; 2] {
        state.status = Status::Aborted;
        state.connected_at_abort = state.connection.is_some();
        let calls = state.connection.take().map(|c| c.call_agent.clone());
        self.changed.notify_all();
        Self::dispatch(state, Dispatch::Wake);
        [state.stream_agent.take(), calls]
    }

    pub(crate) fn finish_abort(&self, agents: [Option<ureq::Agent>; 2]) {
        log_at!(self.logger, Level::Info, "driver aborted");
        for agent in agents.into_iter().flatten() {
            agent.shutdown();
        }
    }

    /// What the master refused for good: abort, then the error callback, unless the
    /// driver had already left RUNNING (then the error only goes to the log).
    pub fn fatal(&self, message: &str) {
        log_at!(self.logger, Level::Error, "fatal: {message}");
        let agents = {
            let mut state = self.lock();
            if state.status != Status::Running {
                return;
            }
            let agents = self.abort_locked(&mut state);
            // The master ended this framework's subscription (or never accepted it): a
            // later stop(false) must not subscribe again just to tear down.
            state.connected_at_abort = false;
            state.error_owed = true;
            Self::dispatch(
                &state,
                Dispatch::Error {
                    message: message.to_string(),
                    abort_first: false,
                },
            );
            agents
        };
        self.finish_abort(agents);
    }
    /// Waits up to `timeout` or until the status leaves RUNNING; true if still running.
    pub(crate) fn sleep_while_running(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while state.status == Status::Running {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        state.status == Status::Running
    }

    pub fn transport_config(&self, options: &Options) -> TransportConfig {
        TransportConfig {
            ca_certificates: options.tls_ca_pem.clone(),
            verify: options.tls_verify,
            credential: self.credential.clone(),
            request_timeout: options.request_timeout,
            connect_timeout: options.connect_timeout,
        }
    }
}

/// The last usage error of each thread that called into one driver (errno-like); a
/// failure of a background thread is logged, never stored here.
#[derive(Default)]
pub(crate) struct ThreadErrors {
    entries: Mutex<Vec<(ThreadId, String)>>,
}

impl ThreadErrors {
    /// Threads remembered per driver; the oldest is forgotten beyond this.
    const MAX_THREADS: usize = 64;

    pub fn record(&self, message: &str) {
        let me = std::thread::current().id();
        let mut entries = self.entries.lock();
        entries.retain(|(thread, _)| *thread != me);
        if entries.len() >= Self::MAX_THREADS {
            entries.remove(0);
        }
        entries.push((me, message.to_string()));
    }

    pub fn of_current_thread(&self) -> String {
        let me = std::thread::current().id();
        let entries = self.entries.lock();
        entries
            .iter()
            .find(|(thread, _)| *thread == me)
            .map(|(_, message)| message.clone())
            .unwrap_or_default()
    }
}

/// Runs `f` with every signal blocked on this thread, so that the threads it starts
/// inherit the blocked mask (signals stay with the host's own threads; child processes
/// get a clean mask from std::process).
pub(crate) fn with_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain libc signal-mask calls on valid, zero-initialised sigset_t values;
    // this thread gets its old mask back before returning.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let result = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        result
    }
}

/// Spawns a worker thread with every signal blocked.
pub(crate) fn spawn_worker(
    name: &str,
    body: impl FnOnce() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    with_signals_blocked(|| {
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(body)
    })
}
