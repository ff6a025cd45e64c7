//! Every callback of the C vtable, driven by real events on a local cluster's stream:
//! each one is called with its arguments in the documented order, byte arrays intact,
//! the error message NUL-terminated, one callback at a time on one thread.

use std::ffi::{c_char, c_void, CString};
use std::mem::size_of;
use std::slice;
use std::sync::{Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use mesos_sched::ffi::*;
use mesos_sched::local::{LocalCluster, LocalConfig};
use mesos_sched::proto::scheduler::{event, Event};
use mesos_sched::proto::v1::{
    AgentId, ExecutorId, FrameworkId, FrameworkInfo, InverseOffer, Offer, OfferId, OperationId,
    OperationStatus, TimeInfo, Unavailability,
};
use prost::Message;

use mesos_sched_status::*;

mod ffi_support;

const WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Registered {
        framework_id: Vec<u8>,
        master_info: Vec<u8>,
    },
    Reregistered,
    Disconnected,
    ResourceOffers(Vec<Vec<u8>>),
    OfferRescinded(Vec<u8>),
    StatusUpdate(Vec<u8>),
    FrameworkMessage {
        executor_id: Vec<u8>,
        agent_id: Vec<u8>,
        data: Vec<u8>,
    },
    SlaveLost(Vec<u8>),
    ExecutorLost {
        executor_id: Vec<u8>,
        agent_id: Vec<u8>,
        status: i32,
    },
    Error {
        message: String,
        nul_terminated: bool,
    },
    InverseOffers(Vec<Vec<u8>>),
    InverseOfferRescinded(Vec<u8>),
    OperationStatus(Vec<u8>),
    Heartbeat,
}

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
    changed: Condvar,
    threads: Mutex<Vec<ThreadId>>,
    /// Set while a callback runs; a second concurrent callback would see it.
    inside: Mutex<bool>,
    overlapping: Mutex<bool>,
    handle: Mutex<usize>,
    wrong_handle: Mutex<bool>,
}

impl Recorder {
    fn wait_for(&self, predicate: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let guard = self.calls.lock().unwrap();
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, WAIT, |calls| !predicate(calls))
            .unwrap();
        guard.clone()
    }
}

/// Records one callback; checks the handle and that callbacks never overlap.
unsafe fn record(user_data: *mut c_void, driver: *mut mesos_sched_driver, call: Call) {
    let recorder = &*(user_data as *const Recorder);
    {
        let mut inside = recorder.inside.lock().unwrap();
        if *inside {
            *recorder.overlapping.lock().unwrap() = true;
        }
        *inside = true;
    }
    if *recorder.handle.lock().unwrap() != driver as usize {
        *recorder.wrong_handle.lock().unwrap() = true;
    }
    let me = std::thread::current().id();
    let mut threads = recorder.threads.lock().unwrap();
    if !threads.contains(&me) {
        threads.push(me);
    }
    drop(threads);
    std::thread::sleep(Duration::from_millis(2)); // widen any overlap window
    recorder.calls.lock().unwrap().push(call);
    *recorder.inside.lock().unwrap() = false;
    recorder.changed.notify_all();
}

unsafe fn bytes(data: *const u8, len: usize) -> Vec<u8> {
    assert!(!data.is_null(), "byte pointers are never NULL");
    slice::from_raw_parts(data, len).to_vec()
}

unsafe fn array(data: *const *const u8, lens: *const usize, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|index| bytes(*data.add(index), *lens.add(index)))
        .collect()
}

/// Callbacks whose one argument is a message (`bytes`) or an array of messages (`array`),
/// each recorded as the given `Call` variant.
macro_rules! recording_callbacks {
    ($(bytes $name:ident => $call:path;)* $(array $array_name:ident => $array_call:path;)*) => {
        $(
            unsafe extern "C" fn $name(
                ud: *mut c_void,
                d: *mut mesos_sched_driver,
                message: *const u8,
                len: usize,
            ) {
                record(ud, d, $call(bytes(message, len)));
            }
        )*
        $(
            unsafe extern "C" fn $array_name(
                ud: *mut c_void,
                d: *mut mesos_sched_driver,
                messages: *const *const u8,
                lens: *const usize,
                count: usize,
            ) {
                record(ud, d, $array_call(array(messages, lens, count)));
            }
        )*
    };
}

recording_callbacks! {
    bytes offer_rescinded => Call::OfferRescinded;
    bytes status_update => Call::StatusUpdate;
    bytes slave_lost => Call::SlaveLost;
    bytes inverse_offer_rescinded => Call::InverseOfferRescinded;
    bytes operation_status => Call::OperationStatus;
    array resource_offers => Call::ResourceOffers;
    array inverse_offers => Call::InverseOffers;
}

