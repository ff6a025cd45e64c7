//! The callback gate: which thread runs a callback now, and when join may return.

use std::sync::Arc;

use super::state::{Dispatch, Shared, State};
use super::Status;

impl Shared {
    /// The callback gate: under the state lock, decides whether `item` may run a
    /// callback now and marks the calling thread as inside one. Stop and abort take the
    /// same lock, so once they return no callback begins.
    pub(crate) fn enter_gate(&self, item: &Dispatch) -> Option<GatePass<'_>> {
        let mut state = self.lock();
        let mut aborted = None;
        let enter = match item {
            Dispatch::Exit | Dispatch::Wake => false,
            Dispatch::Error {
                abort_first: true, ..
            } => {
                let running = state.status == Status::Running;
                if running {
                    aborted = Some(self.abort_locked(&mut state));
                }
                running
            }
            Dispatch::Error {
                abort_first: false, ..
            } => std::mem::take(&mut state.error_owed),
            _ => state.status == Status::Running,
        };
        if !enter {
            return None;
        }
        state.callback_thread = Some(std::thread::current().id());
        drop(state);
        if let Some(agents) = aborted {
            self.finish_abort(agents);
        }
        Some(GatePass { shared: self })
    }

    /// True while a callback runs on a thread other than the caller's, or an `error`
    /// callback is still owed: join must wait for it.
    pub(crate) fn callback_pending_for_others(&self, state: &State) -> bool {
        state.error_owed
            || state
                .callback_thread
                .is_some_and(|thread| thread != std::thread::current().id())
    }

    /// Waits until the driver has left RUNNING and no callback runs or is owed
    /// (join/run); the final status.
    pub fn wait_until_finished(&self) -> Status {
        let mut state = self.lock();
        state.finish_waiters += 1;
        while state.status == Status::Running || self.callback_pending_for_others(&state) {
            self.changed.wait(&mut state);
        }
        state.finish_waiters -= 1;
        state.status
    }

    /// The final status once the driver has left RUNNING and no callback runs or is
    /// owed on another thread; None while join must still wait.
    pub fn finished_status(&self) -> Option<Status> {
        let state = self.lock();
        let finished = state.status != Status::Running && !self.callback_pending_for_others(&state);
        finished.then_some(state.status)
    }

    /// True when the calling thread runs one of this driver's callbacks.
    pub fn in_callback(&self) -> bool {
        self.lock().callback_thread == Some(std::thread::current().id())
    }

    pub(crate) fn pause_at(&self, point: PausePoint, callback: &str) {
        let hook = self.pause_hook.lock().clone();
        if let Some(hook) = hook {
            hook(point, callback);
        }
    }
}

/// A callback in progress; leaving the gate wakes join.
pub(crate) struct GatePass<'a> {
    shared: &'a Shared,
}

impl Drop for GatePass<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.callback_thread = None;
        // Only a join waits for a callback to end; waking every waiter of `changed`
        // (the monitor among them) after each callback would cost a wake-up per event.
        if state.finish_waiters > 0 {
            self.shared.changed.notify_all();
        }
    }
}

/// Where the dispatcher can be held by a test, for each item it takes from its queue.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PausePoint {
    /// The item was dequeued; the gate was not taken yet.
    BeforeGate,
    /// Inside the gate, just before the callback (no lock held).
    InsideGate,
}

/// A test's hook: called with the point and the name of the callback to come.
pub(crate) type PauseHook = Arc<dyn Fn(PausePoint, &str) + Send + Sync>;
