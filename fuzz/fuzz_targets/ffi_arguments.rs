//! Arbitrary bytes through the C ABI's argument decoding: `mesos_sched_driver_new`
//! with fuzzed FrameworkInfo, master string and credential, and every call taking
//! protobuf bytes, strings or arrays on a driver that was never started (nothing leaves
//! the process). A call returns a status or a usage error with a message, never
//! MESOS_SCHED_STATUS_ERROR_PANIC, and never crashes.
#![no_main]

use std::ffi::{c_char, CString};
use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mesos_sched::ffi::mesos_sched_status::*;
use mesos_sched::ffi::*;

struct Handle(*mut mesos_sched_driver);
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

fn scheduler() -> mesos_sched_scheduler {
    let mut scheduler: mesos_sched_scheduler = unsafe { std::mem::zeroed() };
    scheduler.struct_size = std::mem::size_of::<mesos_sched_scheduler>();
    scheduler
}

/// One driver for the whole run, created with valid arguments and never started.
fn driver() -> *mut mesos_sched_driver {
    static DRIVER: OnceLock<Handle> = OnceLock::new();
    DRIVER
        .get_or_init(|| {
            let framework_info = [0x0a, 0x01, b'u', 0x12, 0x01, b'n']; // user "u", name "n"
            let mut driver = ptr::null_mut();
            let status = unsafe {
                mesos_sched_driver_new(
                    &scheduler(),
                    ptr::null_mut(),
                    framework_info.as_ptr(),
                    framework_info.len(),
                    c"127.0.0.1:1".as_ptr(),
                    ptr::null(),
                    0,
                    false,
                    &mut driver,
                )
            };
            assert_eq!(status, MESOS_SCHED_STATUS_DRIVER_NOT_STARTED);
            Handle(driver)
        })
        .0
}

/// Splits the input into up to four pieces at 0xfe bytes.
fn pieces(data: &[u8]) -> [&[u8]; 4] {
    let mut parts = data.splitn(4, |&b| b == 0xfe);
    std::array::from_fn(|_| parts.next().unwrap_or(&[]))
}

fn c_string(bytes: &[u8]) -> CString {
    CString::new(
        bytes
            .iter()
            .copied()
            .filter(|&b| b != 0)
            .collect::<Vec<u8>>(),
    )
    .unwrap()
}

