//! The TCP transport of the calls' agent, tuned for many small sequential requests on
//! one keep-alive connection (ureq's own TCP transport costs ten system calls per call
//! and sends the request head and body in two segments):
//! - the request is written with one `send` (output is held until the transport waits
//!   for the answer, so head and body leave together, and the master reads the whole
//!   request at once);
//! - socket timeouts are set only when the one set differs from the remaining time of
//!   the call by more than a small slack (ureq sets them before every read and write);
//! - the pool's liveness check is one non-blocking `MSG_PEEK` (ureq: four system calls);
//! - TCP_NODELAY, and `Agent::shutdown` interrupts calls in flight (the socket is
//!   registered with the agent like ureq's own).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Weak};
use std::time::Duration;

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};
use ureq::{Error, Timeout};

/// Held output beyond this is sent at once (bodies are small; this bounds the copy).
const MAX_HELD_OUTPUT: usize = 256 * 1024;

/// A socket timeout within this much of a call's remaining time is kept (saves a system
/// call per read and write): a call times out within this much of its deadline.
const TIMEOUT_SLACK: Duration = Duration::from_millis(250);

/// Opens plain TCP connections for calls; TLS is chained after it.
#[derive(Debug)]
pub struct CallTcpConnector {
    pub connect_timeout: Duration,
}

impl<In: Transport> Connector<In> for CallTcpConnector {
    type Out = Either<In, CallTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(chained) = chained {
            return Ok(Some(Either::A(chained)));
        }
        let mut last_error = None;
        let mut stream = None;
        for addr in details.addrs.iter() {
            match TcpStream::connect_timeout(addr, self.connect_timeout) {
                Ok(connected) => {
                    stream = Some(connected);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let stream = match (stream, last_error) {
            (Some(stream), _) => stream,
            (None, Some(e)) if e.kind() == io::ErrorKind::TimedOut => {
                return Err(Error::Timeout(Timeout::Connect))
            }
            (None, Some(e)) => return Err(Error::Io(e)),
            (None, None) => return Err(Error::ConnectionFailed),
        };
        stream.set_nodelay(true)?;
        let config = details.config;
        let transport = CallTransport {
            stream: Arc::new(stream),
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            held: Vec::new(),
            read_timeout: None,
            write_timeout: None,
        };
        let handle: Weak<dyn ShutdownHandle> = Arc::downgrade(&transport.stream) as _;
        (details.register_shutdown)(handle)?;
        Ok(Some(Either::B(transport)))
    }
}

pub struct CallTransport {
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// Output not sent yet (sent before the next read, or when large).
    held: Vec<u8>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl std::fmt::Debug for CallTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .finish()
    }
}

/// The socket timeout to use for an operation that must end within `remaining`
/// (None: no deadline), given the one set now; None if the current one will do.
fn timeout_update(
    current: Option<Duration>,
    remaining: Option<Duration>,
) -> Option<Option<Duration>> {
    match (current, remaining) {
        (_, None) if current.is_none() => None,
        (_, None) => Some(None),
        (None, Some(wanted)) => Some(Some(wanted)),
        (Some(set), Some(wanted)) => {
            let close_enough = set <= wanted + TIMEOUT_SLACK && set + TIMEOUT_SLACK >= wanted;
            (!close_enough).then_some(Some(wanted))
        }
    }
}

fn remaining(timeout: NextTimeout) -> Result<Option<Duration>, Error> {
    if timeout.after.is_not_happening() {
        return Ok(None);
    }
    if timeout.after.is_zero() {
        return Err(Error::Timeout(timeout.reason));
    }
    Ok(Some(*timeout.after))
}

fn io_error(e: io::Error, reason: Timeout) -> Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout(reason),
        _ => Error::Io(e),
    }
}

impl CallTransport {
    fn set_write_timeout(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        if let Some(update) = timeout_update(self.write_timeout, remaining(timeout)?) {
            self.stream.set_write_timeout(update)?;
            self.write_timeout = update;
        }
        Ok(())
    }

    fn send_held(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let timeout = timeout.for_write();
        self.set_write_timeout(timeout)?;
        let result = (&*self.stream).write_all(&self.held);
        self.held.clear();
        result.map_err(|e| io_error(e, timeout.reason))
    }
}

impl Transport for CallTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let output = &self.buffers.output()[..amount];
        self.held.extend_from_slice(output);
        if self.held.len() > MAX_HELD_OUTPUT {
            self.send_held(timeout)?;
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.send_held(timeout)?;
        let timeout = timeout.for_read();
        if let Some(update) = timeout_update(self.read_timeout, remaining(timeout)?) {
            self.stream.set_read_timeout(update)?;
            self.read_timeout = update;
        }
        let input = self.buffers.input_append_buf();
        let amount = loop {
            match (&*self.stream).read(input) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(|e| io_error(e, timeout.reason))?,
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        if !self.held.is_empty() {
            return true;
        }
        let mut byte = 0u8;
        // SAFETY: a one-byte peek into a valid local buffer on our own socket.
        let peeked = unsafe {
            libc::recv(
                self.stream.as_raw_fd(),
                (&mut byte as *mut u8).cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        // Nothing to read (EAGAIN) is the only healthy state of an idle connection: EOF,
        // errors and unexpected bytes all mean it cannot be reused.
        peeked < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_timeouts_change_only_when_needed() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        assert_eq!(timeout_update(None, None), None);
        assert_eq!(timeout_update(Some(s(1)), None), Some(None));
        assert_eq!(timeout_update(None, Some(s(75))), Some(Some(s(75))));
        // The deadline shrinks by microseconds between operations: kept.
        assert_eq!(timeout_update(Some(s(75)), Some(s(75) - ms(1))), None);
        // The next call, with a fresh deadline: kept too.
        assert_eq!(timeout_update(Some(s(75) - ms(1)), Some(s(75))), None);
        // After a call that came close to its deadline: lengthened again.
        assert_eq!(timeout_update(Some(s(2)), Some(s(75))), Some(Some(s(75))));
        // Close to the deadline: shortened.
        assert_eq!(timeout_update(Some(s(75)), Some(s(2))), Some(Some(s(2))));
    }
}
