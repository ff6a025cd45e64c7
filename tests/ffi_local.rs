//! The C ABI with real drivers against master "local" (an in-process cluster): callbacks
//! get the handle and user_data, a short vtable's missing members are never called,
//! free waits for a callback in progress and is refused inside one.

use std::ffi::{c_void, CStr, CString};
use std::mem::{offset_of, size_of};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use mesos_sched::ffi::*;
use mesos_sched::local::{LocalCluster, LocalConfig};
use mesos_sched::proto::v1::FrameworkInfo;
use prost::Message;

use mesos_sched_status::*;

mod ffi_support;
use ffi_support::{empty_scheduler, last_error_of};

const WAIT: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Observed {
    registered: usize,
    heartbeats: usize,
    offer_callbacks: usize,
    handle_seen: usize,
    free_in_callback_message: String,
    status_after_free_in_callback: i32,
    callback_finished: bool,
}

#[derive(Default)]
struct Context {
    observed: Mutex<Observed>,
    changed: Condvar,
    /// The registered callback sleeps this long (to race `free` against it).
    registered_delay: Duration,
    /// The registered callback calls free on its own driver.
    free_inside_registered: bool,
}

impl Context {
    fn update(&self, change: impl FnOnce(&mut Observed)) {
        change(&mut self.observed.lock().unwrap());
        self.changed.notify_all();
    }

    fn wait_for(&self, predicate: impl Fn(&Observed) -> bool) -> bool {
        let guard = self.observed.lock().unwrap();
        let (_guard, timeout) = self
            .changed
            .wait_timeout_while(guard, WAIT, |observed| !predicate(observed))
            .unwrap();
        !timeout.timed_out()
    }
}

unsafe extern "C" fn on_registered(
    user_data: *mut c_void,
    driver: *mut mesos_sched_driver,
    _framework_id: *const u8,
    _framework_id_len: usize,
    _master_info: *const u8,
    _master_info_len: usize,
) {
    let ctx = &*(user_data as *const Context);
    ctx.update(|observed| {
        observed.registered += 1;
        observed.handle_seen = driver as usize;
    });
    if ctx.free_inside_registered {
        mesos_sched_driver_free(driver);
        let message = last_error_of(driver);
        let status = mesos_sched_driver_status(driver) as i32;
        ctx.update(|observed| {
            observed.free_in_callback_message = message;
            observed.status_after_free_in_callback = status;
        });
    }
    std::thread::sleep(ctx.registered_delay);
    ctx.update(|observed| observed.callback_finished = true);
}

unsafe extern "C" fn on_heartbeat(user_data: *mut c_void, _driver: *mut mesos_sched_driver) {
    let ctx = &*(user_data as *const Context);
    ctx.update(|observed| observed.heartbeats += 1);
}

fn scheduler(struct_size: usize) -> mesos_sched_scheduler {
    mesos_sched_scheduler {
        struct_size,
        registered: Some(on_registered),
        heartbeat: Some(on_heartbeat),
        ..empty_scheduler()
    }
}

fn new_driver(ctx: &Context, scheduler: &mesos_sched_scheduler) -> *mut mesos_sched_driver {
    new_driver_at(ctx, scheduler, c"local", None)
}

fn new_driver_at(
    ctx: &Context,
    scheduler: &mesos_sched_scheduler,
    master: &CStr,
    failover_timeout: Option<f64>,
) -> *mut mesos_sched_driver {
    let framework_info = FrameworkInfo {
        name: "ffi_local".to_string(),
        failover_timeout,
        ..Default::default()
    }
    .encode_to_vec();
    ffi_support::new_driver(
        scheduler,
        ctx as *const Context as *mut c_void,
        &framework_info,
        master,
    )
}

#[test]
fn callbacks_get_the_handle_and_user_data_and_heartbeats() {
    let ctx = Context::default();
    let driver = new_driver(&ctx, &scheduler(size_of::<mesos_sched_scheduler>()));
    unsafe {
        assert_eq!(
            mesos_sched_driver_start(driver),
            MESOS_SCHED_STATUS_DRIVER_RUNNING
        );
        // The local master sends a HEARTBEAT right after SUBSCRIBED.
        assert!(ctx.wait_for(|observed| observed.registered == 1 && observed.heartbeats >= 1));
        assert_eq!(ctx.observed.lock().unwrap().handle_seen, driver as usize);
        assert_eq!(
            mesos_sched_driver_stop(driver, false),
            MESOS_SCHED_STATUS_DRIVER_STOPPED
        );
        mesos_sched_driver_free(driver);
    }
}

#[test]
fn members_beyond_struct_size_are_never_called() {
    let ctx = Context::default();
    // An "older" caller whose struct ends just before `heartbeat`.
    let driver = new_driver(
        &ctx,
        &scheduler(offset_of!(mesos_sched_scheduler, heartbeat)),
    );
    unsafe {
        assert_eq!(
            mesos_sched_driver_start(driver),
            MESOS_SCHED_STATUS_DRIVER_RUNNING
        );
        assert!(ctx.wait_for(|observed| observed.registered == 1));
        // Give the immediate HEARTBEAT time to be dispatched (and ignored).
        std::thread::sleep(Duration::from_millis(500));
        mesos_sched_driver_free(driver);
    }
    assert_eq!(ctx.observed.lock().unwrap().heartbeats, 0);
}

