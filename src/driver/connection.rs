//! The connection thread: detect the leader -> SUBSCRIBE -> RecordIO -> events, with
//! the registration backoff between attempts.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message;

use super::calls::{self, event_type};
use super::state::{Connection, Dispatch, Shared, State};
use super::Status;
use crate::http::{SubscribeError, Subscription, Transport, SCHEDULER_PATH};
use crate::log::Level;
use crate::log_at;
use crate::proto::envelope;

/// value up to min(max, failover_timeout / 10 when > 0).
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    cap: Duration,
    failures: u32,
    rng: u64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration, failover_timeout: f64) -> Backoff {
        let mut cap = max;
        if failover_timeout > 0.0 {
            if let Ok(tenth) = Duration::try_from_secs_f64(failover_timeout / 10.0) {
                cap = cap.min(tenth);
            }
        }
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        Backoff {
            initial,
            cap,
            failures: 0,
            rng: seed | 1,
        }
    }

    /// The bound b for the next wait after another failure.
    pub fn bound_after_failure(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let factor = 1u32 << (self.failures - 1).min(20);
        self.initial.saturating_mul(factor).min(self.cap)
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The bound for a reconnection after a lost (previously working) subscription.
    pub fn bound_after_loss(&self) -> Duration {
        self.initial.min(self.cap)
    }

    /// Uniformly random in [0, bound].
    pub fn jitter(&mut self, bound: Duration) -> Duration {
        // xorshift64*: plenty for jitter.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let random = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let fraction = (random >> 11) as f64 / (1u64 << 53) as f64;
        bound.mul_f64(fraction)
    }
}

enum AttemptEnd {
    /// The attempt failed before SUBSCRIBED.
    Failed,
    /// A working subscription was lost.
    Lost,
    /// The driver is no longer running, or the master refused us for good.
    Finished,
}

pub(crate) fn connection_main(shared: Arc<Shared>) {
    let mut backoff = {
        let state = shared.lock();
        Backoff::new(
            state.options.backoff_initial,
            state.options.backoff_max,
            state.facts.failover_timeout,
        )
    };
    loop {
        if !shared.is_running() {
            break;
        }
        let mut no_leader = false;
        let end = match shared
            .detector
            .wait_for_change(None, Duration::from_millis(500))
        {
            Ok(Some(leader)) => attempt(&shared, &leader, &mut backoff),
            Ok(None) => {
                log_at!(shared.logger, Level::Info, "no leading master detected");
                no_leader = true;
                AttemptEnd::Failed
            }
            Err(message) => {
                shared.fatal(&message);
                AttemptEnd::Finished
            }
        };
        let bound = match end {
            AttemptEnd::Finished => break,
            AttemptEnd::Failed => backoff.bound_after_failure(),
            AttemptEnd::Lost => backoff.bound_after_loss(),
        };
        // A floor, so that a zero backoff option cannot make a busy loop of retries.
        let delay = backoff.jitter(bound).max(Duration::from_millis(5));
        log_at!(
            shared.logger,
            Level::Debug,
            "retrying SUBSCRIBE in {delay:?}"
        );
        let running = if no_leader {
            wait_for_leader(&shared, delay)
        } else {
            shared.sleep_while_running(delay)
        };
        if !running {
            break;
        }
    }
    log_at!(shared.logger, Level::Debug, "connection thread exits");
}

