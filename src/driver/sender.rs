//! The sender thread and its acknowledgement lanes: calls in order on keep-alive
//! connections, and the teardown after an abort.

use std::io::Read;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use prost::Message;

use super::calls::{self, call_type, event_type};
use super::state::{Outgoing, Shared};
use super::Status;
use crate::http::{Subscription, Transport, SCHEDULER_PATH};
use crate::log::Level;
use crate::log_at;
use crate::proto::envelope;

/// An acknowledgement's body and the `Connection::generation` it was made for.
type LaneItem = (Vec<u8>, u64);

/// The acknowledgements queued to the lanes and not answered yet.
#[derive(Default)]
struct InFlight {
    count: Mutex<usize>,
    idle: Condvar,
}

impl InFlight {
    fn queued(&self) {
        *self.count.lock() += 1;
    }

    fn answered(&self) {
        let mut count = self.count.lock();
        *count -= 1;
        if *count == 0 {
            self.idle.notify_all();
        }
    }

    fn wait_idle(&self) {
        let mut count = self.count.lock();
        while *count > 0 {
            self.idle.wait(&mut count);
        }
    }
}

/// Sends calls in order on one keep-alive connection. With `ack.connections` > 1,
/// acknowledgements go out on that many lanes of their own, a task's always on the same
/// lane (in order; a real agent refuses an acknowledgement that overtakes an earlier one
/// of the same task), different tasks' side by side. Every other call waits for the
/// acknowledgements queued before it and is sent alone, so no call overtakes another
/// call that is not an acknowledgement.
pub(crate) fn sender_main(shared: Arc<Shared>, rx: mpsc::Receiver<Outgoing>, transport: Transport) {
    // Calls go out on their subscription's agent (`Connection`); this one is for a
    // teardown after an abort.
    let agent = transport.call_agent();
    let lanes_wanted = shared.lock().options.ack_lanes.max(1);
    shared.lock().call_agent = Some(agent.clone());
    // With one connection wanted, acknowledgements go out inline like every other call.
    let lane_count = if lanes_wanted > 1 { lanes_wanted } else { 0 };
    let in_flight = InFlight::default();
    std::thread::scope(|scope| {
        let mut lanes = Vec::with_capacity(lane_count);
        for lane in 0..lane_count {
            let (lane_tx, lane_rx) = mpsc::channel::<LaneItem>();
            // Lanes inherit this thread's blocked signal mask.
            let (shared, transport, in_flight) = (&shared, &transport, &in_flight);
            let spawned = std::thread::Builder::new()
                .name(format!("mesos-sched-ack{lane}"))
                .spawn_scoped(scope, move || {
                    for (body, generation) in lane_rx {
                        send_one(shared, transport, &body, call_type::ACKNOWLEDGE, generation);
                        in_flight.answered();
                    }
                });
            match spawned {
                Ok(_) => lanes.push(lane_tx),
                Err(e) => log_at!(shared.logger, Level::Error, "no acknowledgement lane: {e}"),
            }
        }
        while let Ok(item) = rx.recv() {
            match item {
                Outgoing::Acknowledge {
                    body,
                    task_key,
                    generation,
                } if !lanes.is_empty() => {
                    // One task, one lane: a lane sends in order, so the acknowledgements
                    // of a task reach the master in the order its updates came.
                    let lane = &lanes[(task_key % lanes.len() as u64) as usize];
                    in_flight.queued();
                    if lane.send((body, generation)).is_err() {
                        in_flight.answered();
                    }
                }
                Outgoing::Acknowledge {
                    body, generation, ..
                } => send_one(
                    &shared,
                    &transport,
                    &body,
                    call_type::ACKNOWLEDGE,
                    generation,
                ),
                Outgoing::Call {
                    body,
                    kind,
                    generation,
                } => {
                    in_flight.wait_idle();
                    send_one(&shared, &transport, &body, kind, generation);
                }
                Outgoing::Stop => {
                    in_flight.wait_idle();
                    shared.close_stream();
                    break;
                }
                Outgoing::TeardownAfterAbort => {
                    in_flight.wait_idle();
                    teardown_after_abort(&shared, &transport, &agent);
                }
            }
        }
        // Closing the lane queues ends the lanes.
        drop(lanes);
    });
    let mut state = shared.lock();
    state.sender_done = true;
    state.call_agent = None;
    shared.changed.notify_all();
    log_at!(shared.logger, Level::Debug, "sender thread exits");
}

fn call_name(kind: i32) -> &'static str {
    match kind {
        call_type::TEARDOWN => "TEARDOWN",
        call_type::ACCEPT => "ACCEPT",
        call_type::DECLINE => "DECLINE",
        call_type::REVIVE => "REVIVE",
        call_type::KILL => "KILL",
        call_type::ACKNOWLEDGE => "ACKNOWLEDGE",
        call_type::RECONCILE => "RECONCILE",
        call_type::MESSAGE => "MESSAGE",
        call_type::REQUEST => "REQUEST",
        call_type::SUPPRESS => "SUPPRESS",
        call_type::UPDATE_FRAMEWORK => "UPDATE_FRAMEWORK",
        _ => "call",
    }
}

