//! One Matinee per person on Linux: a second launch (a clicked
//! `matinee://` link, "Open with" on a film) hands its command line to the
//! running app and exits at once, before any window.
//!
//! The running app holds an advisory lock on `instance.lock` for its whole
//! life (the kernel lets go when the process ends, even on a crash, so a
//! stale lock never keeps Matinee from starting) and listens on
//! `instance.sock` beside it, in a folder only this user can enter.
//! Other systems use `tauri-plugin-single-instance`; on Linux that plugin
//! talks D-Bus through zbus, over half a megabyte of the app for this
//! alone.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A launch's command line (without the program name) and where it was
/// started, so relative paths resolve as the person typed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    pub args: Vec<String>,
    pub cwd: PathBuf,
}

impl Launch {
    /// This process's own launch.
    pub fn current() -> Self {
        Self {
            args: std::env::args().skip(1).collect(),
            cwd: std::env::current_dir().unwrap_or_default(),
        }
    }
}

/// What [`claim`] found.
pub enum Claim {
    /// No Matinee was running: this one is it, and hears later launches
    /// through [`Primary::serve`].
    First(Primary),
    /// The running Matinee took this launch's command line.
    HandedOver,
}

/// The running app's side: the lock it holds and the socket it listens on.
pub struct Primary {
    _lock: File,
    listener: UnixListener,
}

/// A command line is a few paths and a link: anything longer is not a
/// launch.
const MAX_LAUNCH_BYTES: u64 = 64 * 1024;
/// How long a second launch waits for the first to take its command line
/// (the first may be between taking the lock and listening).
const HAND_OVER_WITHIN: Duration = Duration::from_secs(5);
const RETRY_EVERY: Duration = Duration::from_millis(50);
/// How long the running app waits for a launch to say what it carries.
const READ_WITHIN: Duration = Duration::from_secs(2);

/// The folder for the lock and the socket: `$XDG_RUNTIME_DIR/matinee`, or
/// a private folder in the temporary directory when there is no runtime
/// directory.
pub fn folder() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("matinee"),
        None => std::env::temp_dir().join(format!("matinee-{}", own_uid().unwrap_or(0))),
    }
}

/// Becomes the running Matinee, or hands `launch` to the one running.
pub fn claim(dir: &Path, launch: &Launch) -> std::io::Result<Claim> {
    claim_within(dir, launch, HAND_OVER_WITHIN)
}

fn claim_within(dir: &Path, launch: &Launch, within: Duration) -> std::io::Result<Claim> {
    private_folder(dir)?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("instance.lock"))?;
    let socket = dir.join("instance.sock");
    let deadline = Instant::now() + within;
    loop {
        match lock.try_lock() {
            Ok(()) => {
                // A socket left by a Matinee that ended: nobody holds it.
                let _ = std::fs::remove_file(&socket);
                let listener = UnixListener::bind(&socket)?;
                return Ok(Claim::First(Primary {
                    _lock: lock,
                    listener,
                }));
            }
            Err(TryLockError::WouldBlock) => match hand_over(&socket, launch) {
                Ok(()) => return Ok(Claim::HandedOver),
                Err(e) if Instant::now() >= deadline => {
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!("the running Matinee did not take the launch: {e}"),
                    ))
                }
                Err(_) => std::thread::sleep(RETRY_EVERY),
            },
            Err(TryLockError::Error(e)) => return Err(e),
        }
    }
}

impl Primary {
    /// Hears later launches on a thread of its own for the life of the
    /// app, calling `on_launch` with each.
    pub fn serve(self, on_launch: impl Fn(Launch) + Send + 'static) {
        let Primary {
            _lock: lock,
            listener,
        } = self;
        std::thread::Builder::new()
            .name("single-instance".into())
            .spawn(move || {
                // Moved in and held while the thread listens: the lock is
                // let go only when the app ends.
                let _held = lock;
                for stream in listener.incoming() {
                    match stream.and_then(take_launch) {
                        Ok(launch) => on_launch(launch),
                        Err(e) => tracing::warn!("a second launch could not hand over: {e}"),
                    }
                }
            })
            .expect("a thread starts");
    }
}

