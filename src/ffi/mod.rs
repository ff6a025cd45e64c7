//! The C ABI (shared/ABI.md): a thin layer over [`crate::driver`]. The header
//! `include/mesos_sched.h` is generated from this module by cbindgen (cbindgen.toml);
//! the `///` comments here are its documentation.
//!
//! Every export runs inside one panic boundary ([`boundary::boundary`]), checks its
//! pointers before use and reports failures as negative status codes with a message
//! readable through `mesos_sched_driver_last_error`.

#![allow(non_camel_case_types)]
// Exports are `unsafe extern "C"`: their safety contract is the header's documentation.
#![allow(clippy::missing_safety_doc)]

mod boundary;
mod scheduler;

use std::ffi::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub use scheduler::mesos_sched_scheduler;

use boundary::{
    boundary, bytes_arg, bytes_array_arg, optional_bytes_arg, record_error, require_driver,
    str_arg, str_array_arg,
};
use scheduler::{CScheduler, HandleCell};

use crate::driver::{Driver, Error, Status};

/// Result of every driver function: the driver's status (positive, numbered as
/// mesos.proto's `Status`) or a usage error (negative; the call did nothing and the
/// driver's state is unchanged; `mesos_sched_driver_last_error` tells why).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum mesos_sched_status {
    /// Created, not started yet.
    MESOS_SCHED_STATUS_DRIVER_NOT_STARTED = 1,
    /// Started: connecting, subscribed or reconnecting.
    MESOS_SCHED_STATUS_DRIVER_RUNNING = 2,
    /// Aborted (by `mesos_sched_driver_abort` or after an error callback).
    MESOS_SCHED_STATUS_DRIVER_ABORTED = 3,
    /// Stopped.
    MESOS_SCHED_STATUS_DRIVER_STOPPED = 4,
    /// A required pointer was NULL (or an array was NULL with a non-zero count).
    MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT = -1,
    /// Bad protobuf, bad UTF-8, bad master string, unknown option or bad option value.
    MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT = -2,
    /// join/run/free called inside a callback of the same driver.
    MESOS_SCHED_STATUS_ERROR_CALLED_FROM_CALLBACK = -3,
    /// Not allowed now, e.g. an explicit ack with implicit acks on, an option after start.
    MESOS_SCHED_STATUS_ERROR_INVALID_STATE = -4,
    /// An internal bug was caught at the boundary; the message says where.
    MESOS_SCHED_STATUS_ERROR_PANIC = -5,
}

impl From<Status> for mesos_sched_status {
    fn from(status: Status) -> Self {
        match status {
            Status::NotStarted => mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_NOT_STARTED,
            Status::Running => mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_RUNNING,
            Status::Aborted => mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_ABORTED,
            Status::Stopped => mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_STOPPED,
        }
    }
}

impl mesos_sched_status {
    pub(crate) fn from_error(error: &Error) -> Self {
        match error {
            Error::NullArgument(_) => mesos_sched_status::MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT,
            Error::InvalidArgument(_) => {
                mesos_sched_status::MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT
            }
            Error::CalledFromCallback(_) => {
                mesos_sched_status::MESOS_SCHED_STATUS_ERROR_CALLED_FROM_CALLBACK
            }
            Error::InvalidState(_) => mesos_sched_status::MESOS_SCHED_STATUS_ERROR_INVALID_STATE,
            Error::Panic(_) => mesos_sched_status::MESOS_SCHED_STATUS_ERROR_PANIC,
        }
    }
}

/// An opaque scheduler driver handle, created by `mesos_sched_driver_new` and released
/// by `mesos_sched_driver_free`. Safe to use from any thread, but not once
/// `mesos_sched_driver_free` has begun (calls already running are waited for).
pub struct mesos_sched_driver {
    driver: Driver,
    /// Process that created the handle: a forked child has none of its threads.
    creation_pid: u32,
    /// Exported calls currently running on this handle (free included).
    calls_in_progress: AtomicUsize,
}

/// Marks one exported call as running on a handle until dropped.
pub(crate) struct CallInProgress<'a>(&'a AtomicUsize);

