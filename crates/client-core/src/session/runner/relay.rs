//! What the relay says: the link going down and up (resume or rebuild),
//! and each message of the room.

use matinee_protocol::{
    ClientMsg, ErrorCode, Joined, NoticeEvent, ParticipantId, RoomRebuild, ServerMsg,
};

use super::{Flow, Runner};
use crate::now_ms;
use crate::session::{ConnectionState, SessionEvent};
use crate::LinkEvent;

impl Runner {
    pub(super) async fn on_link(&mut self, ev: LinkEvent) -> Flow {
        let now = now_ms();
        match ev {
            LinkEvent::Down {
                attempt, retry_in, ..
            } => {
                self.lost_since
                    .get_or_insert_with(tokio::time::Instant::now);
                let connection = ConnectionState::Reconnecting {
                    attempt,
                    retry_in_ms: retry_in.as_millis() as u64,
                };
                self.model.connection = connection.clone();
                self.emit(SessionEvent::Connection { connection });
            }
            LinkEvent::Up(_) => {
                self.lost_since = None;
                self.sharing.forget_reported_tracks();
                // What we know of the room goes along, so a relay that
                // restarted (and lost it) can rebuild it.
                let nickname = self.my_nickname();
                let (code, rebuild) = {
                    let s = &self.model;
                    let me = s.participants.iter().find(|p| p.id == s.you);
                    let rebuild = RoomRebuild {
                        nickname,
                        host_proof: self.host_proof.clone(),
                        ready: me.is_some_and(|p| p.ready),
                        control_mode: s.control_mode,
                        playback: s.playback,
                        media: s.room_media.clone().or_else(|| Some(s.media.clone())),
                        queue: s.queue.for_rebuild(),
                    };
                    (s.code.clone(), rebuild)
                };
                self.resuming = true;
                self.pings = 0;
                self.link.send(ClientMsg::Resume {
                    code,
                    token: self.token.clone(),
                    rebuild: Some(Box::new(rebuild)),
                });
            }
            LinkEvent::Message(msg) => return self.on_message(msg, now).await,
        }
        Flow::Go
    }

    pub(super) async fn on_message(&mut self, msg: ServerMsg, now: f64) -> Flow {
        match msg {
            ServerMsg::Joined(j) => {
                let queue = j.room.queue.clone();
                self.on_joined(*j, now);
                // Back after a drop (or in a room a restarted relay
                // rebuilt, which knows nobody's copies): say ours again.
                self.queue_side.told = None;
                if queue != self.model.queue {
                    self.on_queue(queue).await;
                } else {
                    self.find_own_copies().await;
                }
            }
            ServerMsg::Queue { queue } => self.on_queue(queue).await,
            ServerMsg::State {
                playback,
                server_ms,
                cause,
            } => {
                let actions = self.engine.on_room_state(playback, server_ms, cause, now);
                let changed = self.model.playback != playback;
                self.model.playback = playback;
                if changed {
                    self.emit(SessionEvent::Playback { playback });
                }
                self.apply(actions);
            }
            ServerMsg::Participants { participants } => self.set_participants(participants),
            ServerMsg::Media { participant, media } => {
                match media {
                    Some(m) => self.media_of.insert(participant, m),
                    None => self.media_of.remove(&participant),
                };
                self.set_participants(self.model.participants.clone());
            }
            ServerMsg::HostProof { proof } => self.host_proof = Some(proof),
            ServerMsg::Subtitle {
                id,
                from,
                nickname,
                meta,
                part,
                parts,
                text,
            } => {
                let incoming = crate::session::sharing::IncomingPart {
                    id,
                    from,
                    nickname: &nickname,
                    meta,
                    part,
                    parts,
                    text: &text,
                };
                self.take_subtitle_part(incoming, self.model.line);
            }
            ServerMsg::Tracks {
                participant,
                tracks,
            } => self.learn_tracks(participant, tracks),
            ServerMsg::TrackProposal {
                nickname, proposal, ..
            } => self.apply_proposal(nickname, proposal, true),
            ServerMsg::AudioPrint {
                nickname,
                start,
                data,
                ..
            } => self.on_audio_print(nickname, start, &data),
            ServerMsg::ControlMode { mode } => {
                self.model.control_mode = mode;
                self.update_permissions();
                self.emit(SessionEvent::ControlMode { mode });
            }
            ServerMsg::Pong(p) => {
                self.engine
                    .on_pong(p.client_ms, p.server_recv_ms, p.server_send_ms, now);
                self.model.clock_offset_ms = self.engine.clock().offset_ms();
            }
            ServerMsg::Chat {
                from,
                nickname,
                text,
                ..
            } => self.on_chat(from, nickname, text),
            ServerMsg::Notice {
                event,
                text,
                participant,
                ..
            } => self.on_notice(event, text, participant),
            ServerMsg::Left { reason } => return Flow::End(reason),
            ServerMsg::Error {
                code,
                message,
                fatal,
            } => return self.on_error(code, message, fatal, now),
            ServerMsg::Welcome(_) => {}
        }
        Flow::Go
    }

