//! A 10 MB message streamed from Dovecot: checksum intact, memory flat.
//! Alone in its binary because it counts every allocation of the process.

mod imap_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use imap_support::{stack, unique};
use oauthmail::Security;
use oauthmail::imap::{ImapClient, ImapConfig};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::SeqCst) + by;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Old and new block both exist during the copy.
        grew(new_size);
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes allocated at the peak of `f`, above what was allocated before it.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst) - base)
}

struct Digest {
    ctx: ring::digest::Context,
    len: u64,
}

impl Write for Digest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.ctx.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn streams_a_10_mb_message_with_flat_memory() {
    let Some(stack) = stack() else { return };
    let user = stack.user("carol");
    let folder = unique("Large");
    let report = stack.seed(&user, &folder, 0, &["--large-mb", "10"]);
    let uid = report["first_uid"].as_u64().unwrap() as u32;
    // The Maildir file has LF line ends; IMAP serves CRLF.
    let dir = format!("{}/cur", report["path"].as_str().unwrap());
    let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    let on_disk = std::fs::read(&file).unwrap();
    let mut expected = Vec::with_capacity(on_disk.len() * 102 / 100);
    for &b in &on_disk {
        if b == b'\n' {
            expected.push(b'\r');
        }
        expected.push(b);
    }
    let expected_sha = ring::digest::digest(&ring::digest::SHA256, &expected);
    let size = expected.len();
    assert!(size > 10_000_000);
    drop((on_disk, expected));

    let mut cfg = ImapConfig::new(stack.host(), stack.port("IMAPS"), &user);
    cfg.security = Some(Security::Tls);
    cfg.ca = stack.ca();
    cfg.timeout = Duration::from_secs(60);
    let c = ImapClient::new(cfg, stack.credential(&user)).unwrap();
    c.examine(&folder).unwrap();

    let mut sink = Digest { ctx: ring::digest::Context::new(&ring::digest::SHA256), len: 0 };
    let (res, peak) = peak_during(|| c.fetch_message_to(uid, &mut sink));
    res.unwrap();
    assert_eq!(sink.len as usize, size);
    assert_eq!(sink.ctx.finish().as_ref(), expected_sha.as_ref(), "checksum of the streamed message");
    assert!(peak < 1024 * 1024, "streaming held {peak} bytes at its peak for a {size}-byte message");

    // Into memory: one buffer of the message's size, never a second copy.
    let (bytes, peak) = peak_during(|| c.fetch_message(uid).unwrap());
    assert_eq!(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref(), expected_sha.as_ref());
    assert!(peak < size + 1024 * 1024, "fetch_message peaked at {peak} bytes for {size}");
    // A change on an examined (read-only) folder reselects it read-write.
    c.delete(&[uid], true).unwrap();
    assert_eq!(c.status(&folder).unwrap().messages, 0);
}