impl Drop for CallInProgress<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Release);
    }
}

impl mesos_sched_driver {
    pub(crate) fn enter_call(&self) -> CallInProgress<'_> {
        self.calls_in_progress.fetch_add(1, Ordering::Acquire);
        CallInProgress(&self.calls_in_progress)
    }

    /// Waits until free is the only call left on the handle. Other calls return soon
    /// once the driver is stopped (join/run are released by the stop).
    fn wait_for_other_calls(&self) {
        while self.calls_in_progress.load(Ordering::Acquire) > 1 {
            // A concurrent run may have started the driver after free's stop.
            self.driver.stop_for_release();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// True when called from inside one of this driver's callbacks.
    fn in_callback(&self) -> bool {
        self.driver.in_callback()
    }

    fn refuse_in_callback(&self, function: &str) -> Result<(), Error> {
        if self.in_callback() {
            return Err(Error::CalledFromCallback(format!(
                "{function} called from inside a callback of this driver; \
                 it would wait for the callback itself"
            )));
        }
        Ok(())
    }
}

/// Runs `body` inside the boundary on the handle behind `driver`; a NULL `driver` is
/// NULL_ARGUMENT naming `function`.
unsafe fn with_driver(
    driver: *const mesos_sched_driver,
    function: &str,
    body: impl FnOnce(&mesos_sched_driver) -> Result<mesos_sched_status, Error>,
) -> mesos_sched_status {
    let handle = driver.as_ref();
    boundary(handle, || body(require_driver(handle, function)?))
}

fn status_of(result: Result<Status, Error>) -> Result<mesos_sched_status, Error> {
    result.map(mesos_sched_status::from)
}

/// Creates a driver; nothing is started or connected until `mesos_sched_driver_start`.
///
/// - `scheduler`: the callbacks, copied (only its first `struct_size` bytes are read);
///   required. A `struct_size` smaller than `sizeof(size_t)` is INVALID_ARGUMENT.
/// - `user_data`: passed back untouched to every callback; may be NULL.
/// - `framework_info`: a serialized FrameworkInfo (v0 or v1), copied. An empty `user` is
///   filled with the OS user, an empty `hostname` with the host name.
/// - `master`: NUL-terminated UTF-8: `host:port`, `master@host:port`,
///   `http(s)://host:port[/path]`, `zk://[user:pass@]h1:p1,h2:p2/path`, `file:///path`
///   or `local` (an in-process cluster). A malformed string is INVALID_ARGUMENT.
/// - `credential`: a serialized Credential, copied; NULL with length 0 = none.
/// - `implicit_acknowledgements`: true = the driver acknowledges each status update
///   after the status_update callback returns; false = the caller must call
///   `mesos_sched_driver_acknowledge_status_update`.
/// - `driver_out`: receives the new handle, owned by the caller (release it with
///   `mesos_sched_driver_free`); written only on success.
///
/// Returns MESOS_SCHED_STATUS_DRIVER_NOT_STARTED on success, else a negative code. On
/// failure no handle exists: call `mesos_sched_driver_last_error(NULL, ...)` on the same
/// thread to get the message. Any thread.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_new(
    scheduler: *const mesos_sched_scheduler,
    user_data: *mut c_void,
    framework_info: *const u8,
    framework_info_len: usize,
    master: *const c_char,
    credential: *const u8,
    credential_len: usize,
    implicit_acknowledgements: bool,
    driver_out: *mut *mut mesos_sched_driver,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_new";
    boundary(None, || {
        if scheduler.is_null() {
            return Err(Error::NullArgument(format!("{F}: scheduler is NULL")));
        }
        if driver_out.is_null() {
            return Err(Error::NullArgument(format!("{F}: driver_out is NULL")));
        }
        let vtable = scheduler::copy_vtable(scheduler, F)?;
        let framework_info = bytes_arg(framework_info, framework_info_len, F, "framework_info")?;
        let master = str_arg(master, F, "master")?;
        let credential = optional_bytes_arg(credential, credential_len, F, "credential")?;

        let handle_cell = HandleCell::default();
        let callbacks = CScheduler::new(vtable, user_data, handle_cell.clone());
        let driver = Driver::new(
            Box::new(callbacks),
            framework_info,
            master,
            credential,
            implicit_acknowledgements,
        )?;
        let handle = Box::into_raw(Box::new(mesos_sched_driver {
            driver,
            creation_pid: std::process::id(),
            calls_in_progress: AtomicUsize::new(0),
        }));
        // Before any start: the driver's callback gate keeps callbacks from running
        // before this or after free's join.
        handle_cell.set(handle);
        *driver_out = handle;
        Ok(mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_NOT_STARTED)
    })
}