    /// In the room (at first, or back after a resume or a rebuild).
    fn on_joined(&mut self, j: Joined, now: f64) {
        self.resuming = false;
        // A relay that rebuilt the room lost the fingerprints.
        self.aligner.resend_prints();
        self.token = j.resume_token.clone();
        self.learn_media(&j.room.participants);
        self.model.you = j.you;
        self.model.participants = self.with_media(j.room.participants.clone());
        self.model.control_mode = j.room.control_mode;
        self.model.playback = j.room.playback;
        self.model.connection = ConnectionState::Connected;
        self.update_permissions();
        self.send_print_if_host();
        self.emit(SessionEvent::Connection {
            connection: ConnectionState::Connected,
        });
        let actions = self
            .engine
            .on_joined(j.you, j.room.playback, j.server_ms, now);
        self.apply(actions);
    }

    /// The host's fingerprint of its copy's sound (ignored by the host).
    fn on_audio_print(&mut self, nickname: String, start: f64, data: &str) {
        match matinee_align::Print::decode(start, data) {
            Ok(print) if !self.is_host() => {
                self.aligner.host_print(nickname, print);
                self.emit_alignment();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "unreadable fingerprint from the host"),
        }
    }

    fn on_chat(&mut self, from: ParticipantId, nickname: String, text: String) {
        // One line on the video: a line break cannot start a line that
        // looks like another speaker's.
        self.osd(format!("{nickname}: {}", text.replace(['\n', '\r'], " ⏎ ")));
        self.emit(SessionEvent::Chat {
            from,
            nickname,
            text,
        });
    }

    fn on_notice(&mut self, event: NoticeEvent, text: String, participant: Option<ParticipantId>) {
        // A shared file and a proposal come with events of their own that
        // say more (what this player did); the sharer gets the notice as
        // the confirmation.
        let mine = participant == Some(self.model.you);
        let said_otherwise = match event {
            NoticeEvent::SubtitleShared => !mine,
            NoticeEvent::TracksProposed => true,
            _ => false,
        };
        if !said_otherwise {
            self.osd(text.clone());
            self.emit(SessionEvent::Notice { event, text });
        }
    }

    /// A refusal or an error; a failed resume ends the session.
    fn on_error(&mut self, code: ErrorCode, message: String, fatal: bool, now: f64) -> Flow {
        let not_back = matches!(
            code,
            ErrorCode::InvalidToken | ErrorCode::RoomNotFound | ErrorCode::Banned
        );
        if self.resuming && not_back {
            return Flow::End(format!("Could not return to the room: {message}"));
        }
        let actions = match code {
            ErrorCode::NotHost => self.engine.on_control_refused(&message, now),
            _ => {
                self.emit(SessionEvent::Refused {
                    message: message.clone(),
                });
                Vec::new()
            }
        };
        self.apply(actions);
        if fatal {
            tracing::warn!(?code, %message, "the relay closed the connection");
        }
        Flow::Go
    }
}
