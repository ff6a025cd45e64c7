//! The C ABI's boundary checks, called as C would: NULL handles and pointers, bad
//! strings, the per-thread error of calls without a handle, the version string.
//! (Real drivers are exercised by tests/ffi_local.rs and the C tests in ctest/.)

use std::ffi::{c_char, CStr};
use std::ptr;

use mesos_sched::ffi::*;

use mesos_sched_status::*;

mod ffi_support;
use ffi_support::{empty_scheduler, last_error_of};

/// The last error of a call made on this thread without a handle.
fn thread_error() -> String {
    last_error_of(ptr::null())
}

/// One export called with a NULL driver.
type NamedCall = Box<dyn Fn() -> mesos_sched_status>;

/// The arguments of `mesos_sched_driver_new` that the pointer checks vary; the others
/// are NULL user_data, framework_info and credential, and implicit acknowledgements.
#[derive(Clone, Copy)]
struct NewArgs {
    scheduler: *const mesos_sched_scheduler,
    framework_info_len: usize,
    master: *const c_char,
    credential_len: usize,
    driver_out: *mut *mut mesos_sched_driver,
}

impl NewArgs {
    unsafe fn call(self) -> mesos_sched_status {
        mesos_sched_driver_new(
            self.scheduler,
            ptr::null_mut(),
            ptr::null(),
            self.framework_info_len,
            self.master,
            ptr::null(),
            self.credential_len,
            true,
            self.driver_out,
        )
    }

    /// Calls `mesos_sched_driver_new`, which must fail with `expected`; returns the
    /// message it left on this thread.
    #[track_caller]
    unsafe fn refused(self, expected: mesos_sched_status) -> String {
        assert_eq!(self.call(), expected);
        thread_error()
    }
}