/// Sets an option before `mesos_sched_driver_start`; `key` and `value` are
/// NUL-terminated UTF-8, copied. Keys: `suppressed_roles` (comma-separated),
/// `tls.ca_file`, `tls.verify` (true/false), `heartbeat.timeout_factor`,
/// `backoff.initial_ms`, `backoff.max_ms`, `request.timeout_ms`, `connect.timeout_ms`,
/// `recordio.max_record_bytes`, `ack.connections` (acknowledgements may overlap on this
/// many connections, default 4; other calls stay in order after them), `log.level`
/// (off/error/warn/info/debug/trace), `dispatch` (`thread`, the default: a driver thread
/// runs the callbacks; `poll`: they run only inside `mesos_sched_driver_poll`, join and
/// run, on the calling thread).
///
/// Returns the current status (NOT_STARTED) on success; INVALID_ARGUMENT for an unknown
/// key or a bad value; INVALID_STATE once started. Any thread.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_set_option(
    driver: *mut mesos_sched_driver,
    key: *const c_char,
    value: *const c_char,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_set_option";
    with_driver(driver, F, |handle| {
        let key = str_arg(key, F, "key")?;
        let value = str_arg(value, F, "value")?;
        handle.driver.set_option(key, value)?;
        Ok(handle.driver.status().into())
    })
}

/// Starts the driver (connects and subscribes in the background) if it was never
/// started; returns RUNNING, or the current status if it had already been started.
/// Any thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_start(
    driver: *mut mesos_sched_driver,
) -> mesos_sched_status {
    with_driver(driver, "mesos_sched_driver_start", |handle| {
        Ok(handle.driver.start().into())
    })
}

/// Stops the driver if it is running or aborted. `failover` false tears the framework
/// down (the master kills its tasks) when connected; true leaves the framework and its
/// tasks to a failover scheduler. Releases `mesos_sched_driver_join`. Returns ABORTED if
/// the driver had been aborted, else STOPPED (or the current status if it had not been
/// started). Any thread, also inside a callback. Once it returns no callback begins (a
/// callback already in progress on another thread finishes; `mesos_sched_driver_join`
/// waits for it).
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_stop(
    driver: *mut mesos_sched_driver,
    failover: bool,
) -> mesos_sched_status {
    with_driver(driver, "mesos_sched_driver_stop", |handle| {
        Ok(handle.driver.stop(failover).into())
    })
}

/// Aborts a running driver: no teardown (tasks keep running), and
/// `mesos_sched_driver_join` returns. Returns ABORTED, or the current status if it was
/// not running. Any thread, also inside a callback. Once it returns no callback begins,
/// not even the `error` callback of a failure the driver met just before (a callback
/// already in progress on another thread finishes; join waits for it).
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_abort(
    driver: *mut mesos_sched_driver,
) -> mesos_sched_status {
    with_driver(driver, "mesos_sched_driver_abort", |handle| {
        Ok(handle.driver.abort().into())
    })
}

/// Blocks until the driver is stopped or aborted and no callback runs any more, and
/// returns that status; returns at once if it was never started. When the driver aborts
/// itself on an error, join returns after the `error` callback has returned. So after
/// stop + join nothing of the driver runs user code. Any thread except inside one of
/// this driver's callbacks (CALLED_FROM_CALLBACK).
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_join(
    driver: *mut mesos_sched_driver,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_join";
    with_driver(driver, F, |handle| {
        handle.refuse_in_callback(F)?;
        status_of(handle.driver.join())
    })
}