/// Reads one launch and says it was taken.
fn take_launch(mut stream: UnixStream) -> std::io::Result<Launch> {
    stream.set_read_timeout(Some(READ_WITHIN))?;
    stream.set_write_timeout(Some(READ_WITHIN))?;
    let mut line = String::new();
    BufReader::new((&stream).take(MAX_LAUNCH_BYTES)).read_line(&mut line)?;
    let launch: Launch = serde_json::from_str(&line).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a launch: {e}"),
        )
    })?;
    stream.write_all(b"ok\n")?;
    Ok(launch)
}

/// Gives `launch` to the running app and waits until it says it has it.
fn hand_over(socket: &Path, launch: &Launch) -> std::io::Result<()> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(HAND_OVER_WITHIN))?;
    stream.set_write_timeout(Some(HAND_OVER_WITHIN))?;
    let mut line = serde_json::to_string(launch).map_err(std::io::Error::other)?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    BufReader::new(stream.take(16)).read_line(&mut answer)?;
    if answer.trim() == "ok" {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the running Matinee did not answer",
        ))
    }
}

/// Makes `dir` if needed and checks only this user can reach it: a folder
/// someone else made (in a shared temporary directory) is refused.
fn private_folder(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    let mine = own_uid().is_none_or(|uid| meta.uid() == uid);
    if !meta.is_dir() || !mine {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{} belongs to someone else", dir.display()),
        ));
    }
    if meta.mode() & 0o777 != 0o700 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// This process's user, read from its own `/proc` entry (no libc call).
fn own_uid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn launch(args: &[&str]) -> Launch {
        Launch {
            args: args.iter().map(|a| a.to_string()).collect(),
            cwd: PathBuf::from("/films"),
        }
    }

    /// A running Matinee in a fresh folder, and what it hears.
    struct Running {
        _dir: tempfile::TempDir,
        folder: PathBuf,
        heard: mpsc::Receiver<Launch>,
    }

    /// Claims `folder`, where nothing runs yet.
    fn first(folder: &Path) -> Primary {
        let Claim::First(first) = claim(folder, &launch(&[])).unwrap() else {
            panic!("nothing was running");
        };
        first
    }

    fn running() -> Running {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("matinee");
        let first = first(&folder);
        let (tx, heard) = mpsc::channel();
        first.serve(move |l| tx.send(l).unwrap());
        Running {
            _dir: dir,
            folder,
            heard,
        }
    }

    impl Running {
        /// A second launch with `args`: handed over, and heard as it was.
        fn second_launch(&self, args: &[&str]) {
            let second = launch(args);
            let claimed = claim(&self.folder, &second).unwrap();
            assert!(matches!(claimed, Claim::HandedOver));
            let heard = self.heard.recv_timeout(Duration::from_secs(5)).unwrap();
            assert_eq!(heard, second);
        }
    }

    #[test]
    fn a_second_launch_hands_its_command_line_to_the_first() {
        let app = running();
        app.second_launch(&["matinee://join/ABC234", "film.mkv"]);
        // And again: the first keeps listening.
        app.second_launch(&["other.mkv"]);
        let mode = std::fs::metadata(&app.folder).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn a_matinee_that_ended_leaves_nothing_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("matinee");
        drop(first(&folder)); // lock released, socket file left behind
        assert!(folder.join("instance.sock").exists());
        assert!(matches!(
            claim(&folder, &launch(&[])).unwrap(),
            Claim::First(_)
        ));
    }

    #[test]
    fn garbage_on_the_socket_is_refused_and_the_first_listens_on() {
        let app = running();
        let mut s = UnixStream::connect(app.folder.join("instance.sock")).unwrap();
        s.write_all(b"{not json\n").unwrap();
        let mut answer = String::new();
        let _ = BufReader::new(s).read_line(&mut answer);
        assert_eq!(answer, "", "no ok for garbage");
        app.second_launch(&["film.mkv"]);
    }

    #[test]
    fn a_running_matinee_that_does_not_answer_is_given_up_on() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("matinee");
        private_folder(&folder).unwrap();
        // Holds the lock but never listens (hung between the two).
        let lock = File::create(folder.join("instance.lock")).unwrap();
        lock.try_lock().unwrap();
        let started = Instant::now();
        let err = claim_within(&folder, &launch(&["film.mkv"]), Duration::from_millis(300))
            .err()
            .expect("no hand-over");
        assert!(err.to_string().contains("did not take the launch"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_folder_that_is_a_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let folder = dir.path().join("matinee");
        std::os::unix::fs::symlink(&elsewhere, &folder).unwrap();
        let err = claim(&folder, &launch(&[])).err().expect("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    }
}
