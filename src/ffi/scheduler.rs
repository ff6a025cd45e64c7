//! The C scheduler vtable and the `Scheduler` implementation that calls it.

use std::ffi::{c_char, c_void};
use std::mem::{offset_of, size_of};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use super::mesos_sched_driver;
use crate::driver::{Driver, Error, Scheduler};

/// The scheduler callbacks, the classic `Scheduler` interface as a table of C function
/// pointers.
///
/// Set `struct_size` to `sizeof(mesos_sched_scheduler)`: the library copies the struct
/// inside `mesos_sched_driver_new` and reads only the first `struct_size` bytes, so a
/// program built against an older, shorter version of this struct stays valid (the
/// members it does not have are NULL). Any member may be NULL ("not interested").
///
/// Every callback gets the `user_data` given to `mesos_sched_driver_new` and the driver
/// handle. Callbacks run one at a time on the driver's own thread (in poll mode on the
/// thread that calls `mesos_sched_driver_poll`, join or run), never while a library
/// lock is held. Inside a callback every driver function may be called except
/// `mesos_sched_driver_join`, `mesos_sched_driver_run` and `mesos_sched_driver_free`
/// (they fail with MESOS_SCHED_STATUS_ERROR_CALLED_FROM_CALLBACK).
///
/// Callbacks run with the signal mask of the thread that called `mesos_sched_driver_start`
/// (or `mesos_sched_driver_run`), so a child process a callback starts (fork/exec,
/// system, popen) gets the mask the program expects; the library's other threads block
/// every signal. The callback gate: a callback begins only while the driver runs, checked
/// under the lock that stop and abort take; once `mesos_sched_driver_stop` or
/// `mesos_sched_driver_abort` has returned no callback begins, and
/// `mesos_sched_driver_join`, `mesos_sched_driver_run` and `mesos_sched_driver_free`
/// return only after a callback in progress has returned.
///
/// Byte arguments are serialized protobuf messages (v1 encoding, wire-identical to v0),
/// borrowed: valid only until the callback returns; copy what you keep. Byte pointers are
/// never NULL (a zero length may come with any non-NULL pointer, not to be read). Arrays
/// come as a pointer to `count` message pointers plus a pointer to `count` lengths; with
/// `count` 0 these pointers must not be read.
///
/// Callbacks must return normally: a C++ exception or a longjmp out of a callback into
/// the library is undefined behaviour (in practice the process aborts). Catch them in
/// the callback.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mesos_sched_scheduler {
    /// `sizeof(mesos_sched_scheduler)` as the caller compiled it.
    pub struct_size: usize,
    /// The first successful subscription (also when the FrameworkInfo already carried an
    /// id): the FrameworkID and the MasterInfo.
    pub registered: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            framework_id: *const u8,
            framework_id_len: usize,
            master_info: *const u8,
            master_info_len: usize,
        ),
    >,
    /// Every later subscription after a disconnection: the MasterInfo.
    pub reregistered: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            master_info: *const u8,
            master_info_len: usize,
        ),
    >,
    /// The connection to the leading master was lost (EOF, I/O error, missed heartbeats,
    /// leader change); the driver resubscribes by itself.
    pub disconnected:
        Option<unsafe extern "C" fn(user_data: *mut c_void, driver: *mut mesos_sched_driver)>,
    /// New offers: `offer_count` Offer messages (never 0).
    pub resource_offers: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            offers: *const *const u8,
            offer_lens: *const usize,
            offer_count: usize,
        ),
    >,
    /// An offer is no longer valid: its OfferID.
    pub offer_rescinded: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            offer_id: *const u8,
            offer_id_len: usize,
        ),
    >,
    /// A TaskStatus. With implicit acknowledgements the driver acknowledges it after
    /// this callback returns (if it has a uuid and the driver is still running).
    pub status_update: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            task_status: *const u8,
            task_status_len: usize,
        ),
    >,
    /// A message from an executor: ExecutorID, AgentID and the raw data.
    pub framework_message: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            executor_id: *const u8,
            executor_id_len: usize,
            agent_id: *const u8,
            agent_id_len: usize,
            data: *const u8,
            data_len: usize,
        ),
    >,
    /// An agent was lost: its AgentID.
    pub slave_lost: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            agent_id: *const u8,
            agent_id_len: usize,
        ),
    >,
    /// An executor terminated: ExecutorID, AgentID and its exit status.
    pub executor_lost: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            executor_id: *const u8,
            executor_id_len: usize,
            agent_id: *const u8,
            agent_id_len: usize,
            status: i32,
        ),
    >,
    /// The master refused the framework for good (or the driver hit an unrecoverable
    /// error): the driver has already aborted. `message` is NUL-terminated UTF-8;
    /// `message_len` excludes the NUL.
    pub error: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            message: *const c_char,
            message_len: usize,
        ),
    >,
    /// Extension: InverseOffer messages.
    pub inverse_offers: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            inverse_offers: *const *const u8,
            lens: *const usize,
            count: usize,
        ),
    >,
    /// Extension: an inverse offer was rescinded: its OfferID.
    pub inverse_offer_rescinded: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            inverse_offer_id: *const u8,
            len: usize,
        ),
    >,
    /// Extension: an OperationStatus.
    pub operation_status: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            driver: *mut mesos_sched_driver,
            operation_status: *const u8,
            len: usize,
        ),
    >,
    /// Extension: a HEARTBEAT event arrived.
    pub heartbeat:
        Option<unsafe extern "C" fn(user_data: *mut c_void, driver: *mut mesos_sched_driver)>,
}