/// `mesos_sched_driver_start` then `mesos_sched_driver_join`: returns the final status.
/// Any thread except inside one of this driver's callbacks (CALLED_FROM_CALLBACK).
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_run(
    driver: *mut mesos_sched_driver,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_run";
    with_driver(driver, F, |handle| {
        handle.refuse_in_callback(F)?;
        status_of(handle.driver.run())
    })
}

/// Poll mode (option `dispatch=poll`, set before start): runs the pending callbacks one
/// at a time on the calling thread. Waits up to `timeout_ms` for the first: -1 = until at
/// least one callback ran or the driver is no longer RUNNING, 0 = never waits; below -1
/// is INVALID_ARGUMENT. `*dispatched_out` (may be NULL) = how many callbacks ran, written
/// on success. Returns the driver's status; INVALID_STATE in thread mode;
/// CALLED_FROM_CALLBACK inside a callback. Any thread; two threads polling at once take
/// turns, so callbacks never overlap. Callbacks run with the calling thread's signal
/// mask. In poll mode `mesos_sched_driver_join` and `mesos_sched_driver_run` also run
/// the callbacks while they wait.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_poll(
    driver: *mut mesos_sched_driver,
    timeout_ms: i32,
    dispatched_out: *mut usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_poll";
    with_driver(driver, F, |handle| {
        let timeout = match timeout_ms {
            -1 => None,
            ms if ms >= 0 => Some(Duration::from_millis(ms as u64)),
            ms => {
                return Err(Error::InvalidArgument(format!(
                    "{F}: timeout_ms is {ms} (expected -1 or >= 0)"
                )))
            }
        };
        let (status, dispatched) = handle.driver.poll(timeout)?;
        if !dispatched_out.is_null() {
            *dispatched_out = dispatched;
        }
        Ok(status.into())
    })
}

/// Poll mode: writes to `*fd_out` a descriptor that is readable while callbacks are
/// pending, for epoll/select/poll, asyncio or GHC's IO manager; then call
/// `mesos_sched_driver_poll`. The driver owns it (valid until free); never read, write
/// or close it. Returns the driver's status; NULL_ARGUMENT if `fd_out` is NULL;
/// INVALID_STATE in thread mode. Any thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_event_fd(
    driver: *mut mesos_sched_driver,
    fd_out: *mut c_int,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_event_fd";
    with_driver(driver, F, |handle| {
        if fd_out.is_null() {
            return Err(Error::NullArgument(format!("{F}: fd_out is NULL")));
        }
        let fd = handle.driver.event_fd()?;
        *fd_out = fd;
        Ok(handle.driver.status().into())
    })
}

/// Sends a REQUEST call with `request_count` serialized Request messages (borrowed for
/// the call). Returns the current status; does nothing unless RUNNING (dropped while
/// disconnected). Any thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_request_resources(
    driver: *mut mesos_sched_driver,
    requests: *const *const u8,
    request_lens: *const usize,
    request_count: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_request_resources";
    with_driver(driver, F, |handle| {
        let requests = bytes_array_arg(requests, request_lens, request_count, F, "requests")?;
        status_of(handle.driver.request_resources(&requests))
    })
}

/// Launches `task_count` serialized TaskInfo messages on the offers `offer_ids`
/// (serialized OfferIDs): an ACCEPT with one LAUNCH operation. `filters` (a serialized
/// Filters) may be NULL with length 0. All arguments are borrowed for the call. With no
/// tasks the offers are declined. Returns the current status; while disconnected every
/// task gets a TASK_LOST (TASK_DROPPED if PARTITION_AWARE) status update. Any thread,
/// also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_launch_tasks(
    driver: *mut mesos_sched_driver,
    offer_ids: *const *const u8,
    offer_id_lens: *const usize,
    offer_id_count: usize,
    tasks: *const *const u8,
    task_lens: *const usize,
    task_count: usize,
    filters: *const u8,
    filters_len: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_launch_tasks";
    with_driver(driver, F, |handle| {
        let offer_ids = bytes_array_arg(offer_ids, offer_id_lens, offer_id_count, F, "offer_ids")?;
        let tasks = bytes_array_arg(tasks, task_lens, task_count, F, "tasks")?;
        let filters = optional_bytes_arg(filters, filters_len, F, "filters")?;
        status_of(handle.driver.launch_tasks(&offer_ids, &tasks, filters))
    })
}

