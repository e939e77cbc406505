//! Fetching a message into a buffer the caller owns.

use std::io::Write;

use oauthmail_core::{Error, Result};

use crate::boundary::write_out;

/// Writes into the caller's buffer and counts every byte, so that a message
/// that does not fit is read to its end (the session stays usable) and the
/// error can say how much room it needs.
struct CallerBuffer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for CallerBuffer<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Some(room) = self.buf.get_mut(self.len..) {
            let n = room.len().min(data.len());
            room[..n].copy_from_slice(&data[..n]);
        }
        self.len += data.len();
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `fetch` into `buf` (`cap` bytes) and writes the message length to
/// `out_len` when it fits; else a `Config` error naming the size needed.
///
/// # Safety
/// `buf` is NULL (only with `cap` 0) or writable for `cap` bytes; `out_len`
/// was checked non-NULL.
pub(crate) unsafe fn fetch_into(
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
    fetch: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let slice: &mut [u8] = if buf.is_null() {
        if cap != 0 {
            return Err(Error::config("`buffer` is NULL").with_hint("Pass a buffer, or 0 as its capacity."));
        }
        &mut []
    } else {
        // SAFETY: non-NULL and writable for `cap` bytes per the contract.
        unsafe { std::slice::from_raw_parts_mut(buf, cap) }
    };
    let mut sink = CallerBuffer { buf: slice, len: 0 };
    fetch(&mut sink)?;
    if sink.len > cap {
        return Err(Error::config(format!("the message is {} bytes but the buffer holds {cap}", sink.len))
            .with_hint("Size the buffer from oauthmail_message_summary_size, or fetch the message to a file."));
    }
    // SAFETY: checked non-NULL by the caller.
    unsafe { write_out(out_len, sink.len) };
    Ok(())
}