/// The smallest meaningful `struct_size`: just the size field, no callback.
pub(crate) const MIN_STRUCT_SIZE: usize = offset_of!(mesos_sched_scheduler, registered);

/// Copies the caller's vtable, reading only its first `struct_size` bytes (whole members
/// only); members it does not have stay NULL.
///
/// # Safety
/// `source` must be non-NULL and point to at least `struct_size` readable bytes, where
/// `struct_size` is the value of its first member.
pub(crate) unsafe fn copy_vtable(
    source: *const mesos_sched_scheduler,
    function: &str,
) -> Result<mesos_sched_scheduler, Error> {
    // Read the size alone first: the struct may be shorter than ours.
    let declared = ptr::read_unaligned(source.cast::<usize>());
    if declared < MIN_STRUCT_SIZE {
        return Err(Error::InvalidArgument(format!(
            "{function}: scheduler->struct_size is {declared}, smaller than {MIN_STRUCT_SIZE} \
             (set it to sizeof(mesos_sched_scheduler))"
        )));
    }
    let ours = size_of::<mesos_sched_scheduler>();
    let slot = size_of::<usize>();
    let available = declared.min(ours);
    let whole_members = MIN_STRUCT_SIZE + (available - MIN_STRUCT_SIZE) / slot * slot;
    // All-zero is a valid vtable: `Option<fn>` is guaranteed NULL-for-None.
    let mut vtable: mesos_sched_scheduler = std::mem::zeroed();
    ptr::copy_nonoverlapping(
        source.cast::<u8>(),
        ptr::addr_of_mut!(vtable).cast::<u8>(),
        whole_members,
    );
    vtable.struct_size = ours;
    Ok(vtable)
}

/// The handle given to callbacks, set once right after the handle is allocated, before
/// the driver can start. The driver's callback gate guarantees that no callback runs
/// once free's join has returned, so the pointer is never used after free.
#[derive(Clone, Default)]
pub(crate) struct HandleCell(Arc<AtomicPtr<mesos_sched_driver>>);

impl HandleCell {
    pub(crate) fn set(&self, handle: *mut mesos_sched_driver) {
        self.0.store(handle, Ordering::Release);
    }

    fn get(&self) -> *mut mesos_sched_driver {
        self.0.load(Ordering::Acquire)
    }
}

/// The caller's opaque pointer, passed back untouched.
struct UserData(*mut c_void);

// SAFETY: the library never dereferences user_data; the C contract makes the caller
// responsible for whatever it points to being usable from the driver's thread.
unsafe impl Send for UserData {}

/// `Scheduler` implementation that forwards every event to the C vtable.
pub(crate) struct CScheduler {
    vtable: mesos_sched_scheduler,
    user_data: UserData,
    handle: HandleCell,
}

impl CScheduler {
    pub(crate) fn new(
        vtable: mesos_sched_scheduler,
        user_data: *mut c_void,
        handle: HandleCell,
    ) -> CScheduler {
        CScheduler {
            vtable,
            user_data: UserData(user_data),
            handle,
        }
    }

    /// Runs `call` with user_data and the handle.
    fn invoke(&self, call: impl FnOnce(*mut c_void, *mut mesos_sched_driver)) {
        let handle = self.handle.get();
        if !handle.is_null() {
            call(self.user_data.0, handle);
        }
    }
}

/// Calls `call` with C views (pointer array, length array, count) of `messages`.
fn with_c_array<R>(
    messages: &[&[u8]],
    call: impl FnOnce(*const *const u8, *const usize, usize) -> R,
) -> R {
    let pointers: Vec<*const u8> = messages.iter().map(|message| message.as_ptr()).collect();
    let lengths: Vec<usize> = messages.iter().map(|message| message.len()).collect();
    call(pointers.as_ptr(), lengths.as_ptr(), messages.len())
}

