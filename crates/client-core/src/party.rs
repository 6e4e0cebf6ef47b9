//! Starting a party, the one way the app and the CLI both use: which relay
//! a join goes to, which mpv plays, what media (a file, or a Jellyfin item
//! with its stream, its playback reports and its resume point), then the
//! session. The faces only choose (from settings or flags) and show.

use std::path::PathBuf;

use matinee_jellyfin::{JellyfinClient, Reporter};
use matinee_protocol::{relay_url_from_input, Invite, RelayEndpoint, RoomCode};
use matinee_sync::{ControllerKind, EngineConfig};

use crate::jellyfin_copies::queue_items_from;
use crate::{
    stream_media, ClientError, MediaSource, PartyHandle, PartySession, Role, SessionCmd,
    SessionConfig,
};

/// The relay a join without one goes to: a standalone relay on this
/// computer.
pub const DEFAULT_RELAY: &str = "ws://127.0.0.1:7878/ws";

/// What to play.
pub enum PartyMedia {
    /// A film on this computer.
    File(PathBuf),
    /// Series night from the start: these films or episodes, in order,
    /// as the room's queue (a host's; a member joining plays the first).
    Files(Vec<PathBuf>),
    /// An item on the user's Jellyfin server; when hosting, from `resume`
    /// seconds. A season or a series is the room's queue: its episodes
    /// in order (a member joining plays the first).
    Jellyfin {
        client: Box<JellyfinClient>,
        item: String,
        resume: Option<f64>,
    },
}

/// Everything a party needs, as the app's settings or the CLI's flags say.
pub struct PartyRequest {
    pub nickname: String,
    pub role: Role,
    pub relay: Vec<RelayEndpoint>,
    pub media: PartyMedia,
    /// mpv chosen by the user; none: look for it.
    pub mpv_path: Option<PathBuf>,
    /// No video or audio output.
    pub headless: bool,
    pub controller: ControllerKind,
    /// e.g. `matinee-app/0.1.0`.
    pub client_name: String,
    /// Where the member's films are (series night).
    pub film_folders: Vec<PathBuf>,
    /// The member's own Jellyfin server, when signed in (series night:
    /// entries are looked for there, and added from it).
    pub jellyfin: Option<Box<JellyfinClient>>,
}

/// Finds mpv, prepares the media and starts the session; a Jellyfin item's
/// playback is reported to its server, and a host's resume point is
/// applied once the room is open.
pub async fn start_party(req: PartyRequest) -> Result<PartyHandle, ClientError> {
    let hosting = matches!(req.role, Role::Host { .. });
    let mut queue = None;
    let (media, reporter, resume) = match req.media {
        PartyMedia::File(path) => (MediaSource::file(path), None, None),
        PartyMedia::Files(paths) => {
            let first = paths.first().cloned().ok_or(ClientError::NothingToQueue)?;
            queue = Some(SessionCmd::QueueAdd { paths, play: true });
            (MediaSource::file(first), None, None)
        }
        PartyMedia::Jellyfin {
            client,
            item,
            resume,
        } => {
            let group = queue_items_from(&client, &item).await?;
            let first = match group.as_slice() {
                [(_, only)] if only.item_id == item => item.clone(),
                [(_, first), ..] => {
                    queue = Some(SessionCmd::QueueAddJellyfin { item, play: true });
                    first.item_id.clone()
                }
                [] => return Err(matinee_jellyfin::JellyfinError::NotPlayable.into()),
            };
            let plan = client.plan_stream(&first).await?;
            let media = stream_media(&client, &plan);
            let resume = resume.filter(|r| queue.is_none() && hosting && r.is_finite() && *r > 0.0);
            (media, Some(Reporter::new(*client, &plan)), resume)
        }
    };
    // Only a host starts the room's queue.
    let queue = queue.filter(|_| hosting);
    let explicit = req.mpv_path.clone();
    let binary = tokio::task::spawn_blocking(move || matinee_mpv::locate(explicit.as_deref()))
        .await
        .map_err(|_| ClientError::Ended)??;
    let mut mpv = if req.headless {
        matinee_mpv::LaunchOptions::headless(binary)
    } else {
        matinee_mpv::LaunchOptions::new(binary)
    };
    mpv.title = Some(format!("Matinee — {}", req.nickname));
    let config = SessionConfig {
        relay: req.relay,
        nickname: req.nickname,
        role: req.role,
        media,
        mpv,
        engine: EngineConfig {
            controller: req.controller,
            ..Default::default()
        },
        client_name: req.client_name,
        osd_notices: true,
        backoff: Default::default(),
        film_folders: req.film_folders,
        jellyfin: req.jellyfin.map(|c| *c),
        reporter,
    };
    let session = PartySession::start(config).await?;
    if let Some(add) = queue {
        session.send(add);
    }
    if let Some(at) = resume {
        session.send(SessionCmd::Seek { position: at });
    }
    Ok(session)
}