unsafe extern "C" fn registered(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    framework_id: *const u8,
    framework_id_len: usize,
    master_info: *const u8,
    master_info_len: usize,
) {
    let call = Call::Registered {
        framework_id: bytes(framework_id, framework_id_len),
        master_info: bytes(master_info, master_info_len),
    };
    record(ud, d, call);
}
unsafe extern "C" fn reregistered(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _: *const u8,
    _: usize,
) {
    record(ud, d, Call::Reregistered);
}
unsafe extern "C" fn disconnected(ud: *mut c_void, d: *mut mesos_sched_driver) {
    record(ud, d, Call::Disconnected);
}
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn framework_message(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    executor_id: *const u8,
    executor_id_len: usize,
    agent_id: *const u8,
    agent_id_len: usize,
    data: *const u8,
    data_len: usize,
) {
    let call = Call::FrameworkMessage {
        executor_id: bytes(executor_id, executor_id_len),
        agent_id: bytes(agent_id, agent_id_len),
        data: bytes(data, data_len),
    };
    record(ud, d, call);
}
unsafe extern "C" fn executor_lost(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    executor_id: *const u8,
    executor_id_len: usize,
    agent_id: *const u8,
    agent_id_len: usize,
    status: i32,
) {
    let call = Call::ExecutorLost {
        executor_id: bytes(executor_id, executor_id_len),
        agent_id: bytes(agent_id, agent_id_len),
        status,
    };
    record(ud, d, call);
}
unsafe extern "C" fn error(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    message: *const c_char,
    len: usize,
) {
    let text = bytes(message.cast(), len);
    let nul_terminated = *message.add(len) == 0;
    let call = Call::Error {
        message: String::from_utf8(text).unwrap(),
        nul_terminated,
    };
    record(ud, d, call);
}
unsafe extern "C" fn heartbeat(ud: *mut c_void, d: *mut mesos_sched_driver) {
    record(ud, d, Call::Heartbeat);
}

fn full_vtable() -> mesos_sched_scheduler {
    mesos_sched_scheduler {
        struct_size: size_of::<mesos_sched_scheduler>(),
        registered: Some(registered),
        reregistered: Some(reregistered),
        disconnected: Some(disconnected),
        resource_offers: Some(resource_offers),
        offer_rescinded: Some(offer_rescinded),
        status_update: Some(status_update),
        framework_message: Some(framework_message),
        slave_lost: Some(slave_lost),
        executor_lost: Some(executor_lost),
        error: Some(error),
        inverse_offers: Some(inverse_offers),
        inverse_offer_rescinded: Some(inverse_offer_rescinded),
        operation_status: Some(operation_status),
        heartbeat: Some(heartbeat),
    }
}

fn id_value(bytes: &[u8]) -> String {
    FrameworkId::decode(bytes).expect("an *ID message").value
}

fn event(kind: event::Type, fill: impl FnOnce(&mut Event)) -> Vec<u8> {
    let mut event = Event {
        r#type: Some(kind as i32),
        ..Default::default()
    };
    fill(&mut event);
    event.encode_to_vec()
}

fn agent(value: &str) -> AgentId {
    AgentId {
        value: value.to_string(),
    }
}

fn executor(value: &str) -> ExecutorId {
    ExecutorId {
        value: value.to_string(),
    }
}

fn offer_id(value: &str) -> OfferId {
    OfferId {
        value: value.to_string(),
    }
}

