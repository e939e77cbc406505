//! `MessageIterator`: an IMAP or Graph listing fetched one batch (one round
//! trip) at a time as Python iterates it.

use std::collections::VecDeque;
use std::sync::Mutex;

use oauthmail::imap::MessagePages;
use oauthmail::{Error, GraphMailClient, GraphMessagePages, ImapClient};
use pyo3::prelude::*;

use crate::errors::blocking;
use crate::handle::Handle;
use crate::summary::MessageSummary;

/// Where the next batch comes from.
pub enum Pages {
    Imap(Handle<ImapClient>, MessagePages),
    Graph(Handle<GraphMailClient>, GraphMessagePages),
}

struct State {
    pages: Pages,
    batch: VecDeque<MessageSummary>,
}

/// A listing, fetched one batch at a time. Iterate it from one thread at a
/// time: a second thread gets a `ConfigError`.
#[pyclass(frozen, module = "oauthmail._native")]
pub struct MessageIterator {
    state: Mutex<State>,
}

impl MessageIterator {
    pub fn new(pages: Pages) -> Self {
        MessageIterator { state: Mutex::new(State { pages, batch: VecDeque::new() }) }
    }
}

#[pymethods]
impl MessageIterator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<MessageSummary>> {
        let state = &self.state;
        blocking(py, move || {
            let mut st = state.try_lock().map_err(|_| {
                Error::config("this listing is being iterated by another thread")
                    .with_hint("Iterate a listing from one thread, or list once per thread.")
            })?;
            if st.batch.is_empty() {
                let next = match &mut st.pages {
                    Pages::Imap(client, pages) => client.arc().next_page(pages)?,
                    Pages::Graph(client, pages) => client.arc().next_page(pages)?,
                };
                st.batch.extend(next.into_iter().flatten().map(MessageSummary::from));
            }
            Ok(st.batch.pop_front())
        })
    }

    /// Messages not yet returned (IMAP; `None` for Graph, which pages by link).
    #[getter]
    fn remaining(&self) -> Option<usize> {
        let st = self.state.try_lock().ok()?;
        match &st.pages {
            Pages::Imap(_, pages) => Some(pages.remaining() + st.batch.len()),
            Pages::Graph(..) => None,
        }
    }

    /// Messages in the whole listing (IMAP; `None` for Graph).
    #[getter]
    fn total(&self) -> Option<usize> {
        match &self.state.try_lock().ok()?.pages {
            Pages::Imap(_, pages) => Some(pages.total()),
            Pages::Graph(..) => None,
        }
    }
}