/// Asks the master to kill the task with the serialized TaskID `task_id` (borrowed).
/// Returns the current status. Any thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_kill_task(
    driver: *mut mesos_sched_driver,
    task_id: *const u8,
    task_id_len: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_kill_task";
    with_driver(driver, F, |handle| {
        let task_id = bytes_arg(task_id, task_id_len, F, "task_id")?;
        status_of(handle.driver.kill_task(task_id))
    })
}

/// Accepts the offers `offer_ids` (serialized OfferIDs) with `operation_count`
/// serialized Offer.Operation messages (an operation with `id` set is INVALID_ARGUMENT);
/// `filters` may be NULL with length 0. All borrowed for the call. Returns the current
/// status; while disconnected the tasks of LAUNCH operations get TASK_LOST/TASK_DROPPED
/// updates. Any thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_accept_offers(
    driver: *mut mesos_sched_driver,
    offer_ids: *const *const u8,
    offer_id_lens: *const usize,
    offer_id_count: usize,
    operations: *const *const u8,
    operation_lens: *const usize,
    operation_count: usize,
    filters: *const u8,
    filters_len: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_accept_offers";
    with_driver(driver, F, |handle| {
        let offer_ids = bytes_array_arg(offer_ids, offer_id_lens, offer_id_count, F, "offer_ids")?;
        let operations =
            bytes_array_arg(operations, operation_lens, operation_count, F, "operations")?;
        let filters = optional_bytes_arg(filters, filters_len, F, "filters")?;
        status_of(
            handle
                .driver
                .accept_offers(&offer_ids, &operations, filters),
        )
    })
}

/// Declines the offer `offer_id` (a serialized OfferID); `filters` may be NULL with
/// length 0. Borrowed for the call. Returns the current status. Any thread, also inside
/// a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_decline_offer(
    driver: *mut mesos_sched_driver,
    offer_id: *const u8,
    offer_id_len: usize,
    filters: *const u8,
    filters_len: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_decline_offer";
    with_driver(driver, F, |handle| {
        let offer_id = bytes_arg(offer_id, offer_id_len, F, "offer_id")?;
        let filters = optional_bytes_arg(filters, filters_len, F, "filters")?;
        status_of(handle.driver.decline_offer(offer_id, filters))
    })
}

/// Removes offer filters and unsuppresses offers for `roles` (NUL-terminated UTF-8,
/// borrowed); `roles` NULL with count 0 means all roles. Returns the current status;
/// while disconnected the change is sent with the next subscription. Any thread, also
/// inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_revive_offers(
    driver: *mut mesos_sched_driver,
    roles: *const *const c_char,
    role_count: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_revive_offers";
    with_driver(driver, F, |handle| {
        let roles = str_array_arg(roles, role_count, F, "roles")?;
        status_of(handle.driver.revive_offers(roles.as_deref()))
    })
}

/// Suppresses offers for `roles` (NUL-terminated UTF-8, borrowed); `roles` NULL with
/// count 0 means all roles. Returns the current status; while disconnected the change is
/// sent with the next subscription. Any thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_suppress_offers(
    driver: *mut mesos_sched_driver,
    roles: *const *const c_char,
    role_count: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_suppress_offers";
    with_driver(driver, F, |handle| {
        let roles = str_array_arg(roles, role_count, F, "roles")?;
        status_of(handle.driver.suppress_offers(roles.as_deref()))
    })
}

