//! The one panic boundary every export goes through, the per-thread error slot for calls
//! that have no handle, and the checked conversions of C arguments into Rust borrows.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use super::{mesos_sched_driver, mesos_sched_status};
use crate::driver::Error;
use crate::log::{Level, Logger};

/// The C boundary's own log lines (usage errors, ignored calls). Its level comes from
/// `MESOS_SCHED_LOG` only: a driver's `log.level` option applies to the driver's lines.
pub(crate) fn logger() -> &'static Logger {
    static LOGGER: OnceLock<Logger> = OnceLock::new();
    LOGGER.get_or_init(|| Logger::new("ffi", Level::from_env()))
}

thread_local! {
    /// Last error of a call made on this thread without a usable handle (a failed
    /// `mesos_sched_driver_new`, a NULL driver argument, a panic while freeing).
    static THREAD_LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_thread_last_error(message: &str) {
    THREAD_LAST_ERROR.with(|slot| {
        let mut slot = slot.borrow_mut();
        slot.clear();
        slot.push_str(message);
    });
}

pub(crate) fn thread_last_error() -> String {
    THREAD_LAST_ERROR.with(|slot| slot.borrow().clone())
}

/// Runs `body`, turning a panic into `Error::Panic` and every error into its negative
/// status code, with the message recorded on `handle` (or on this thread without one).
pub(crate) fn boundary<F>(handle: Option<&mesos_sched_driver>, body: F) -> mesos_sched_status
where
    F: FnOnce() -> Result<mesos_sched_status, Error>,
{
    // Counted until the very end: free waits for calls (e.g. a join released by its
    // stop) that are still inside the handle.
    let _in_progress = handle.map(|handle| handle.enter_call());
    let outcome = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(Error::Panic(panic_message(payload.as_ref()))));
    match outcome {
        Ok(status) => status,
        Err(error) => {
            let level = match error {
                Error::Panic(_) | Error::CalledFromCallback(_) => Level::Warn,
                _ => Level::Debug,
            };
            crate::log_at!(
                logger(),
                level,
                "usage error {}: {}",
                error.code(),
                error.message()
            );
            record_error(handle, error.message());
            mesos_sched_status::from_error(&error)
        }
    }
}

/// Stores `message` as the last error of `handle`, or of this thread when there is no
/// handle or the handle cannot store it.
pub(crate) fn record_error(handle: Option<&mesos_sched_driver>, message: &str) {
    let stored = match handle {
        Some(handle) => {
            catch_unwind(AssertUnwindSafe(|| handle.driver.set_last_error(message))).is_ok()
        }
        None => false,
    };
    if !stored {
        set_thread_last_error(message);
    }
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let detail = if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.as_str()
    } else {
        "unknown panic payload"
    };
    format!("internal error (panic caught at the C boundary): {detail}")
}

/// The handle behind `driver`, or a NULL_ARGUMENT error naming the function.
pub(crate) fn require_driver<'a>(
    driver: Option<&'a mesos_sched_driver>,
    function: &str,
) -> Result<&'a mesos_sched_driver, Error> {
    driver.ok_or_else(|| Error::NullArgument(format!("{function}: driver is NULL")))
}

/// Borrows `len` bytes at `ptr`. NULL with length 0 is the empty message.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that outlive the returned slice.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    function: &str,
    name: &str,
) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Error::NullArgument(format!(
            "{function}: {name} is NULL but {name}_len is {len}"
        )));
    }
    Ok(std::slice::from_raw_parts(ptr, len))
}

/// Like [`bytes_arg`] for an optional message: NULL with length 0 means "absent".
///
/// # Safety
/// As for [`bytes_arg`].
pub(crate) unsafe fn optional_bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    function: &str,
    name: &str,
) -> Result<Option<&'a [u8]>, Error> {
    if ptr.is_null() && len == 0 {
        return Ok(None);
    }
    bytes_arg(ptr, len, function, name).map(Some)
}

/// Borrows an array of `count` byte messages. The array pointers may be NULL when
/// `count` is 0; each element follows the rules of [`bytes_arg`].
///
/// # Safety
/// Non-NULL `ptrs`/`lens` must point to `count` readable elements, each element pointing
/// to as many readable bytes as its length says, all outliving the returned slices.
pub(crate) unsafe fn bytes_array_arg<'a>(
    ptrs: *const *const u8,
    lens: *const usize,
    count: usize,
    function: &str,
    name: &str,
) -> Result<Vec<&'a [u8]>, Error> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if ptrs.is_null() {
        return Err(Error::NullArgument(format!(
            "{function}: {name} is NULL but its count is {count}"
        )));
    }
    if lens.is_null() {
        return Err(Error::NullArgument(format!(
            "{function}: the lengths of {name} are NULL but its count is {count}"
        )));
    }
    let ptrs = std::slice::from_raw_parts(ptrs, count);
    let lens = std::slice::from_raw_parts(lens, count);
    ptrs.iter()
        .zip(lens)
        .enumerate()
        .map(|(index, (&ptr, &len))| bytes_arg(ptr, len, function, &format!("{name}[{index}]")))
        .collect()
}