/// Why a join has nowhere to go.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JoinTargetError {
    #[error("{0}")]
    Invite(#[from] matinee_protocol::InviteError),
    #[error("{0}")]
    Code(#[from] matinee_protocol::RoomCodeError),
    /// The relay typed is not a relay address.
    #[error("{0}")]
    Relay(matinee_protocol::InviteError),
    #[error(
        "paste the invite your host sent (it holds their address), or enter the relay from it"
    )]
    NoRelay,
}

/// Where a join goes: the invite in what was pasted (a link, a web link,
/// or a chat line holding one) as it is; else the code, at the relay
/// typed, else at `fallback` (the settings' relay, or the CLI's default).
pub fn join_target(
    code: &str,
    invite: Option<&str>,
    relay: Option<&str>,
    fallback: Option<&str>,
) -> Result<Invite, JoinTargetError> {
    match invite.map(str::trim).filter(|i| !i.is_empty()) {
        Some(text) => invite_target(Invite::find_in(text)?, relay, fallback),
        None => target_at(RoomCode::parse(code)?, relay, fallback),
    }
}

/// [`join_target`] for an invite already read: as it is when it names
/// addresses, else its code at the relay typed or `fallback`.
pub fn invite_target(
    invite: Invite,
    relay: Option<&str>,
    fallback: Option<&str>,
) -> Result<Invite, JoinTargetError> {
    if invite.endpoints().is_empty() {
        target_at(invite.code, relay, fallback)
    } else {
        Ok(invite)
    }
}

fn target_at(
    code: RoomCode,
    relay: Option<&str>,
    fallback: Option<&str>,
) -> Result<Invite, JoinTargetError> {
    let typed = relay
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .or(fallback.map(str::trim).filter(|r| !r.is_empty()))
        .ok_or(JoinTargetError::NoRelay)?;
    let url = relay_url_from_input(typed).map_err(JoinTargetError::Relay)?;
    Ok(Invite::to_relay(code, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_join_goes_to_the_invite_else_the_relay_typed_else_the_fallback() {
        let pinned =
            "matinee://join/K7MQ2X?h=192.0.2.1:7878&fp=TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY";
        let t = join_target("", Some(pinned), Some("relay.example"), None).unwrap();
        assert_eq!(t.endpoints().len(), 1);
        assert!(
            t.endpoints()[0].pin.is_some(),
            "the invite's own address, pinned"
        );

        let t = join_target("k7mq2x", None, Some("relay.example"), Some(DEFAULT_RELAY)).unwrap();
        assert_eq!(t.relay.as_deref(), Some("wss://relay.example/ws"));
        let t = join_target("k7mq2x", None, None, Some(DEFAULT_RELAY)).unwrap();
        assert_eq!(t.relay.as_deref(), Some(DEFAULT_RELAY));
        // An invite with only a code takes the relay the same way.
        let t = join_target("", Some("matinee://join/K7MQ2X"), None, Some(DEFAULT_RELAY));
        assert_eq!(t.unwrap().code.as_str(), "K7MQ2X");

        assert_eq!(
            join_target("k7mq2x", None, None, None),
            Err(JoinTargetError::NoRelay)
        );
        assert!(matches!(
            join_target("K7MQ20", None, Some("relay.example"), None),
            Err(JoinTargetError::Code(_))
        ));
        assert!(matches!(
            join_target("K7MQ2X", None, Some("ftp://example.org"), None),
            Err(JoinTargetError::Relay(_))
        ));
    }
}