/// Acknowledges a status update (the serialized TaskStatus as received, borrowed); only
/// with implicit acknowledgements off, else INVALID_STATE. A status without uuid or
/// agent_id is dropped locally (nothing to acknowledge). Returns the current status. Any
/// thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_acknowledge_status_update(
    driver: *mut mesos_sched_driver,
    task_status: *const u8,
    task_status_len: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_acknowledge_status_update";
    with_driver(driver, F, |handle| {
        let task_status = bytes_arg(task_status, task_status_len, F, "task_status")?;
        status_of(handle.driver.acknowledge_status_update(task_status))
    })
}

/// Sends `data` to the executor `executor_id` on the agent `agent_id` (serialized
/// ExecutorID and AgentID); all borrowed for the call. Returns the current status. Any
/// thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_send_framework_message(
    driver: *mut mesos_sched_driver,
    executor_id: *const u8,
    executor_id_len: usize,
    agent_id: *const u8,
    agent_id_len: usize,
    data: *const u8,
    data_len: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_send_framework_message";
    with_driver(driver, F, |handle| {
        let executor_id = bytes_arg(executor_id, executor_id_len, F, "executor_id")?;
        let agent_id = bytes_arg(agent_id, agent_id_len, F, "agent_id")?;
        let data = bytes_arg(data, data_len, F, "data")?;
        status_of(
            handle
                .driver
                .send_framework_message(executor_id, agent_id, data),
        )
    })
}

/// Asks for the latest state of the tasks in `statuses` (serialized TaskStatus messages,
/// borrowed; task_id and optionally agent_id are used); none = all the framework's
/// tasks (implicit reconciliation). Answers arrive as status updates. Returns the current
/// status. Any thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_reconcile_tasks(
    driver: *mut mesos_sched_driver,
    statuses: *const *const u8,
    status_lens: *const usize,
    status_count: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_reconcile_tasks";
    with_driver(driver, F, |handle| {
        let statuses = bytes_array_arg(statuses, status_lens, status_count, F, "statuses")?;
        status_of(handle.driver.reconcile_tasks(&statuses))
    })
}

/// Replaces the FrameworkInfo (serialized; its id must be the registered one) and the
/// suppressed roles (NUL-terminated UTF-8; NULL with count 0 = none); `offer_constraints`
/// (a serialized OfferConstraints) may be NULL with length 0. All borrowed for the call.
/// Returns the current status; before registration or with another framework id the
/// driver aborts and the error callback runs, as the classic driver did. Any thread,
/// also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_update_framework(
    driver: *mut mesos_sched_driver,
    framework_info: *const u8,
    framework_info_len: usize,
    suppressed_roles: *const *const c_char,
    suppressed_role_count: usize,
    offer_constraints: *const u8,
    offer_constraints_len: usize,
) -> mesos_sched_status {
    const F: &str = "mesos_sched_driver_update_framework";
    with_driver(driver, F, |handle| {
        let framework_info = bytes_arg(framework_info, framework_info_len, F, "framework_info")?;
        let suppressed_roles = str_array_arg(
            suppressed_roles,
            suppressed_role_count,
            F,
            "suppressed_roles",
        )?
        .unwrap_or_default();
        let offer_constraints = optional_bytes_arg(
            offer_constraints,
            offer_constraints_len,
            F,
            "offer_constraints",
        )?;
        status_of(handle.driver.update_framework(
            framework_info,
            &suppressed_roles,
            offer_constraints,
        ))
    })
}

/// The driver's current status (positive), or NULL_ARGUMENT for a NULL driver. Any
/// thread, also inside a callback.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_status(
    driver: *const mesos_sched_driver,
) -> mesos_sched_status {
    with_driver(driver, "mesos_sched_driver_status", |handle| {
        Ok(handle.driver.status().into())
    })
}