#[test]
fn version_is_the_crate_version() {
    let version = unsafe { CStr::from_ptr(mesos_sched_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(mesos_sched_version(), mesos_sched_version(), "static");
}

#[test]
fn every_function_rejects_a_null_driver_naming_itself() {
    let null = ptr::null_mut::<mesos_sched_driver>();
    let byte = 0u8;
    let p = &byte as *const u8;
    let key = c"log.level".as_ptr();
    let calls: Vec<(&str, NamedCall)> = unsafe {
        vec![
            (
                "mesos_sched_driver_set_option",
                Box::new(move || mesos_sched_driver_set_option(null, key, key)),
            ),
            (
                "mesos_sched_driver_start",
                Box::new(move || mesos_sched_driver_start(null)),
            ),
            (
                "mesos_sched_driver_stop",
                Box::new(move || mesos_sched_driver_stop(null, true)),
            ),
            (
                "mesos_sched_driver_abort",
                Box::new(move || mesos_sched_driver_abort(null)),
            ),
            (
                "mesos_sched_driver_join",
                Box::new(move || mesos_sched_driver_join(null)),
            ),
            (
                "mesos_sched_driver_run",
                Box::new(move || mesos_sched_driver_run(null)),
            ),
            (
                "mesos_sched_driver_poll",
                Box::new(move || mesos_sched_driver_poll(null, 0, ptr::null_mut())),
            ),
            (
                "mesos_sched_driver_event_fd",
                Box::new(move || mesos_sched_driver_event_fd(null, ptr::null_mut())),
            ),
            (
                "mesos_sched_driver_status",
                Box::new(move || mesos_sched_driver_status(null)),
            ),
            (
                "mesos_sched_driver_request_resources",
                Box::new(move || {
                    mesos_sched_driver_request_resources(null, ptr::null(), ptr::null(), 0)
                }),
            ),
            (
                "mesos_sched_driver_launch_tasks",
                Box::new(move || {
                    mesos_sched_driver_launch_tasks(
                        null,
                        ptr::null(),
                        ptr::null(),
                        0,
                        ptr::null(),
                        ptr::null(),
                        0,
                        ptr::null(),
                        0,
                    )
                }),
            ),
            (
                "mesos_sched_driver_kill_task",
                Box::new(move || mesos_sched_driver_kill_task(null, p, 0)),
            ),
            (
                "mesos_sched_driver_accept_offers",
                Box::new(move || {
                    mesos_sched_driver_accept_offers(
                        null,
                        ptr::null(),
                        ptr::null(),
                        0,
                        ptr::null(),
                        ptr::null(),
                        0,
                        ptr::null(),
                        0,
                    )
                }),
            ),
            (
                "mesos_sched_driver_decline_offer",
                Box::new(move || mesos_sched_driver_decline_offer(null, p, 0, ptr::null(), 0)),
            ),
            (
                "mesos_sched_driver_revive_offers",
                Box::new(move || mesos_sched_driver_revive_offers(null, ptr::null(), 0)),
            ),
            (
                "mesos_sched_driver_suppress_offers",
                Box::new(move || mesos_sched_driver_suppress_offers(null, ptr::null(), 0)),
            ),
            (
                "mesos_sched_driver_acknowledge_status_update",
                Box::new(move || mesos_sched_driver_acknowledge_status_update(null, p, 0)),
            ),
            (
                "mesos_sched_driver_send_framework_message",
                Box::new(move || mesos_sched_driver_send_framework_message(null, p, 0, p, 0, p, 0)),
            ),
            (
                "mesos_sched_driver_reconcile_tasks",
                Box::new(move || {
                    mesos_sched_driver_reconcile_tasks(null, ptr::null(), ptr::null(), 0)
                }),
            ),
            (
                "mesos_sched_driver_update_framework",
                Box::new(move || {
                    mesos_sched_driver_update_framework(null, p, 0, ptr::null(), 0, ptr::null(), 0)
                }),
            ),
        ]
    };
    for (name, call) in calls {
        assert_eq!(call(), MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, "{name}");
        assert_eq!(thread_error(), format!("{name}: driver is NULL"));
    }
    unsafe { mesos_sched_driver_free(ptr::null_mut()) };
}

#[test]
fn new_checks_its_pointers_before_anything_else() {
    let scheduler = empty_scheduler();
    let sentinel = ptr::dangling_mut::<mesos_sched_driver>();
    let mut out = sentinel;
    let short = mesos_sched_scheduler {
        struct_size: 3,
        ..scheduler
    };
    let valid = NewArgs {
        scheduler: &scheduler,
        framework_info_len: 0,
        master: c"local".as_ptr(),
        credential_len: 0,
        driver_out: ptr::addr_of_mut!(out),
    };
    unsafe {
        let error = NewArgs {
            scheduler: ptr::null(),
            ..valid
        }
        .refused(MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT);
        assert_eq!(error, "mesos_sched_driver_new: scheduler is NULL");

        let error = NewArgs {
            driver_out: ptr::null_mut(),
            ..valid
        }
        .refused(MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT);
        assert_eq!(error, "mesos_sched_driver_new: driver_out is NULL");

        let error = NewArgs {
            framework_info_len: 7,
            ..valid
        }
        .refused(MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT);
        assert!(error.contains("framework_info is NULL but framework_info_len is 7"));

        let error = NewArgs {
            master: ptr::null(),
            ..valid
        }
        .refused(MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT);
        assert_eq!(error, "mesos_sched_driver_new: master is NULL");

        let bad_master = [b'l', 0xff, 0];
        let error = NewArgs {
            master: bad_master.as_ptr().cast::<c_char>(),
            ..valid
        }
        .refused(MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT);
        assert!(error.contains("master is not valid UTF-8"));

        let error = NewArgs {
            credential_len: 2,
            ..valid
        }
        .refused(MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT);
        assert!(error.contains("credential is NULL"));

        let error = NewArgs {
            scheduler: &short,
            ..valid
        }
        .refused(MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT);
        assert!(error.contains("struct_size is 3"));
    }
    assert_eq!(out, sentinel, "driver_out must not be written on failure");
}

#[test]
fn thread_errors_are_per_thread() {
    unsafe { mesos_sched_driver_start(ptr::null_mut()) };
    assert!(thread_error().contains("mesos_sched_driver_start"));
    let other = std::thread::spawn(|| {
        let before = thread_error();
        unsafe { mesos_sched_driver_abort(ptr::null_mut()) };
        (before, thread_error())
    })
    .join()
    .unwrap();
    assert_eq!(other.0, "", "a fresh thread has no error");
    assert!(other.1.contains("mesos_sched_driver_abort"));
    assert!(thread_error().contains("mesos_sched_driver_start"));
}

#[test]
fn last_error_truncates_and_terminates() {
    unsafe { mesos_sched_driver_join(ptr::null_mut()) };
    let full = thread_error();
    assert_eq!(full, "mesos_sched_driver_join: driver is NULL");
    let mut small = [0x55u8; 6];
    let length = unsafe {
        mesos_sched_driver_last_error(ptr::null(), small.as_mut_ptr().cast(), small.len())
    };
    assert_eq!(length, full.len());
    assert_eq!(&small, b"mesos\0");
    let mut untouched = [0x55u8; 2];
    let length =
        unsafe { mesos_sched_driver_last_error(ptr::null(), untouched.as_mut_ptr().cast(), 0) };
    assert_eq!(length, full.len());
    assert_eq!(untouched, [0x55, 0x55], "buf_len 0 writes nothing");
}
