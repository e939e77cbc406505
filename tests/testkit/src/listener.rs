//! TCP listeners on 127.0.0.1 with one thread per connection.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Idle connections are closed after this, so no thread outlives a test by long.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A listening socket on 127.0.0.1 with an ephemeral port.
pub(crate) fn bind_loopback() -> io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
}

/// A running accept loop; dropping it stops accepting (open connections finish on their own).
pub(crate) struct Listener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Hands every connection accepted on `socket` to `handler` on its own thread.
    pub fn spawn(
        socket: TcpListener,
        name: &str,
        handler: Arc<dyn Fn(TcpStream) + Send + Sync>,
    ) -> io::Result<Listener> {
        let addr = socket.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread_name = format!("testkit-{name}");
        let thread = std::thread::Builder::new().name(thread_name.clone()).spawn(move || {
            for conn in socket.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
                let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let _ = std::thread::Builder::new().name(format!("{thread_name}-conn")).spawn(move || handler(stream));
            }
        })?;
        Ok(Listener { addr, stop, thread: Some(thread) })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so the loop sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
