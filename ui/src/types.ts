// Shapes shared with the Rust side. The types themselves are generated
// from the Rust types by ts-rs into ./generated (written by `cargo test`;
// scripts/test fails when they are stale): edit the Rust, not these. This
// file gives them the names the UI uses.

export type { AppError } from "./generated/AppError";
export type { AppInfo } from "./generated/AppInfo";
export type { ConnectionState as Connection } from "./generated/ConnectionState";
export type { ControllerKind as Controller } from "./generated/ControllerKind";
export type { ErrorKind } from "./generated/ErrorKind";
export type { JellyfinItem } from "./generated/JellyfinItem";
export type { JellyfinPage } from "./generated/JellyfinPage";
export type { JellyfinStatus } from "./generated/JellyfinStatus";
export type { LaunchRequest } from "./generated/LaunchRequest";
export type { MediaChoice } from "./generated/MediaChoice";
export type { Participant } from "./generated/Participant";
export type { QueueEntry } from "./generated/QueueEntry";
export type { QueueState } from "./generated/QueueState";
export type { PlaybackState as Playback } from "./generated/PlaybackState";
export type { PlayerPosition } from "./generated/PlayerPosition";
export type { ReachKind } from "./generated/ReachKind";
export type { ReachReport } from "./generated/ReachReport";
export type { RoomCommand } from "./generated/RoomCommand";
export type { RoomInfo } from "./generated/RoomInfo";
export type { SessionEvent } from "./generated/SessionEvent";
export type { Settings } from "./generated/Settings";
export type { SyncStatus } from "./generated/SyncStatus";
export type { SubtitleChoice } from "./generated/SubtitleChoice";
export type { TrackChoice } from "./generated/TrackChoice";
export type { TrackInfo } from "./generated/TrackInfo";
export type { TrackKind } from "./generated/TrackKind";
export type { TrackProposal } from "./generated/TrackProposal";
