import type { ExportSettings } from '../export/exporter.js';
import type { LiveConfig } from './live-config.js';

/** What an export reads from the config in force when it is triggered. */
export function exportSettings(config: LiveConfig): ExportSettings {
  const { export: exp, night, camera } = config.current;
  return {
    baseDir: config.baseDir(),
    formats: exp.formats,
    beforeS: exp.save_before_s,
    afterS: exp.save_after_s,
    jpegQuality: exp.jpeg_quality,
    pngCompression: exp.png_compression,
    stack: exp.stack_dark_frames,
    stackCount: exp.stack_count,
    darkThreshold: night.dark_threshold,
    maxPending: exp.max_pending_events,
    framerate: camera.framerate,
  };
}