/// Releases a driver handle; NULL is ignored. A running driver is first stopped with
/// failover semantics (`mesos_sched_driver_stop(driver, true)`: no teardown, its tasks
/// keep running; an aborted driver stays ABORTED) and joined; a callback in progress on
/// another thread is waited for and no callback runs afterwards, so `user_data` may be
/// released once this returns. Calls
/// already running on other threads are waited for (a join or run on another thread
/// returns, released by the stop); the handle must not be used once free has begun.
///
/// Inside a callback of the same driver this does nothing (it would wait for itself):
/// the handle stays valid, `mesos_sched_driver_last_error` reports why and a warning is
/// logged (when MESOS_SCHED_LOG enables it); free it after join returns. In a child process
/// created by fork() the driver's threads do not exist: the handle is leaked, nothing
/// is joined or sent.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_free(driver: *mut mesos_sched_driver) {
    const F: &str = "mesos_sched_driver_free";
    let Some(handle) = driver.as_ref() else {
        return;
    };
    if handle.creation_pid != std::process::id() {
        // Forked child: the threads (and any lock they held) are gone; leaking is the only
        // safe release.
        return;
    }
    let outcome = boundary(Some(handle), || {
        handle.refuse_in_callback(F)?;
        handle.driver.stop_for_release();
        // Returns once no callback runs and none can begin (the driver's callback gate).
        handle.driver.join()?;
        handle.wait_for_other_calls();
        Ok(mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_STOPPED)
    });
    if (outcome as i32) < 0 {
        return;
    }
    let released = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(driver))));
    if let Err(payload) = released {
        record_error(None, &boundary::panic_message(payload.as_ref()));
    }
}

/// Copies the message of the calling thread's last failed call on `driver` into `buf`
/// (NUL-terminated, truncated to `buf_len - 1` bytes at a UTF-8 character boundary) and
/// returns the full message length in bytes, without the NUL (0 = no error recorded).
/// `buf` may be NULL with `buf_len` 0 to ask for the length; allocate length + 1.
/// errno-like, per handle and thread: another thread's failure never overwrites it, and
/// a call that the master refused later (after the function returned) is not a failed
/// call: it goes to the log (`log.level`), never here.
///
/// With `driver` NULL it reports the last error of a call made on this thread without a
/// handle: a failed `mesos_sched_driver_new` or a call passed a NULL driver. Never
/// fails; any thread.
#[no_mangle]
pub unsafe extern "C" fn mesos_sched_driver_last_error(
    driver: *const mesos_sched_driver,
    buf: *mut c_char,
    buf_len: usize,
) -> usize {
    let handle = driver.as_ref();
    let message = catch_unwind(AssertUnwindSafe(|| match handle {
        Some(handle) => handle.driver.last_error(),
        None => boundary::thread_last_error(),
    }))
    .unwrap_or_else(|payload| boundary::panic_message(payload.as_ref()));
    if !buf.is_null() && buf_len > 0 {
        let mut copied = message.len().min(buf_len - 1);
        while !message.is_char_boundary(copied) {
            copied -= 1;
        }
        std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), copied);
        *buf.add(copied) = 0;
    }
    message.len()
}

/// The library version, "MAJOR.MINOR.PATCH": a static NUL-terminated string, never
/// freed. Any thread.
#[no_mangle]
pub extern "C" fn mesos_sched_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_error_truncates_at_a_character_boundary() {
        boundary::set_thread_last_error("hé!");
        let mut buf = [0x55u8; 3];
        let length = unsafe {
            mesos_sched_driver_last_error(std::ptr::null(), buf.as_mut_ptr().cast(), buf.len())
        };
        assert_eq!(length, 4);
        // Two bytes fit, but the second is half of 'é': only "h" is copied.
        assert_eq!(&buf[..2], b"h\0");
    }

    #[test]
    fn status_numbering_matches_the_abi() {
        assert_eq!(mesos_sched_status::from(Status::NotStarted) as i32, 1);
        assert_eq!(mesos_sched_status::from(Status::Running) as i32, 2);
        assert_eq!(mesos_sched_status::from(Status::Aborted) as i32, 3);
        assert_eq!(mesos_sched_status::from(Status::Stopped) as i32, 4);
        for error in [
            Error::NullArgument(String::new()),
            Error::InvalidArgument(String::new()),
            Error::CalledFromCallback(String::new()),
            Error::InvalidState(String::new()),
            Error::Panic(String::new()),
        ] {
            assert_eq!(mesos_sched_status::from_error(&error) as i32, error.code());
        }
    }
}