fn send_one(shared: &Arc<Shared>, transport: &Transport, body: &[u8], kind: i32, generation: u64) {
    let (connection, aborted) = {
        let state = shared.lock();
        (state.connection.clone(), state.status == Status::Aborted)
    };
    let Some(connection) = connection.filter(|c| c.generation == generation) else {
        // Disconnected, or made for a subscription that has ended since.
        log_at!(
            shared.logger,
            Level::Debug,
            "dropping {}: disconnected",
            call_name(kind)
        );
        return;
    };
    if aborted {
        return;
    }
    let name = call_name(kind);
    let agent = &connection.call_agent;
    match transport.call(agent, &connection.endpoint, &connection.stream_id, body) {
        Ok(response) => {
            let expected = if kind == call_type::UPDATE_FRAMEWORK {
                200
            } else {
                202
            };
            if response.status == expected || response.status == 202 {
                log_at!(shared.logger, Level::Trace, "{name} accepted");
                return;
            }
            let text = response.body.trim().to_string();
            let message = format!("{name} answered {}: {text}", response.status);
            log_at!(shared.logger, Level::Warn, "{message}");
            let not_subscribed = response.status == 403 && text.contains("not subscribed");
            let moved = (300..400).contains(&response.status);
            if (not_subscribed || moved) && shared.is_running() {
                // Our subscription is gone or the leader moved: subscribe again.
                let current = shared
                    .lock()
                    .connection
                    .as_ref()
                    .map(|c| c.stream_id.clone());
                if current.as_deref() == Some(connection.stream_id.as_str()) {
                    shared.close_stream();
                }
            }
        }
        Err(e) => {
            let current = shared
                .lock()
                .connection
                .as_ref()
                .is_some_and(|c| c.stream_id == connection.stream_id);
            if !current {
                // Interrupted because its subscription ended: dropped like any call made
                // while disconnected.
                log_at!(
                    shared.logger,
                    Level::Debug,
                    "{name} dropped: the connection to the master was lost ({e})"
                );
                return;
            }
            log_at!(shared.logger, Level::Warn, "{name} failed: {e}");
        }
    }
}

fn teardown_after_abort(shared: &Arc<Shared>, transport: &Transport, call_agent: &ureq::Agent) {
    let result = (|| -> Result<(), String> {
        let (framework_info, framework_id, timeout) = {
            let state = shared.lock();
            let framework_id = state
                .framework_id
                .clone()
                .ok_or_else(|| "no framework id".to_string())?;
            (
                calls::with_framework_id(&state.framework_info, Some(&framework_id)),
                framework_id,
                state.options.request_timeout,
            )
        };
        let leader = shared
            .detector
            .wait_for_change(None, Duration::from_secs(1))?
            .ok_or_else(|| "no leading master".to_string())?;
        let body = calls::subscribe_call(framework_info, Some(&framework_id), Vec::new(), None);
        let stream_agent = transport.stream_agent();
        // Dropping the driver interrupts this too (see `Driver::release`).
        shared.lock().teardown_agent = Some(stream_agent.clone());
        let endpoint = format!("{leader}{SCHEDULER_PATH}");
        let subscription = transport
            .subscribe(&stream_agent, &endpoint, &body)
            .map_err(|e| format!("{e:?}"))?;
        let Subscription {
            endpoint,
            stream_id,
            mut body,
        } = subscription;
        // Wait (bounded) for SUBSCRIBED: the master knows the stream only from then on.
        let watchdog_agent = stream_agent.clone();
        let (done, finished) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if finished.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
                watchdog_agent.shutdown();
            }
        });
        let mut decoder = crate::recordio::Decoder::new(1024 * 1024);
        let mut records = Vec::new();
        let mut buffer = [0u8; 4096];
        let subscribed = 'read: loop {
            let n = body.read(&mut buffer).map_err(|e| e.to_string())?;
            if n == 0 {
                break false;
            }
            decoder
                .feed(&buffer[..n], &mut records)
                .map_err(|e| e.to_string())?;
            for record in records.drain(..) {
                let event = envelope::Event::decode(record).map_err(|e| e.to_string())?;
                match event.r#type {
                    Some(event_type::SUBSCRIBED) => break 'read true,
                    Some(event_type::ERROR) => break 'read false,
                    _ => {}
                }
            }
        };
        let result = if subscribed {
            let teardown = calls::new_call(call_type::TEARDOWN, Some(&framework_id));
            transport
                .call(call_agent, &endpoint, &stream_id, &teardown.encode_to_vec())
                .map(drop)
        } else {
            Err("the master did not accept the framework again".to_string())
        };
        stream_agent.shutdown();
        drop(done);
        result
    })();
    shared.lock().teardown_agent = None;
    match result {
        Ok(()) => log_at!(
            shared.logger,
            Level::Info,
            "framework torn down after abort"
        ),
        Err(e) => log_at!(shared.logger, Level::Warn, "no TEARDOWN after abort: {e}"),
    }
}