#[test]
fn free_waits_for_a_callback_in_progress() {
    let ctx = Context {
        registered_delay: Duration::from_millis(700),
        ..Default::default()
    };
    let driver = new_driver(&ctx, &scheduler(size_of::<mesos_sched_scheduler>()));
    unsafe {
        mesos_sched_driver_start(driver);
        assert!(ctx.wait_for(|observed| observed.registered == 1));
        let started = Instant::now();
        mesos_sched_driver_free(driver);
        // free returned only after the callback (still sleeping when free began) ended.
        assert!(ctx.observed.lock().unwrap().callback_finished);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}

#[test]
fn free_inside_a_callback_does_nothing() {
    let ctx = Context {
        free_inside_registered: true,
        ..Default::default()
    };
    let driver = new_driver(&ctx, &scheduler(size_of::<mesos_sched_scheduler>()));
    unsafe {
        mesos_sched_driver_start(driver);
        assert!(ctx.wait_for(|observed| observed.callback_finished));
        {
            let observed = ctx.observed.lock().unwrap();
            assert!(
                observed.free_in_callback_message.contains("callback"),
                "{}",
                observed.free_in_callback_message
            );
            assert_eq!(
                observed.status_after_free_in_callback,
                MESOS_SCHED_STATUS_DRIVER_RUNNING as i32
            );
        }
        // The handle is still usable after the refused free.
        assert_eq!(
            mesos_sched_driver_status(driver),
            MESOS_SCHED_STATUS_DRIVER_RUNNING
        );
        assert_eq!(
            mesos_sched_driver_stop(driver, false),
            MESOS_SCHED_STATUS_DRIVER_STOPPED
        );
        mesos_sched_driver_free(driver);
    }
}

#[test]
fn free_of_a_running_driver_fails_over_without_teardown() {
    let cluster = LocalCluster::start(LocalConfig::default()).expect("start a local cluster");
    let master = CString::new(cluster.leader_url()).unwrap();
    let ctx = Context::default();
    let driver = new_driver_at(
        &ctx,
        &scheduler(size_of::<mesos_sched_scheduler>()),
        &master,
        Some(3600.0),
    );
    unsafe {
        mesos_sched_driver_start(driver);
        assert!(ctx.wait_for(|observed| observed.registered == 1));
        mesos_sched_driver_free(driver);
    }
    // The stream ended (no longer connected) but the framework was not torn down.
    let disconnected = cluster.wait_until(Duration::from_secs(10), |state| {
        state["frameworks"][0]["connected"] == serde_json::Value::Bool(false)
    });
    let state = cluster.state_json();
    assert!(
        disconnected,
        "the master still sees the framework connected: {state}"
    );
    assert_eq!(
        state["frameworks"].as_array().map(Vec::len),
        Some(1),
        "{state}"
    );
    assert_eq!(
        state["removed_framework_ids"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
}

/// Declines every offer with refuse_seconds 0, so offers keep flowing.
unsafe extern "C" fn decline_all(
    user_data: *mut c_void,
    driver: *mut mesos_sched_driver,
    offers: *const *const u8,
    offer_lens: *const usize,
    offer_count: usize,
) {
    let ctx = &*(user_data as *const Context);
    let filters = mesos_sched::proto::v1::Filters {
        refuse_seconds: Some(0.0),
    }
    .encode_to_vec();
    for index in 0..offer_count {
        let offer = std::slice::from_raw_parts(*offers.add(index), *offer_lens.add(index));
        let offer = mesos_sched::proto::v1::Offer::decode(offer).unwrap();
        let offer_id = offer.id.encode_to_vec();
        mesos_sched_driver_decline_offer(
            driver,
            offer_id.as_ptr(),
            offer_id.len(),
            filters.as_ptr(),
            filters.len(),
        );
    }
    ctx.update(|observed| observed.offer_callbacks += 1);
}

#[test]
fn free_during_a_stream_of_callbacks_from_several_threads() {
    let workers: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(|| {
                let ctx = Context::default();
                let mut vtable = scheduler(size_of::<mesos_sched_scheduler>());
                vtable.resource_offers = Some(decline_all);
                let driver = new_driver(&ctx, &vtable);
                unsafe {
                    mesos_sched_driver_start(driver);
                    assert!(ctx.wait_for(|observed| observed.offer_callbacks >= 10));
                    mesos_sched_driver_free(driver);
                }
                let at_free = ctx.observed.lock().unwrap().offer_callbacks;
                std::thread::sleep(Duration::from_millis(300));
                assert_eq!(
                    ctx.observed.lock().unwrap().offer_callbacks,
                    at_free,
                    "a callback ran after free returned"
                );
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker thread");
    }
}
