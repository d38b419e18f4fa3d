/** Formats written once per frame. */
export type FrameFormat = 'jpg' | 'png' | 'npy';

/** What an event may write: per-frame files, or one `mp4` clip of the window. */
export type ExportFormat = FrameFormat | 'mp4';
