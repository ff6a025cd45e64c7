//! The monitor thread: heartbeat watchdog, leader changes, and closing the stream after
//! a stop or abort.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::state::Shared;
use super::Status;
use crate::log::Level;
use crate::log_at;

/// Watches the stream's liveness, leader changes, and closes the stream after a stop.
pub(crate) fn monitor_main(shared: Arc<Shared>) {
    let watch_leader = !shared.detector.is_static();
    loop {
        let (known_leader, close_reason) = {
            let mut state = shared.lock();
            let stream_open = state.stream_agent.is_some();
            if state.status != Status::Running && !stream_open {
                break;
            }
            let mut reason = None;
            if state.status == Status::Stopped {
                let grace_over = state
                    .stopped_at
                    .is_some_and(|deadline| Instant::now() >= deadline);
                if grace_over && stream_open {
                    reason = Some("driver stopped".to_string());
                }
            } else if state.status == Status::Aborted && stream_open {
                reason = Some("driver aborted".to_string());
            } else if let Some(limit) = state.watchdog {
                if stream_open && shared.silence() > limit {
                    state.watchdog = None;
                    reason = Some(format!(
                        "no event from the master for {:?} (heartbeat watchdog)",
                        limit
                    ));
                }
            }
            let known = if state.connection.is_some() {
                state.attempt_leader.clone()
            } else {
                None
            };
            (known, reason)
        };
        if let Some(reason) = close_reason {
            log_at!(
                shared.logger,
                Level::Warn,
                "closing the event stream: {reason}"
            );
            shared.close_stream();
            continue;
        }
        match (watch_leader, known_leader) {
            (true, Some(known)) => {
                match shared
                    .detector
                    .wait_for_change(Some(&known), Duration::from_millis(100))
                {
                    Ok(current) if current.as_deref() != Some(known.as_str()) => {
                        let still_same = shared.lock().attempt_leader.as_deref() == Some(&known);
                        if still_same && shared.is_running() {
                            log_at!(
                                shared.logger,
                                Level::Info,
                                "leading master changed from {known} to {current:?}"
                            );
                            shared.close_stream();
                        }
                    }
                    Ok(_) => {}
                    Err(message) => {
                        if shared.is_running() {
                            shared.fatal(&message);
                        }
                    }
                }
            }
            _ => {
                let mut state = shared.lock();
                shared
                    .changed
                    .wait_for(&mut state, Duration::from_millis(50));
            }
        }
    }
    log_at!(shared.logger, Level::Debug, "monitor thread exits");
}
