//! Subtitle files and tracks shared with the room, as this session takes
//! part: parts going out on the tick, files coming in and shown in the
//! player, track lists and proposals.

use matinee_protocol::{ClientMsg, ParticipantId};

use super::Runner;
use crate::session::effects::Effect;
use crate::session::sharing::plan;
use crate::session::SessionEvent;

impl Runner {
    /// Paces outgoing subtitle parts, reports track changes, and applies a
    /// proposal that was waiting for the track list.
    pub(super) fn tick_sharing(&mut self) {
        let now = tokio::time::Instant::now();
        if let Some(part) = self.sharing.next_part(now) {
            self.link.send(part);
        }
        let Some(p) = &self.player else { return };
        let report = self.sharing.tracks_to_report(&p.state.borrow().tracks, now);
        if let Some(report) = report {
            let you = self.model.you;
            self.learn_tracks(you, report.clone());
            self.link.send(ClientMsg::Tracks { tracks: report });
        }
        let listed = self.tracks_listed();
        if let Some((nickname, proposal)) = self.sharing.proposal_due(listed, now) {
            self.apply_proposal(nickname, proposal, false);
        }
    }

    /// A member's tracks (ours too): kept in the snapshot and told, with
    /// how people read each.
    pub(super) fn learn_tracks(
        &mut self,
        participant: ParticipantId,
        tracks: Vec<matinee_protocol::TrackInfo>,
    ) {
        self.model.tracks.insert(participant, tracks.clone());
        self.emit(SessionEvent::Tracks {
            participant,
            labels: tracks.iter().map(|t| t.label()).collect(),
            tracks,
        });
    }

    /// This player's audio and subtitle tracks as the room sees them.
    pub(super) fn my_tracks(&self) -> Vec<matinee_protocol::TrackInfo> {
        self.player.as_ref().map_or_else(Vec::new, |p| {
            crate::session::sharing::track_infos(&p.state.borrow().tracks)
        })
    }

    /// Whether the player lists its tracks, shared files given to it
    /// included (a proposal waits for that).
    pub(super) fn tracks_listed(&self) -> bool {
        self.player.as_ref().is_some_and(|p| {
            let tracks = &p.state.borrow().tracks;
            !tracks.is_empty() && !self.sharing.awaited_in_player(tracks)
        })
    }

    /// Picks this copy's best matches for a proposal; `may_wait`: when the
    /// player has not listed its tracks yet, wait for the list first.
    pub(super) fn apply_proposal(
        &mut self,
        nickname: String,
        proposal: matinee_protocol::TrackProposal,
        may_wait: bool,
    ) {
        if !self.tracks_listed() && self.player.is_some() && may_wait {
            // Not listed yet (or a shared file just added is not): wait for
            // the list (a few seconds at most).
            let now = tokio::time::Instant::now();
            self.sharing.wait_for_tracks(nickname, proposal, now);
            return;
        }
        let mut plan = plan(&self.my_tracks(), &proposal);
        // A delay in the room's seconds, in this copy's.
        let line = self.model.line;
        plan.sub_delay = plan.sub_delay.map(|d| line.speed_to_mine(d));
        if let Some(p) = &self.player {
            p.effect(Effect::Tracks {
                audio: plan.audio,
                sub: plan.sub,
                sub_delay: plan.sub_delay,
            });
        }
        self.osd(plan.outcome.join(" "));
        self.emit(SessionEvent::TrackProposal {
            nickname,
            description: proposal.describe(),
            proposal,
            outcome: plan.outcome,
        });
    }

    /// One part of a shared file from the room; the file goes into the
    /// player once whole.
    pub(super) fn take_subtitle_part(
        &mut self,
        incoming: crate::session::sharing::IncomingPart<'_>,
        line: matinee_align::Line,
    ) {
        match self.sharing.take_part(incoming, line) {
            Ok(Some(arrived)) => self.add_received(arrived),
            Ok(None) => {}
            Err(why) => {
                tracing::warn!(%why, "shared subtitle dropped");
                self.emit(SessionEvent::Refused {
                    message: format!("A shared subtitle was not taken: {why}."),
                });
            }
        }
    }

    /// A reopened player gets the room's shared files back (the newest
    /// shown, as when it arrived).
    pub(super) fn readd_shared_subtitles(&self) {
        let (Some(p), false) = (&self.player, self.sharing.received.is_empty()) else {
            return;
        };
        let files = self.sharing.received.values().map(|r| r.file()).collect();
        p.effect(Effect::RestoreSubtitles(files));
    }

    /// Shared files follow this copy's line: written again through it, and
    /// read again by the player.
    pub(super) fn place_shared_subtitles(&mut self, line: matinee_align::Line) {
        let moved = match self.sharing.place_through(line) {
            Ok(moved) => moved,
            Err(why) => return tracing::warn!(%why, "shared subtitles not moved"),
        };
        if let Some(p) = &self.player {
            p.effect(Effect::ReloadSubtitles(
                moved.iter().map(|r| r.file()).collect(),
            ));
        }
    }

    /// Puts a received file in the player (selected when the member shows
    /// no subtitles now) and tells the member.
    pub(super) fn add_received(&mut self, arrived: crate::session::sharing::Arrived) {
        if self.player.is_none() {
            return;
        }
        let select = self.show_in_player(&arrived.received);
        let label = arrived.received.meta.label();
        self.osd(format!("{} shared {label}", arrived.nickname));
        self.emit(SessionEvent::SubtitleShared {
            id: arrived.id,
            from: arrived.from,
            nickname: arrived.nickname,
            label,
            selected: select,
        });
    }

    /// Adds a shared file to the player, selected when no subtitles show
    /// now; says whether it was selected.
    pub(super) fn show_in_player(&self, r: &crate::session::sharing::Received) -> bool {
        let Some(p) = &self.player else {
            return false;
        };
        let showing_subs = p
            .state
            .borrow()
            .tracks
            .iter()
            .any(|t| t.kind == matinee_mpv::TrackType::Sub && t.selected);
        let select = !showing_subs;
        p.effect(Effect::AddSubtitle {
            file: r.file(),
            select,
        });
        select
    }

    /// Shows a shared file (adding it back if it was taken out), or takes
    /// it out of the player.
    pub(super) fn use_subtitle(&mut self, id: u32, used: bool) {
        let (Some(p), Some(r)) = (&self.player, self.sharing.received.get(&id)) else {
            self.emit(SessionEvent::Refused {
                message: "That subtitle file is not here (any more).".into(),
            });
            return;
        };
        p.effect(Effect::ShowSubtitle {
            file: r.file(),
            shown: used,
        });
        if used {
            self.sharing.taken_out.remove(&id);
        } else {
            self.sharing.taken_out.insert(id);
        }
        self.emit(SessionEvent::SubtitleUse { id, used });
    }
}