/// Calls the vtable member `$member`, unless it is NULL, with
/// user_data, the handle and then the arguments: each byte slice as (pointer, length),
/// after `;` values passed as they are, or after `array` one message slice as (pointer
/// array, length array, count).
macro_rules! forward {
    ($self:ident.$member:ident(array $messages:expr)) => {
        if let Some(callback) = $self.vtable.$member {
            $self.invoke(|user_data, handle| {
                with_c_array($messages, |pointers, lengths, count| unsafe {
                    callback(user_data, handle, pointers, lengths, count)
                })
            });
        }
    };
    ($self:ident.$member:ident($($bytes:expr),* $(; $($value:expr),+)?)) => {
        if let Some(callback) = $self.vtable.$member {
            $self.invoke(|user_data, handle| unsafe {
                callback(
                    user_data,
                    handle
                    $(, $bytes.as_ptr(), $bytes.len())*
                    $($(, $value)+)?
                )
            });
        }
    };
}

impl Scheduler for CScheduler {
    fn registered(&mut self, _driver: &Driver, framework_id: &[u8], master_info: &[u8]) {
        forward!(self.registered(framework_id, master_info));
    }

    fn reregistered(&mut self, _driver: &Driver, master_info: &[u8]) {
        forward!(self.reregistered(master_info));
    }

    fn disconnected(&mut self, _driver: &Driver) {
        forward!(self.disconnected());
    }

    fn resource_offers(&mut self, _driver: &Driver, offers: &[&[u8]]) {
        forward!(self.resource_offers(array offers));
    }

    fn offer_rescinded(&mut self, _driver: &Driver, offer_id: &[u8]) {
        forward!(self.offer_rescinded(offer_id));
    }

    fn status_update(&mut self, _driver: &Driver, task_status: &[u8]) {
        forward!(self.status_update(task_status));
    }

    fn framework_message(
        &mut self,
        _driver: &Driver,
        executor_id: &[u8],
        agent_id: &[u8],
        data: &[u8],
    ) {
        forward!(self.framework_message(executor_id, agent_id, data));
    }

    fn slave_lost(&mut self, _driver: &Driver, agent_id: &[u8]) {
        forward!(self.slave_lost(agent_id));
    }

    fn executor_lost(
        &mut self,
        _driver: &Driver,
        executor_id: &[u8],
        agent_id: &[u8],
        status: i32,
    ) {
        forward!(self.executor_lost(executor_id, agent_id; status));
    }

    fn error(&mut self, _driver: &Driver, message: &str) {
        if self.vtable.error.is_some() {
            // C expects a NUL-terminated string; an interior NUL would truncate it.
            let mut text = message.replace('\0', "\u{fffd}").into_bytes();
            let length = text.len();
            text.push(0);
            forward!(self.error(; text.as_ptr().cast(), length));
        }
    }

    fn inverse_offers(&mut self, _driver: &Driver, inverse_offers: &[&[u8]]) {
        forward!(self.inverse_offers(array inverse_offers));
    }

    fn inverse_offer_rescinded(&mut self, _driver: &Driver, inverse_offer_id: &[u8]) {
        forward!(self.inverse_offer_rescinded(inverse_offer_id));
    }

    fn operation_status(&mut self, _driver: &Driver, operation_status: &[u8]) {
        forward!(self.operation_status(operation_status));
    }

    fn heartbeat(&mut self, _driver: &Driver) {
        forward!(self.heartbeat());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn noop_registered(
        _: *mut c_void,
        _: *mut mesos_sched_driver,
        _: *const u8,
        _: usize,
        _: *const u8,
        _: usize,
    ) {
    }

    unsafe extern "C" fn noop_heartbeat(_: *mut c_void, _: *mut mesos_sched_driver) {}

    fn full_vtable() -> mesos_sched_scheduler {
        let mut vtable: mesos_sched_scheduler = unsafe { std::mem::zeroed() };
        vtable.struct_size = size_of::<mesos_sched_scheduler>();
        vtable.registered = Some(noop_registered);
        vtable.heartbeat = Some(noop_heartbeat);
        vtable
    }

    #[test]
    fn full_struct_is_copied() {
        let source = full_vtable();
        let copy = unsafe { copy_vtable(&source, "f") }.unwrap();
        assert!(copy.registered.is_some());
        assert!(copy.heartbeat.is_some());
    }

    #[test]
    fn short_struct_leaves_later_members_null() {
        let mut source = full_vtable();
        // An "older" caller whose struct ends before the extension members.
        source.struct_size = offset_of!(mesos_sched_scheduler, inverse_offers);
        let copy = unsafe { copy_vtable(&source, "f") }.unwrap();
        assert!(copy.registered.is_some());
        assert!(copy.heartbeat.is_none());
        // A size that ends inside a member keeps only whole members.
        source.struct_size = MIN_STRUCT_SIZE + 3;
        let copy = unsafe { copy_vtable(&source, "f") }.unwrap();
        assert!(copy.registered.is_none());
    }

    #[test]
    fn too_small_struct_size_is_invalid_argument() {
        let mut source = full_vtable();
        source.struct_size = 4;
        let error = unsafe { copy_vtable(&source, "f") }.err().unwrap();
        assert_eq!(error.code(), -2);
        assert!(error.message().contains("struct_size is 4"));
    }
}
