//! What the user asks for (the app, the CLI, tests): one `SessionCmd` at
//! a time.

use std::time::Duration;

use matinee_mpv::TrackType;
use matinee_protocol::{ClientMsg, ControlAction, TrackKind};

use super::{Flow, Runner};
use crate::now_ms;
use crate::session::effects::Effect;
use crate::session::{SessionCmd, SessionEvent};

impl Runner {
    pub(super) async fn on_command(&mut self, cmd: SessionCmd) -> Flow {
        let now = now_ms();
        match cmd {
            SessionCmd::Play
            | SessionCmd::Pause
            | SessionCmd::SetSpeed { speed: _ }
            | SessionCmd::Seek { position: _ } => self.request_playback(cmd, now),
            SessionCmd::Ready { ready } => {
                self.link.send(ClientMsg::Ready { ready });
            }
            SessionCmd::Start { force } => {
                self.link.send(ClientMsg::Start { force });
            }
            SessionCmd::Chat { text } => {
                self.link.send(ClientMsg::Chat { text });
            }
            SessionCmd::Rename { name: nickname } => {
                self.cfg.nickname = nickname.clone();
                self.link.send(ClientMsg::Rename { nickname });
            }
            SessionCmd::SetControlMode { mode } => {
                self.link.send(ClientMsg::SetControlMode { mode });
            }
            SessionCmd::PassHost { to } => {
                self.link.send(ClientMsg::PassHost { to });
            }
            SessionCmd::Kick { participant } => {
                self.link.send(ClientMsg::Kick { participant });
            }
            SessionCmd::StopWaitingFor { participant } => {
                self.link.send(ClientMsg::StopWaitingFor { participant });
            }
            SessionCmd::ReopenPlayer => return self.reopen_player().await,
            SessionCmd::QueueAdd { .. }
            | SessionCmd::QueueAddJellyfin { .. }
            | SessionCmd::UseServer(_)
            | SessionCmd::QueueRemove { .. }
            | SessionCmd::QueueMove { .. }
            | SessionCmd::QueuePlay { .. }
            | SessionCmd::QueueNext
            | SessionCmd::QueueWait
            | SessionCmd::FilmFolders { .. }
            | SessionCmd::ChooseCopy { .. } => return self.on_queue_command(cmd).await,
            SessionCmd::ShareSubtitle { path } => self.share_subtitle_file(path).await,
            SessionCmd::UseSubtitle { id, used: true } => self.use_subtitle(id, true),
            SessionCmd::UseSubtitle { id, used: false } => self.use_subtitle(id, false),
            SessionCmd::ProposeTracks { proposal } => {
                self.link.send(ClientMsg::ProposeTracks { proposal });
            }
            SessionCmd::SetAlignment { on } => {
                self.aligner.set_enabled(on);
                self.apply_line();
                self.emit_alignment();
            }
            SessionCmd::SelectTrack { track, id } => {
                let kind = match track {
                    TrackKind::Audio => TrackType::Audio,
                    TrackKind::Sub => TrackType::Sub,
                };
                if let Some(p) = &self.player {
                    p.effect(Effect::SelectTrack(kind, id));
                }
            }
            SessionCmd::EndParty => {
                self.link.send(ClientMsg::EndParty);
            }
            SessionCmd::Leave => {
                self.link.send(ClientMsg::Leave);
                // Give the relay a moment to take the leave.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Flow::End("you left the room".into());
            }
        }
        Flow::Go
    }

    /// Play, pause, seek or a new speed, from where this player is (the
    /// room's position while it is closed).
    fn request_playback(&mut self, cmd: SessionCmd, now: f64) {
        self.tick();
        let here = self
            .player
            .as_ref()
            .and_then(|p| p.sample().position)
            .or_else(|| self.engine.room_position(now))
            .unwrap_or(0.0);
        let action = match cmd {
            SessionCmd::Play => ControlAction::Play { position: here },
            SessionCmd::Pause => ControlAction::Pause { position: here },
            SessionCmd::Seek { position } => ControlAction::Seek {
                position: position.max(0.0),
            },
            SessionCmd::SetSpeed { speed } => ControlAction::Speed {
                speed: speed.clamp(0.25, 4.0),
                position: here,
            },
            _ => return,
        };
        let actions = self.engine.request(action, now);
        self.apply(actions);
    }

    /// Reads a subtitle file (off the loop), shows it in this player and
    /// sends it to the room in paced parts.
    async fn share_subtitle_file(&mut self, path: std::path::PathBuf) {
        let read = tokio::task::spawn_blocking(move || crate::read_subtitle(&path)).await;
        let file = match read {
            Ok(Ok(file)) => file,
            Ok(Err(e)) => {
                return self.emit(SessionEvent::Refused {
                    message: e.to_string(),
                })
            }
            Err(_) => return,
        };
        if let Some(encoding) = file.converted_from {
            tracing::info!(encoding, "subtitle converted to UTF-8");
        }
        // The sharer's own player shows it too.
        match self.sharing.keep_own(&file, &self.my_nickname()) {
            Ok(own) => _ = self.show_in_player(&own),
            Err(why) => tracing::warn!(%why, "own shared subtitle not kept"),
        }
        self.sharing.share(file, self.model.line);
        self.tick_sharing();
    }
}
