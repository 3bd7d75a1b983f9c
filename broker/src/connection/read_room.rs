//! How much room the connection reader makes before each read.
//!
//! Frames are cut out of one shared receive buffer; a frame that straddles the end of an
//! allocation is copied into the next one when the buffer grows. The bigger each allocation,
//! the rarer that copy: under load the room doubles whenever a read fills it, so a busy
//! connection reads into allocations that hold many frames, and an idle one shrinks back to a
//! small room.

/// Room an idle connection reads into.
pub const READ_ROOM_BYTES_MIN: usize = 64 * 1024;
/// Room a busy connection grows to: the same bound as the decoder's reserve-ahead.
pub const READ_ROOM_BYTES_MAX: usize = sluice_proto::limits::FRAME_RESERVE_AHEAD_BYTES_MAX;

/// The reader's room, adapted to how much each read brings.
#[derive(Debug, Clone, Copy)]
pub struct ReadRoom {
    bytes: usize,
}

impl Default for ReadRoom {
    fn default() -> Self {
        ReadRoom { bytes: READ_ROOM_BYTES_MIN }
    }
}

impl ReadRoom {
    /// Spare bytes to have before the next read.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adapts to a read of `read` bytes into `room` bytes of spare capacity.
    pub fn after_read(&mut self, room: usize, read: usize) {
        assert!(read <= room, "a read fits its room");
        if read == room {
            // More was probably waiting: read more at once, into a bigger allocation.
            self.bytes = (self.bytes * 2).min(READ_ROOM_BYTES_MAX);
        } else if read < self.bytes / 4 {
            self.bytes = (self.bytes / 2).max(READ_ROOM_BYTES_MIN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_reads_that_fill_the_room_when_adapting_should_grow_to_the_bound() {
        let mut room = ReadRoom::default();
        for _ in 0..64 {
            let bytes = room.bytes();
            room.after_read(bytes, bytes);
        }
        assert_eq!(room.bytes(), READ_ROOM_BYTES_MAX);
    }

    #[test]
    fn given_small_reads_when_adapting_should_shrink_to_the_minimum() {
        let mut room = ReadRoom { bytes: READ_ROOM_BYTES_MAX };
        for _ in 0..64 {
            room.after_read(room.bytes(), 100);
        }
        assert_eq!(room.bytes(), READ_ROOM_BYTES_MIN);
    }

    #[test]
    fn given_reads_of_a_steady_middling_size_when_adapting_should_hold_the_room() {
        let mut room = ReadRoom { bytes: 256 * 1024 };
        room.after_read(300 * 1024, 100 * 1024);
        assert_eq!(room.bytes(), 256 * 1024);
    }
}
