//! The classic scheduler driver (MesosSchedulerDriver semantics) over the v1 HTTP API.
//!
//! Public Rust API; `src/ffi` is a thin layer over it. No FFI types here.
//!
//! Threading model: the driver owns a connection thread (detector + SUBSCRIBE stream +
//! RecordIO decoding + watchdog), a sender thread (calls on their own keep-alive
//! connection, in order) and one dispatcher thread that runs `Scheduler` callbacks one at
//! a time. Driver methods validate their arguments, enqueue work and return at once. No
//! library lock is held while a callback runs.

use std::fmt;

/// Driver status; numbering identical to mesos.proto's `Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    NotStarted = 1,
    Running = 2,
    Aborted = 3,
    Stopped = 4,
}

/// A usage error: the call did nothing and the driver's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A required pointer/argument was missing (used by the FFI layer).
    NullArgument(String),
    /// Unparsable protobuf, invalid UTF-8, bad master string, unknown option...
    InvalidArgument(String),
    /// join/run/free from inside a callback.
    CalledFromCallback(String),
    /// The call is not allowed in the current state/mode.
    InvalidState(String),
    /// An internal bug caught at the FFI boundary.
    Panic(String),
}

impl Error {
    /// The negative status code of the C ABI.
    pub fn code(&self) -> i32 {
        match self {
            Error::NullArgument(_) => -1,
            Error::InvalidArgument(_) => -2,
            Error::CalledFromCallback(_) => -3,
            Error::InvalidState(_) => -4,
            Error::Panic(_) => -5,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Error::NullArgument(m)
            | Error::InvalidArgument(m)
            | Error::CalledFromCallback(m)
            | Error::InvalidState(m)
            | Error::Panic(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

/// Scheduler callbacks. Every protobuf argument is the serialized message (v1 encoding,
/// wire-identical to v0), borrowed for the duration of the call. All methods default to
/// doing nothing. Callbacks run one at a time on the driver's dispatcher thread; every
/// `Driver` method may be called from inside them except `join`/`run` (which return
/// `Error::CalledFromCallback`).
#[allow(unused_variables)]
pub trait Scheduler: Send {
    fn registered(&mut self, driver: &Driver, framework_id: &[u8], master_info: &[u8]) {}
    fn reregistered(&mut self, driver: &Driver, master_info: &[u8]) {}
    fn disconnected(&mut self, driver: &Driver) {}
    fn resource_offers(&mut self, driver: &Driver, offers: &[&[u8]]) {}
    fn offer_rescinded(&mut self, driver: &Driver, offer_id: &[u8]) {}
    fn status_update(&mut self, driver: &Driver, task_status: &[u8]) {}
    fn framework_message(
        &mut self,
        driver: &Driver,
        executor_id: &[u8],
        agent_id: &[u8],
        data: &[u8],
    ) {
    }
    fn slave_lost(&mut self, driver: &Driver, agent_id: &[u8]) {}
    fn executor_lost(&mut self, driver: &Driver, executor_id: &[u8], agent_id: &[u8], status: i32) {
    }
    fn error(&mut self, driver: &Driver, message: &str) {}
    // Extensions beyond the classic API.
    fn inverse_offers(&mut self, driver: &Driver, inverse_offers: &[&[u8]]) {}
    fn inverse_offer_rescinded(&mut self, driver: &Driver, inverse_offer_id: &[u8]) {}
    fn operation_status(&mut self, driver: &Driver, operation_status: &[u8]) {}
    fn heartbeat(&mut self, driver: &Driver) {}
}

/// A scheduler driver handle. Cheap to clone (shared state); all methods are safe from
/// any thread, including from inside callbacks.
#[derive(Clone)]
pub struct Driver {
    // implementation detail; see driver implementation
    inner: std::sync::Arc<()>,
}

impl Driver {
    /// Creates a driver. `framework_info` is a serialized FrameworkInfo (v0 or v1);
    /// `master` is `host:port`, `master@host:port`, `http(s)://host:port[/path]`,
    /// `zk://...`, `file:///path` or `local`; `credential` an optional serialized
    /// Credential. Nothing is started or connected until `start`.
    pub fn new(
        scheduler: Box<dyn Scheduler>,
        framework_info: &[u8],
        master: &str,
        credential: Option<&[u8]>,
        implicit_acknowledgements: bool,
    ) -> Result<Driver, Error> {
        let _ = (
            scheduler,
            framework_info,
            master,
            credential,
            implicit_acknowledgements,
        );
        todo!()
    }

    /// Sets an option (see ABI.md); only before `start`.
    pub fn set_option(&self, key: &str, value: &str) -> Result<(), Error> {
        let _ = (key, value);
        todo!()
    }

    pub fn start(&self) -> Status {
        todo!()
    }
    pub fn stop(&self, failover: bool) -> Status {
        let _ = failover;
        todo!()
    }
    pub fn abort(&self) -> Status {
        todo!()
    }
    pub fn join(&self) -> Result<Status, Error> {
        todo!()
    }
    pub fn run(&self) -> Result<Status, Error> {
        todo!()
    }
    pub fn status(&self) -> Status {
        todo!()
    }

    pub fn request_resources(&self, requests: &[&[u8]]) -> Result<Status, Error> {
        let _ = requests;
        todo!()
    }
    pub fn launch_tasks(
        &self,
        offer_ids: &[&[u8]],
        tasks: &[&[u8]],
        filters: Option<&[u8]>,
    ) -> Result<Status, Error> {
        let _ = (offer_ids, tasks, filters);
        todo!()
    }
    pub fn kill_task(&self, task_id: &[u8]) -> Result<Status, Error> {
        let _ = task_id;
        todo!()
    }
    pub fn accept_offers(
        &self,
        offer_ids: &[&[u8]],
        operations: &[&[u8]],
        filters: Option<&[u8]>,
    ) -> Result<Status, Error> {
        let _ = (offer_ids, operations, filters);
        todo!()
    }
    pub fn decline_offer(&self, offer_id: &[u8], filters: Option<&[u8]>) -> Result<Status, Error> {
        let _ = (offer_id, filters);
        todo!()
    }
    /// `roles: None` = all roles.
    pub fn revive_offers(&self, roles: Option<&[&str]>) -> Result<Status, Error> {
        let _ = roles;
        todo!()
    }
    /// `roles: None` = all roles.
    pub fn suppress_offers(&self, roles: Option<&[&str]>) -> Result<Status, Error> {
        let _ = roles;
        todo!()
    }
    pub fn acknowledge_status_update(&self, task_status: &[u8]) -> Result<Status, Error> {
        let _ = task_status;
        todo!()
    }
    pub fn send_framework_message(
        &self,
        executor_id: &[u8],
        agent_id: &[u8],
        data: &[u8],
    ) -> Result<Status, Error> {
        let _ = (executor_id, agent_id, data);
        todo!()
    }
    pub fn reconcile_tasks(&self, statuses: &[&[u8]]) -> Result<Status, Error> {
        let _ = statuses;
        todo!()
    }
    pub fn update_framework(
        &self,
        framework_info: &[u8],
        suppressed_roles: &[&str],
        offer_constraints: Option<&[u8]>,
    ) -> Result<Status, Error> {
        let _ = (framework_info, suppressed_roles, offer_constraints);
        todo!()
    }

    /// The message of the last usage error or failed call on this handle ("" if none).
    pub fn last_error(&self) -> String {
        todo!()
    }
    /// Records a usage error message (the FFI layer reports its own checks here too).
    pub fn set_last_error(&self, message: &str) {
        let _ = message;
        todo!()
    }
    /// True when the calling thread is this driver's dispatcher thread (inside a callback).
    pub fn in_callback(&self) -> bool {
        todo!()
    }
}
