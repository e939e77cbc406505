//! Progress bars on stderr, only when it is a terminal (plain output when piped).

use std::io::{IsTerminal as _, Write};

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `total` items, or a hidden one when stderr is not a terminal.
pub fn items(total: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {what} ({{eta}})")) {
        bar.set_style(style);
    }
    bar
}

/// A byte counter for downloads of unknown size.
pub fn bytes(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template(&format!("{{spinner}} {what} {{bytes}} ({{bytes_per_sec}})")) {
        bar.set_style(style);
    }
    bar
}

/// A writer that advances `bar` by what passes through it.
pub struct Counting<'a, W> {
    pub inner: W,
    pub bar: &'a ProgressBar,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