/// Borrows a required NUL-terminated UTF-8 string.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string that outlives the result.
pub(crate) unsafe fn str_arg<'a>(
    ptr: *const c_char,
    function: &str,
    name: &str,
) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::NullArgument(format!("{function}: {name} is NULL")));
    }
    CStr::from_ptr(ptr).to_str().map_err(|error| {
        Error::InvalidArgument(format!(
            "{function}: {name} is not valid UTF-8 (invalid byte at offset {})",
            error.valid_up_to()
        ))
    })
}

/// Borrows an array of `count` strings. NULL with count 0 is `None` (the caller gives
/// it its meaning, e.g. "all roles"); NULL with a non-zero count is an error.
///
/// # Safety
/// A non-NULL `ptrs` must point to `count` pointers, each to a NUL-terminated string,
/// all outliving the result.
pub(crate) unsafe fn str_array_arg<'a>(
    ptrs: *const *const c_char,
    count: usize,
    function: &str,
    name: &str,
) -> Result<Option<Vec<&'a str>>, Error> {
    if ptrs.is_null() {
        if count == 0 {
            return Ok(None);
        }
        return Err(Error::NullArgument(format!(
            "{function}: {name} is NULL but its count is {count}"
        )));
    }
    if count == 0 {
        return Ok(Some(Vec::new()));
    }
    std::slice::from_raw_parts(ptrs, count)
        .iter()
        .enumerate()
        .map(|(index, &ptr)| str_arg(ptr, function, &format!("{name}[{index}]")))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "test_fn";

    #[test]
    fn null_bytes_with_zero_len_is_empty() {
        let bytes = unsafe { bytes_arg(std::ptr::null(), 0, F, "x") }.unwrap();
        assert!(bytes.is_empty());
        assert_eq!(
            unsafe { optional_bytes_arg(std::ptr::null(), 0, F, "x") }.unwrap(),
            None
        );
    }

    #[test]
    fn null_bytes_with_len_is_null_argument_naming_it() {
        let error = unsafe { bytes_arg(std::ptr::null(), 3, F, "task_id") }.unwrap_err();
        assert_eq!(error.code(), -1);
        assert!(
            error.message().contains("test_fn: task_id is NULL"),
            "{error}"
        );
    }

    #[test]
    fn arrays_check_pointers_and_elements() {
        let empty = unsafe { bytes_array_arg(std::ptr::null(), std::ptr::null(), 0, F, "a") };
        assert!(empty.unwrap().is_empty());
        let error =
            unsafe { bytes_array_arg(std::ptr::null(), std::ptr::null(), 2, F, "offer_ids") }
                .unwrap_err();
        assert_eq!(error.code(), -1);

        let first = b"abc";
        let ptrs = [first.as_ptr(), std::ptr::null()];
        let lens = [3usize, 1];
        let error =
            unsafe { bytes_array_arg(ptrs.as_ptr(), lens.as_ptr(), 2, F, "tasks") }.unwrap_err();
        assert!(error.message().contains("tasks[1] is NULL"), "{error}");

        let lens = [3usize, 0];
        let ok = unsafe { bytes_array_arg(ptrs.as_ptr(), lens.as_ptr(), 2, F, "tasks") }.unwrap();
        assert_eq!(ok, vec![&b"abc"[..], &b""[..]]);
    }

    #[test]
    fn strings_reject_bad_utf8() {
        let bad = [0xffu8, 0xfe, 0];
        let error = unsafe { str_arg(bad.as_ptr().cast(), F, "master") }.unwrap_err();
        assert_eq!(error.code(), -2);
        let good = c"local";
        assert_eq!(
            unsafe { str_arg(good.as_ptr(), F, "master") }.unwrap(),
            "local"
        );
    }

    #[test]
    fn string_arrays_null_means_none() {
        assert_eq!(
            unsafe { str_array_arg(std::ptr::null(), 0, F, "roles") }.unwrap(),
            None
        );
        assert_eq!(
            unsafe { str_array_arg(std::ptr::null(), 1, F, "roles") }
                .unwrap_err()
                .code(),
            -1
        );
        let roles = [c"a".as_ptr(), c"b".as_ptr()];
        assert_eq!(
            unsafe { str_array_arg(roles.as_ptr(), 2, F, "roles") }.unwrap(),
            Some(vec!["a", "b"])
        );
    }

    #[test]
    fn panics_become_panic_status_with_message() {
        let status = boundary(None, || panic!("boom"));
        assert_eq!(status, mesos_sched_status::MESOS_SCHED_STATUS_ERROR_PANIC);
        assert!(thread_last_error().contains("boom"));
    }
}