fn checked(status: mesos_sched_status) {
    assert_ne!(status, MESOS_SCHED_STATUS_ERROR_PANIC, "a call panicked");
    let mut message = [0u8; 256];
    let d = driver();
    if (status as i32) < 0 {
        let length = unsafe { mesos_sched_driver_last_error(d, message.as_mut_ptr().cast(), 256) };
        assert!(length > 0, "a usage error without a message");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let [a, b, c, d] = pieces(rest);
    let array = |piece: &[u8]| -> (Vec<*const u8>, Vec<usize>, Vec<Vec<u8>>) {
        let items: Vec<Vec<u8>> = piece.split(|&b| b == 0xfd).map(<[u8]>::to_vec).collect();
        let ptrs = items.iter().map(|i| i.as_ptr()).collect();
        let lens = items.iter().map(Vec::len).collect();
        (ptrs, lens, items)
    };
    let driver = driver();
    unsafe {
        match selector % 10 {
            0 => {
                let master = c_string(b);
                let text = master.to_string_lossy();
                // Only strings that are parsed, not acted on: no file reads, no cluster,
                // no ZooKeeper session (master_string fuzzes those URLs' parsing).
                if text.contains("file:") || text.contains("zk:") || text.trim() == "local" {
                    return;
                }
                let mut created = ptr::null_mut();
                let status = mesos_sched_driver_new(
                    &scheduler(),
                    ptr::null_mut(),
                    a.as_ptr(),
                    a.len(),
                    master.as_ptr(),
                    c.as_ptr(),
                    c.len(),
                    d.first().is_some_and(|&b| b & 1 == 1),
                    &mut created,
                );
                assert_ne!(status, MESOS_SCHED_STATUS_ERROR_PANIC);
                if status == MESOS_SCHED_STATUS_DRIVER_NOT_STARTED {
                    assert!(!created.is_null());
                    mesos_sched_driver_free(created);
                } else {
                    assert!(created.is_null());
                }
            }
            1 => {
                let (offers, offer_lens, _keep) = array(a);
                let (tasks, task_lens, _keep2) = array(b);
                checked(mesos_sched_driver_launch_tasks(
                    driver,
                    offers.as_ptr(),
                    offer_lens.as_ptr(),
                    offers.len(),
                    tasks.as_ptr(),
                    task_lens.as_ptr(),
                    tasks.len(),
                    c.as_ptr(),
                    c.len(),
                ));
            }
            2 => {
                let (offers, offer_lens, _keep) = array(a);
                let (operations, operation_lens, _keep2) = array(b);
                checked(mesos_sched_driver_accept_offers(
                    driver,
                    offers.as_ptr(),
                    offer_lens.as_ptr(),
                    offers.len(),
                    operations.as_ptr(),
                    operation_lens.as_ptr(),
                    operations.len(),
                    c.as_ptr(),
                    c.len(),
                ));
            }
            3 => {
                checked(mesos_sched_driver_kill_task(driver, a.as_ptr(), a.len()));
                checked(mesos_sched_driver_decline_offer(
                    driver,
                    b.as_ptr(),
                    b.len(),
                    c.as_ptr(),
                    c.len(),
                ));
            }
            4 => {
                let (statuses, lens, _keep) = array(a);
                checked(mesos_sched_driver_reconcile_tasks(
                    driver,
                    statuses.as_ptr(),
                    lens.as_ptr(),
                    statuses.len(),
                ));
                checked(mesos_sched_driver_acknowledge_status_update(
                    driver,
                    b.as_ptr(),
                    b.len(),
                ));
            }
            5 => {
                let (requests, lens, _keep) = array(a);
                checked(mesos_sched_driver_request_resources(
                    driver,
                    requests.as_ptr(),
                    lens.as_ptr(),
                    requests.len(),
                ));
            }
            6 => checked(mesos_sched_driver_send_framework_message(
                driver,
                a.as_ptr(),
                a.len(),
                b.as_ptr(),
                b.len(),
                c.as_ptr(),
                c.len(),
            )),
            7 => {
                let roles: Vec<CString> = a.split(|&b| b == 0xfd).map(c_string).collect();
                let role_ptrs: Vec<*const c_char> = roles.iter().map(|r| r.as_ptr()).collect();
                checked(mesos_sched_driver_update_framework(
                    driver,
                    b.as_ptr(),
                    b.len(),
                    role_ptrs.as_ptr(),
                    role_ptrs.len(),
                    c.as_ptr(),
                    c.len(),
                ));
                checked(mesos_sched_driver_revive_offers(
                    driver,
                    role_ptrs.as_ptr(),
                    role_ptrs.len(),
                ));
                checked(mesos_sched_driver_suppress_offers(
                    driver,
                    role_ptrs.as_ptr(),
                    role_ptrs.len(),
                ));
            }
            8 => {
                // Options are validated but not applied to the shared driver: a fresh one.
                let mut fresh = ptr::null_mut();
                let framework_info = [0x0a, 0x01, b'u', 0x12, 0x01, b'n'];
                let status = mesos_sched_driver_new(
                    &scheduler(),
                    ptr::null_mut(),
                    framework_info.as_ptr(),
                    framework_info.len(),
                    c"127.0.0.1:1".as_ptr(),
                    ptr::null(),
                    0,
                    true,
                    &mut fresh,
                );
                assert_eq!(status, MESOS_SCHED_STATUS_DRIVER_NOT_STARTED);
                let (key, value) = (c_string(a), c_string(b));
                let status = mesos_sched_driver_set_option(fresh, key.as_ptr(), value.as_ptr());
                assert_ne!(status, MESOS_SCHED_STATUS_ERROR_PANIC);
                mesos_sched_driver_free(fresh);
            }
            _ => {
                let mut dispatched = 0;
                checked(mesos_sched_driver_poll(driver, 0, &mut dispatched));
            }
        }
    }
});