/// Waits up to `timeout` for a leader to be elected (the detector wakes us at once, e.g.
/// on a ZooKeeper election) or the driver to leave RUNNING; true if still running.
fn wait_for_leader(shared: &Shared, timeout: Duration) -> bool {
    // Slices, so that stop()/abort() are noticed while the detector blocks.
    const SLICE: Duration = Duration::from_millis(100);
    let deadline = Instant::now() + timeout;
    loop {
        if !shared.is_running() {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        let slice = left.min(SLICE);
        let started = Instant::now();
        match shared.detector.wait_for_change(None, slice) {
            Ok(Some(_)) => return shared.is_running(),
            // A detector that does not block must not make this a busy loop.
            Ok(None) if started.elapsed() < slice / 2 => {
                shared.sleep_while_running(slice - started.elapsed());
            }
            Ok(None) => {}
            // The next detection reports it (error() + abort).
            Err(_) => return shared.is_running(),
        }
    }
}

fn attempt(shared: &Arc<Shared>, leader: &str, backoff: &mut Backoff) -> AttemptEnd {
    let (body, transport, max_record_bytes, generation, agent) = {
        let mut state = shared.lock();
        if state.status != Status::Running {
            return AttemptEnd::Finished;
        }
        let transport = match Transport::new(&shared.transport_config(&state.options)) {
            Ok(transport) => transport,
            Err(e) => {
                drop(state);
                shared.fatal(&format!("TLS configuration: {e}"));
                return AttemptEnd::Finished;
            }
        };
        let framework_info =
            calls::with_framework_id(&state.framework_info, state.framework_id.as_ref());
        let body = calls::subscribe_call(
            framework_info,
            state.framework_id.as_ref(),
            state.suppressed_roles.iter().cloned().collect(),
            state.offer_constraints.clone(),
        );
        let agent = transport.stream_agent();
        state.stream_generation += 1;
        state.stream_agent = Some(agent.clone());
        state.attempt_leader = Some(leader.to_string());
        // Until SUBSCRIBED, the answer must come within the request timeout.
        state.watchdog = Some(state.options.request_timeout);
        shared.touch();
        (
            body,
            transport,
            state.options.max_record_bytes,
            state.stream_generation,
            agent,
        )
    };
    let endpoint = format!("{leader}{SCHEDULER_PATH}");
    log_at!(shared.logger, Level::Info, "SUBSCRIBE to {endpoint}");
    let end = match transport.subscribe(&agent, &endpoint, &body) {
        Ok(subscription) => {
            let calls = Calls {
                agent: transport.call_agent(),
                generation,
            };
            read_stream(shared, subscription, &calls, max_record_bytes, backoff)
        }
        Err(SubscribeError::Transient(message)) => {
            log_at!(shared.logger, Level::Warn, "{message}");
            AttemptEnd::Failed
        }
        Err(SubscribeError::Unauthorized) => {
            if shared.is_running() {
                shared.fatal("Master refused authentication");
            }
            AttemptEnd::Finished
        }
        Err(SubscribeError::Forbidden(body)) => {
            if shared.is_running() {
                let body = body.trim();
                shared.fatal(if body.is_empty() {
                    "Master refused the subscription (403 Forbidden)"
                } else {
                    body
                });
            }
            AttemptEnd::Finished
        }
    };
    // Forget this attempt's agent (unless another attempt replaced it already).
    let mut state = shared.lock();
    if state.stream_generation == generation {
        state.stream_agent = None;
        state.watchdog = None;
        state.attempt_leader = None;
    }
    drop(state);
    agent.shutdown();
    end
}

/// What the calls of a subscription are sent with.
struct Calls {
    agent: ureq::Agent,
    generation: u64,
}

fn read_stream(
    shared: &Arc<Shared>,
    subscription: Subscription,
    calls: &Calls,
    max_record_bytes: u64,
    backoff: &mut Backoff,
) -> AttemptEnd {
    let Subscription {
        endpoint,
        stream_id,
        mut body,
    } = subscription;
    log_at!(
        shared.logger,
        Level::Debug,
        "stream {stream_id} open at {endpoint}"
    );
    let mut decoder = crate::recordio::Decoder::new(max_record_bytes);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut records = Vec::new();
    let mut subscribed = false;
    let reason = loop {
        match body.read(&mut buffer) {
            Ok(0) => {
                break match decoder.finish() {
                    Ok(()) => "the master closed the event stream".to_string(),
                    Err(e) => e.to_string(),
                }
            }
            Ok(n) => {
                shared.touch();
                if let Err(e) = decoder.feed(&buffer[..n], &mut records) {
                    break e.to_string();
                }
                // Decoded outside the lock; then one lock for every event of this read.
                let mut events = Vec::with_capacity(records.len());
                let mut undecodable = None;
                for record in records.drain(..) {
                    match envelope::Event::decode(record) {
                        Ok(event) => events.push(event),
                        Err(e) => {
                            undecodable = Some(format!("an event that does not decode: {e}"));
                            break;
                        }
                    }
                }
                records.clear();
                let mut failure = None;
                let mut state = shared.lock();
                for event in events {
                    match handle_event(
                        shared,
                        &mut state,
                        event,
                        &endpoint,
                        &stream_id,
                        calls,
                        &mut subscribed,
                    ) {
                        Ok(true) => {}
                        Ok(false) => {
                            failure = Some(None);
                            break;
                        }
                        Err(reason) => {
                            failure = Some(Some(reason));
                            break;
                        }
                    }
                }
                drop(state);
                if failure.is_none() {
                    failure = undecodable.map(Some);
                }
                match failure {
                    None => {}
                    Some(None) => return AttemptEnd::Finished,
                    Some(Some(reason)) => break reason,
                }
            }
            Err(e) => break format!("event stream: {e}"),
        }
    };
    let mut state = shared.lock();
    if subscribed {
        Shared::end_connection(&mut state);
    }
    if state.status != Status::Running {
        return AttemptEnd::Finished;
    }
    log_at!(
        shared.logger,
        Level::Warn,
        "connection to the master lost: {reason}"
    );
    if subscribed {
        Shared::dispatch(&state, Dispatch::Disconnected);
        backoff.reset();
        AttemptEnd::Lost
    } else {
        AttemptEnd::Failed
    }
}

/// One event, under the state lock held by the caller. Ok(true): go on; Ok(false): stop
/// reading (driver finished); Err: connection lost.
fn handle_event(
    shared: &Arc<Shared>,
    state: &mut State,
    event: envelope::Event,
    endpoint: &str,
    stream_id: &str,
    calls: &Calls,
    subscribed: &mut bool,
) -> Result<bool, String> {
    let kind = event.r#type.unwrap_or(0);
    match kind {
        event_type::SUBSCRIBED => {
            let Some(subscribed_event) = event.subscribed else {
                return Err("SUBSCRIBED without its payload".to_string());
            };
            if state.status != Status::Running {
                return Ok(false);
            }
            let interval = subscribed_event
                .heartbeat_interval_seconds
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(15.0);
            state.watchdog =
                Duration::try_from_secs_f64(interval * state.options.heartbeat_timeout_factor).ok();
            state.connection = Some(Arc::new(Connection {
                endpoint: endpoint.to_string(),
                stream_id: stream_id.to_string(),
                call_agent: calls.agent.clone(),
                generation: calls.generation,
            }));
            let framework_id = subscribed_event.framework_id;
            state.framework_id = Some(framework_id.clone());
            let master_info = subscribed_event.master_info.unwrap_or_default();
            log_at!(
                shared.logger,
                Level::Info,
                "subscribed as framework {} (heartbeat {interval} s)",
                calls::id_value(&framework_id)
            );
            let item = if state.registered_once {
                Dispatch::Reregistered { master_info }
            } else {
                state.registered_once = true;
                Dispatch::Registered {
                    framework_id,
                    master_info,
                }
            };
            Shared::dispatch(state, item);
            *subscribed = true;
            Ok(true)
        }
        event_type::ERROR => {
            let message = event
                .error
                .map(|e| e.message)
                .unwrap_or_else(|| "ERROR event without a message".to_string());
            log_at!(shared.logger, Level::Error, "ERROR event: {message}");
            if state.status != Status::Running {
                return Ok(false);
            }
            // The master ended this subscription: read no further and send nothing more
            // on it (and no TEARDOWN after the abort). The events read before still reach
            // their callbacks; the dispatcher aborts in order, then runs error().
            Shared::end_connection(state);
            Shared::dispatch(
                state,
                Dispatch::Error {
                    message,
                    abort_first: true,
                },
            );
            Ok(false)
        }
        _ if !*subscribed => {
            log_at!(
                shared.logger,
                Level::Debug,
                "ignoring event {kind} before SUBSCRIBED"
            );
            Ok(true)
        }
        event_type::OFFERS
        | event_type::RESCIND
        | event_type::UPDATE
        | event_type::MESSAGE
        | event_type::FAILURE
        | event_type::HEARTBEAT
        | event_type::INVERSE_OFFERS
        | event_type::RESCIND_INVERSE_OFFER
        | event_type::UPDATE_OPERATION_STATUS => {
            match state.status {
                Status::Running => {
                    Shared::dispatch(state, Dispatch::Event(Box::new(event)));
                    Ok(true)
                }
                // After stop() the sender closes the stream once the calls queued before
                // (TEARDOWN above all) are out; until then events are just dropped.
                Status::Stopped => Ok(true),
                _ => Ok(false),
            }
        }
        other => {
            log_at!(
                shared.logger,
                Level::Debug,
                "ignoring unknown event type {other}"
            );
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn backoff_bounds_double_and_cap() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(60), 0.0);
        let bounds: Vec<u64> = (0..7).map(|_| b.bound_after_failure().as_secs()).collect();
        assert_eq!(bounds, [2, 4, 8, 16, 32, 60, 60]);
        b.reset();
        assert_eq!(b.bound_after_failure(), Duration::from_secs(2));
        // failover_timeout / 10 caps it further.
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(60), 50.0);
        let bounds: Vec<u64> = (0..4).map(|_| b.bound_after_failure().as_secs()).collect();
        assert_eq!(bounds, [2, 4, 5, 5]);
        for _ in 0..1000 {
            let d = b.jitter(Duration::from_millis(100));
            assert!(d <= Duration::from_millis(100));
        }
        let spread: BTreeSet<u128> = (0..100)
            .map(|_| b.jitter(Duration::from_secs(1)).as_millis() / 100)
            .collect();
        assert!(spread.len() > 5, "jitter is not random: {spread:?}");
    }
}
