//! `bench-exec RSS_FILE CMD [ARGS...]`: runs CMD, writes its peak RSS (KiB, from
//! wait4) to RSS_FILE and exits with its status. The Python harness cannot read this
//! itself: a process it forks starts with the harness's own RSS high-water mark,
//! which exec keeps; forked from this small launcher, the contender starts near zero.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [rss_file, program, rest @ ..] = args.as_slice() else {
        eprintln!("usage: bench-exec RSS_FILE CMD [ARGS...]");
        return ExitCode::from(2);
    };
    let child = match Command::new(program).args(rest).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("bench-exec: cannot start {program}: {e}");
            return ExitCode::from(127);
        }
    };
    let mut status = 0;
    // SAFETY: a plain wait4 on our own child, into locals that outlive the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    if pid < 0 {
        eprintln!("bench-exec: wait4: {}", std::io::Error::last_os_error());
        return ExitCode::from(126);
    }
    if let Err(e) = std::fs::write(rss_file, format!("{}\n", usage.ru_maxrss)) {
        eprintln!("bench-exec: {rss_file}: {e}");
        return ExitCode::from(126);
    }
    if libc::WIFEXITED(status) {
        ExitCode::from(libc::WEXITSTATUS(status) as u8)
    } else {
        ExitCode::from(128 + libc::WTERMSIG(status) as u8)
    }
}
