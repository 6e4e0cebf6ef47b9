//! What mpv says: properties, the user's own pause, seek and speed, and
//! the player closing or coming back.

use matinee_mpv::{MpvEvent, Property};

use super::{Flow, Runner};
use crate::now_ms;
use crate::session::player::Player;
use crate::session::SessionEvent;

impl Runner {
    pub(super) async fn reopen_player(&mut self) -> Flow {
        if self.player.is_some() {
            return Flow::Go;
        }
        let line = self.model.line;
        let start = self.engine.room_position(now_ms()).map(|r| line.to_mine(r));
        match Player::open(&self.cfg.mpv, &self.cfg.media, start).await {
            Ok(mut p) => {
                p.set_line(line);
                let (endpoint, pid) = (p.endpoint(), p.pid());
                self.player = Some(p);
                let actions = self.engine.on_player_opened(now_ms());
                self.apply(actions);
                self.model.player_open = true;
                self.model.player_endpoint = Some(endpoint);
                self.model.player_pid = pid;
                self.emit(SessionEvent::PlayerReopened);
                self.readd_shared_subtitles();
                self.tick();
            }
            Err(e) => self.emit(SessionEvent::Refused {
                message: format!("Could not reopen the player: {e}"),
            }),
        }
        Flow::Go
    }

    pub(super) async fn on_player(&mut self, ev: MpvEvent) -> Flow {
        let now = now_ms();
        let actions = match ev {
            MpvEvent::Property(Property::Pause(paused)) => {
                let pos = self
                    .player
                    .as_ref()
                    .and_then(|p| p.state.borrow().time_pos.map(|x| p.to_room(x)));
                self.engine.on_player_pause(paused, pos, now)
            }
            MpvEvent::Property(Property::Speed(speed)) => {
                let speed = self
                    .player
                    .as_ref()
                    .map_or(speed, |p| p.speed_to_room(speed));
                self.engine.on_player_speed(speed, now)
            }
            MpvEvent::PlaybackRestart => {
                let pos = match &self.player {
                    Some(p) => p
                        .client()
                        .get_number("time-pos")
                        .await
                        .ok()
                        .flatten()
                        .map(|x| p.to_room(x)),
                    None => None,
                };
                match pos {
                    Some(pos) => self.engine.on_player_seeked(pos, now_ms()),
                    None => Vec::new(),
                }
            }
            MpvEvent::Property(Property::PausedForCache(_)) => {
                self.tick();
                Vec::new()
            }
            MpvEvent::Closed | MpvEvent::Shutdown => {
                if let Some(p) = self.player.take() {
                    p.quit().await;
                    self.model.player_open = false;
                    self.model.player_endpoint = None;
                    self.model.player_pid = None;
                    self.local.send_replace(None);
                    self.emit(SessionEvent::PlayerClosed);
                    self.engine.on_player_closed(now)
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
        self.apply(actions);
        if self.resting {
            // The slow tick would judge this late: judge it now.
            self.tick();
        }
        Flow::Go
    }
}
