//! Shared helpers of the C ABI tests (tests/ffi_*.rs): drivers created as C would, and
//! the last-error text of a handle or of this thread.
#![allow(dead_code)]

use std::ffi::{c_void, CStr};
use std::ptr;

use mesos_sched::ffi::*;

/// A vtable with every member NULL and `struct_size` set to the full size.
pub fn empty_scheduler() -> mesos_sched_scheduler {
    let mut scheduler: mesos_sched_scheduler = unsafe { std::mem::zeroed() };
    scheduler.struct_size = std::mem::size_of::<mesos_sched_scheduler>();
    scheduler
}

/// `mesos_sched_driver_new` with implicit acknowledgements and no credential; asserts
/// it succeeded.
pub fn new_driver(
    scheduler: &mesos_sched_scheduler,
    user_data: *mut c_void,
    framework_info: &[u8],
    master: &CStr,
) -> *mut mesos_sched_driver {
    let mut driver = ptr::null_mut();
    let status = unsafe {
        mesos_sched_driver_new(
            scheduler,
            user_data,
            framework_info.as_ptr(),
            framework_info.len(),
            master.as_ptr(),
            ptr::null(),
            0,
            true,
            &mut driver,
        )
    };
    assert_eq!(
        status,
        mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_NOT_STARTED
    );
    assert!(!driver.is_null());
    driver
}

/// The last error of `driver`, or with NULL of a call made on this thread without a
/// handle: asked for its length first, then read in full.
pub fn last_error_of(driver: *const mesos_sched_driver) -> String {
    unsafe {
        let length = mesos_sched_driver_last_error(driver, ptr::null_mut(), 0);
        let mut buf = vec![0u8; length + 1];
        let again = mesos_sched_driver_last_error(driver, buf.as_mut_ptr().cast(), buf.len());
        assert_eq!(again, length);
        CStr::from_bytes_with_nul(&buf)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    }
}