#[test]
fn every_callback_gets_its_arguments_in_order() {
    let cluster = LocalCluster::start(LocalConfig::default()).expect("start a local cluster");
    let master = CString::new(cluster.leader_url()).unwrap();
    let recorder = Recorder::default();
    let framework_info = FrameworkInfo {
        name: "ffi_callbacks".to_string(),
        ..Default::default()
    }
    .encode_to_vec();
    let vtable = full_vtable();
    let driver = ffi_support::new_driver(
        &vtable,
        &recorder as *const Recorder as *mut c_void,
        &framework_info,
        &master,
    );
    unsafe {
        *recorder.handle.lock().unwrap() = driver as usize;
        assert_eq!(
            mesos_sched_driver_start(driver),
            MESOS_SCHED_STATUS_DRIVER_RUNNING
        );
    }

    // SUBSCRIBED (registered), HEARTBEAT and the first offers.
    let calls = recorder.wait_for(|calls| {
        calls
            .iter()
            .any(|call| matches!(call, Call::ResourceOffers(_)))
            && calls.contains(&Call::Heartbeat)
    });
    let Some(Call::Registered {
        framework_id,
        master_info,
    }) = calls.first().cloned()
    else {
        panic!("the first callback is not registered: {calls:?}");
    };
    let framework_id = id_value(&framework_id);
    assert!(!master_info.is_empty());
    let offers = calls
        .iter()
        .find_map(|call| match call {
            Call::ResourceOffers(offers) => Some(offers.clone()),
            _ => None,
        })
        .unwrap();
    assert!(!offers.is_empty());
    for offer in &offers {
        let offer = Offer::decode(offer.as_slice()).expect("each array element is an Offer");
        assert_eq!(offer.framework_id.value, framework_id);
    }
    let seen_before_injection = calls.len();

    let injected = [
        event(event::Type::Rescind, |e| {
            e.rescind = Some(event::Rescind {
                offer_id: offer_id("rescinded-offer"),
            })
        }),
        event(event::Type::Message, |e| {
            e.message = Some(event::Message {
                agent_id: agent("agent-m"),
                executor_id: executor("executor-m"),
                data: b"\x00binary\xffdata".to_vec(),
            })
        }),
        event(event::Type::Failure, |e| {
            e.failure = Some(event::Failure {
                agent_id: Some(agent("agent-f")),
                executor_id: Some(executor("executor-f")),
                status: Some(137),
            })
        }),
        event(event::Type::Failure, |e| {
            e.failure = Some(event::Failure {
                agent_id: Some(agent("agent-lost")),
                executor_id: None,
                status: None,
            })
        }),
        event(event::Type::InverseOffers, |e| {
            e.inverse_offers = Some(event::InverseOffers {
                inverse_offers: vec![InverseOffer {
                    id: offer_id("inverse-1"),
                    framework_id: FrameworkId {
                        value: framework_id.clone(),
                    },
                    unavailability: Unavailability {
                        start: TimeInfo { nanoseconds: 1 },
                        duration: None,
                    },
                    ..Default::default()
                }],
            })
        }),
        event(event::Type::RescindInverseOffer, |e| {
            e.rescind_inverse_offer = Some(event::RescindInverseOffer {
                inverse_offer_id: offer_id("inverse-1"),
            })
        }),
        event(event::Type::UpdateOperationStatus, |e| {
            e.update_operation_status = Some(event::UpdateOperationStatus {
                status: OperationStatus {
                    operation_id: Some(OperationId {
                        value: "operation-1".to_string(),
                    }),
                    state: 2, // OPERATION_FINISHED
                    ..Default::default()
                },
            })
        }),
        event(event::Type::Error, |e| {
            e.error = Some(event::Error {
                message: "injected error".to_string(),
            })
        }),
    ];
    // ERROR last and on its own: the driver aborts when it reads ERROR, and events still
    // queued for dispatch at that moment are not delivered.
    let (error_event, others) = injected.split_last().unwrap();
    for bytes in others {
        cluster.inject_event(&framework_id, bytes);
    }
    recorder.wait_for(|calls| calls.iter().any(|c| matches!(c, Call::OperationStatus(_))));
    cluster.inject_event(&framework_id, error_event);
    let calls = recorder.wait_for(|calls| calls.iter().any(|c| matches!(c, Call::Error { .. })));
    let delivered: Vec<Call> = calls[seen_before_injection..]
        .iter()
        .filter(|call| !matches!(call, Call::Heartbeat | Call::ResourceOffers(_)))
        .cloned()
        .collect();
    let expected = vec![
        Call::OfferRescinded(offer_id("rescinded-offer").encode_to_vec()),
        Call::FrameworkMessage {
            executor_id: executor("executor-m").encode_to_vec(),
            agent_id: agent("agent-m").encode_to_vec(),
            data: b"\x00binary\xffdata".to_vec(),
        },
        Call::ExecutorLost {
            executor_id: executor("executor-f").encode_to_vec(),
            agent_id: agent("agent-f").encode_to_vec(),
            status: 137,
        },
        Call::SlaveLost(agent("agent-lost").encode_to_vec()),
        Call::InverseOffers(vec![InverseOffer {
            id: offer_id("inverse-1"),
            framework_id: FrameworkId {
                value: framework_id.clone(),
            },
            unavailability: Unavailability {
                start: TimeInfo { nanoseconds: 1 },
                duration: None,
            },
            ..Default::default()
        }
        .encode_to_vec()]),
        Call::InverseOfferRescinded(offer_id("inverse-1").encode_to_vec()),
        Call::OperationStatus(
            OperationStatus {
                operation_id: Some(OperationId {
                    value: "operation-1".to_string(),
                }),
                state: 2,
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        Call::Error {
            message: "injected error".to_string(),
            nul_terminated: true,
        },
    ];
    assert_eq!(delivered, expected);

    unsafe {
        // error() runs after the driver aborted.
        assert_eq!(
            mesos_sched_driver_status(driver),
            MESOS_SCHED_STATUS_DRIVER_ABORTED
        );
        assert_eq!(
            mesos_sched_driver_join(driver),
            MESOS_SCHED_STATUS_DRIVER_ABORTED
        );
        mesos_sched_driver_free(driver);
    }
    assert_eq!(
        recorder.threads.lock().unwrap().len(),
        1,
        "one callback thread"
    );
    assert!(
        !*recorder.overlapping.lock().unwrap(),
        "callbacks overlapped"
    );
    assert!(
        !*recorder.wrong_handle.lock().unwrap(),
        "a callback got another handle"
    );
}
