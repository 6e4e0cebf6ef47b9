//! All rooms of this relay, by code.

use std::collections::HashMap;
use std::sync::Mutex;

use matinee_protocol::{RoomCode, CODE_LEN};
use rand::Rng;

use super::RoomHandle;

#[derive(Default)]
pub(crate) struct Registry {
    rooms: Mutex<HashMap<RoomCode, RoomHandle>>,
}

/// A fresh code drawn from the operating system-seeded CSPRNG.
pub(crate) fn random_code() -> RoomCode {
    let mut rng = rand::rng();
    let mut idx = [0u8; CODE_LEN];
    for i in idx.iter_mut() {
        // The alphabet has 32 characters: the low five bits are uniform.
        *i = rng.random::<u8>() & 31;
    }
    RoomCode::from_indices(idx)
}

impl Registry {
    pub fn get(&self, code: &RoomCode) -> Option<RoomHandle> {
        self.rooms.lock().expect("registry lock").get(code).cloned()
    }

    pub fn len(&self) -> usize {
        self.rooms.lock().expect("registry lock").len()
    }

    /// Reserves a new unique code and registers the room `make` builds for
    /// it, unless `max_rooms` are held already.
    pub fn insert_new(
        &self,
        max_rooms: usize,
        make: impl FnOnce(RoomCode) -> RoomHandle,
    ) -> Option<RoomHandle> {
        let mut rooms = self.rooms.lock().expect("registry lock");
        if rooms.len() >= max_rooms {
            return None;
        }
        let code = loop {
            let c = random_code();
            if !rooms.contains_key(&c) {
                break c;
            }
        };
        let handle = make(code.clone());
        rooms.insert(code, handle.clone());
        Some(handle)
    }

    /// The room with `code`, registering the one `make` builds when there
    /// is none (a room rebuilt after a restart keeps its code), unless
    /// `max_rooms` are held already.
    pub fn get_or_insert(
        &self,
        code: &RoomCode,
        max_rooms: usize,
        make: impl FnOnce() -> RoomHandle,
    ) -> Option<RoomHandle> {
        let mut rooms = self.rooms.lock().expect("registry lock");
        if let Some(room) = rooms.get(code) {
            return Some(room.clone());
        }
        if rooms.len() >= max_rooms {
            return None;
        }
        let handle = make();
        rooms.insert(code.clone(), handle.clone());
        Some(handle)
    }

    /// Removes the room with this code if it is still the instance `id`.
    pub fn remove(&self, code: &RoomCode, id: u64) {
        let mut rooms = self.rooms.lock().expect("registry lock");
        if rooms.get(code).is_some_and(|h| h.id == id) {
            rooms.remove(code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_codes_use_the_whole_alphabet_and_differ() {
        let codes: Vec<RoomCode> = (0..2000).map(|_| random_code()).collect();
        let mut seen = std::collections::HashSet::new();
        for c in &codes {
            assert!(RoomCode::parse(c.as_str()).is_ok());
            seen.extend(c.as_str().chars());
        }
        assert_eq!(seen.len(), 32, "every alphabet character shows up");
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert!(unique.len() > 1990);
    }
}
