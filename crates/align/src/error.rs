/// Why a copy could not be measured or aligned.
#[derive(Debug, thiserror::Error)]
pub enum AlignError {
    #[error("mpv could not decode the sound: {0}")]
    Mpv(#[from] matinee_mpv::MpvError),
    #[error("mpv did not finish decoding the sound within {0} s")]
    Timeout(u64),
    #[error("cannot keep the decoded sound: {0}")]
    Io(#[from] std::io::Error),
    #[error("the fingerprint is not readable: {0}")]
    BadPrint(String),
}
