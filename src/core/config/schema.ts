import { z } from 'zod';
import { integer } from './format-issues.js';

/**
 * The one source of config types and defaults. Field names and nesting follow
 * the Python service's config.json; the preprocessors accept its short forms
 * (`"ring": 120`, `"network": 9999`, `"logging": "INFO"`) so an old file loads
 * unchanged.
 */

const PYTHON_LEVELS: Record<string, string> = { warning: 'warn', critical: 'fatal' };

const camera = z
  .strictObject({
    source: z
      .enum(['auto', 'synthetic', 'rpicam', 'v4l2', 'file'])
      .default('auto')
      .describe(
        'Frame source: `rpicam` (rpicam-vid/libcamera-vid), `v4l2` (USB webcam through ffmpeg), `file` (a clip replayed in a loop through ffmpeg), `synthetic` (a generated scene, no camera needed), or `auto`: rpicam if it lists a camera, else v4l2 if a capture device exists, else synthetic; the log says which and why.',
      ),
    width: integer(16, 7680).default(1280).describe('Frame width in pixels.'),
    height: integer(16, 4320).default(720).describe('Frame height in pixels.'),
    framerate: z.number().gt(0).max(240).default(30).describe('Frames per second captured into the ring.'),
    codec: z
      .enum(['auto', 'rgb', 'yuv420', 'mjpeg'])
      .default('auto')
      .describe(
        'Pixel format kept in the ring: `rgb` (RGB24, 3 bytes/pixel), `yuv420` (I420, 1.5 bytes/pixel), `mjpeg` (the camera\'s JPEGs), or `auto`: yuv420 for rpicam, rgb for the others. Frames stay exact and independent (no H.264: its buffer could only start at a keyframe).',
      ),
    mjpeg_quality: integer(1, 100)
      .default(50)
      .describe(
        'JPEG quality rpicam-vid encodes `codec` mjpeg frames at (its `--quality`; 50 is the tool\'s own default). The ring holds these JPEGs, so this sets how many seconds `ring.max_bytes` keeps: on camera-like 1080p, ~190 KB a frame at 50, ~470 KB at 80, ~860 KB at 90. Other sources keep the JPEGs the device or file delivers.',
      ),
    video_mode: z
      .enum(['stream', 'still'])
      .default('stream')
      .describe('`stream`: continuous video at `framerate`; `still`: one still capture per frame interval (same frame rate, still-capture pipeline where the source has one).'),
    device: z.string().min(1).default('/dev/video0').describe('V4L2 capture device for `source` v4l2.'),
    file: z.string().default('').describe('Video file replayed by `source` file; relative paths resolve against the config file folder.'),
    index: integer(0, 16).default(0).describe('Camera number for rpicam-vid `--camera` (see `rpicam-vid --list-cameras`).'),
    hflip: z.boolean().default(false).describe('Mirror the picture left to right.'),
    vflip: z.boolean().default(false).describe('Flip the picture upside down.'),
    rotation: z.literal([0, 180]).default(0).describe('Rotate the picture: 0 or 180 degrees (what rpicam-vid supports).'),
    restart_backoff_max_s: z
      .number()
      .min(0.1)
      .max(3600)
      .default(30)
      .describe('A camera tool that exits or stalls is restarted after 0.5 s, doubling per failure up to this many seconds (±20% jitter).'),
    exposure_us: integer(0, 60_000_000).default(0).describe('Day exposure time in microseconds; 0 leaves it to the camera\'s automatic exposure.'),
    gain: z.number().min(0).max(64).default(0).describe('Day analogue gain; 0 leaves it to the camera\'s automatic gain.'),
    synthetic_cycle_frames: integer(0, Number.MAX_SAFE_INTEGER)
      .default(1800)
      .describe('Synthetic source only: frames in one day/night light cycle (0 = always day).'),
  })
  .describe('Capture settings.');

const ring = z.preprocess(
  (value) => (typeof value === 'number' ? { frames: value } : value),
  z
    .strictObject({
      frames: integer(2, 100000).optional().describe('Frames kept in memory. A bare number (`"ring": 90`) means this too.'),
      seconds: z.number().gt(0).max(3600).optional().describe('Seconds of video kept: frames = seconds x camera.framerate. For JPEG frames (`camera.codec` mjpeg) the byte ring is sized for that many seconds of frames of the size libjpeg makes of a camera-like scene at `camera.mjpeg_quality` with a margin (~180 KB a 1080p frame at 50; rpicam only, other JPEG sources are assumed 0.25 bytes a pixel); the start-up log and GetStatus report the span actually held.'),
      max_bytes: integer(1, Number.MAX_SAFE_INTEGER)
        .optional()
        .describe('Bytes the ring may take: frames = max_bytes / frame size. For JPEG frames (`camera.codec` mjpeg) the frames are packed back to back and the oldest evicted by bytes, so this is the way to size an MJPEG ring exactly.'),
      compressed_seconds: z
        .number()
        .min(0)
        .max(3600)
        .default(0)
        .describe(
          'Raw sources: seconds of history kept as JPEG beyond the raw ring (`seconds`), encoded off the event loop at `compressed_quality`; 0 = off. Exports take such frames from here and mark them in event.json (`tier`). If the encoder cannot keep up, frames are skipped and counted, capture never waits.',
        ),
      compressed_quality: integer(1, 100).default(80).describe('JPEG quality of the compressed tier (`compressed_seconds`).'),
      compressed_max_bytes: integer(1, Number.MAX_SAFE_INTEGER)
        .optional()
        .describe('Bytes of the compressed tier; default: (seconds + compressed_seconds) x framerate x 0.25 bytes a pixel. The status reports the seconds it really holds.'),
    })
    .refine((ring) => [ring.frames, ring.seconds, ring.max_bytes].filter((v) => v !== undefined).length <= 1, {
      message: 'give one of frames, seconds, max_bytes',
    })
    .transform((ring) => (ring.frames === undefined && ring.seconds === undefined && ring.max_bytes === undefined ? { ...ring, seconds: 3 } : ring))
    .describe(
      'Ring buffer of recent frames, allocated at start: give one of `frames`, `seconds` (default 3) or `max_bytes`. The cost is frames x frame size: 1080p rgb is 6.2 MB a frame (10 s at 30 fps = 1.9 GB), yuv420 half that; a ring larger than the memory available is refused at start.',
    ),
);

const night = z
  .strictObject({
    enable: z.boolean().default(true).describe('Switch to night exposure automatically when the scene goes dark.'),
    dark_threshold: z.number().min(0).max(255).default(40).describe('A frame whose dark score (mean luma 0-255) is below this is dark.'),
    bright_threshold: z
      .number()
      .min(0)
      .max(255)
      .default(60)
      .describe('Night ends when the score, normalised to day exposure and gain, stays above this. Must exceed `dark_threshold` (hysteresis).'),
    min_dark_frames: integer(1, Number.MAX_SAFE_INTEGER).default(30).describe('Consecutive dark (or bright) frames needed to switch mode.'),
    mode: z
      .enum(['slow_video', 'still'])
      .default('slow_video')
      .describe('Night capture: `slow_video` lowers the frame rate to what the exposure allows; `still` takes single long exposures.'),
    exposure_us: integer(1, 60_000_000).default(40000).describe('Exposure time in microseconds during night mode.'),
    gain: z.number().min(1).max(64).default(2).describe('Analogue gain during night mode.'),
  })
  .describe('Night mode.');

const exportConfig = z
  .strictObject({
    base_dir: z.string().min(1).default('events').describe('Folder for event folders; relative paths resolve against the config file folder.'),
    formats: z
      .array(z.enum(['jpg', 'png', 'npy', 'mp4']))
      .min(1)
      .default(['jpg'])
      .describe('What an event writes: per frame `jpg`, `png`, `npy` (NumPy array, shape (h, w, 3), uint8); per event `mp4` (one H.264 clip of the window at the frames\' real rate, made by ffmpeg).'),
    save_before_s: z.number().min(0).max(3600).default(2).describe('Seconds of frames saved from before the trigger.'),
    save_after_s: z.number().min(0).max(3600).default(2).describe('Seconds of frames saved from after the trigger.'),
    stack_dark_frames: z.boolean().default(false).describe('Also average dark frames, `stack_count` at a time, into brighter `stack-*.jpg` images.'),
    stack_count: integer(2, 256).default(4).describe('Frames averaged into one stacked image.'),
    jpeg_quality: integer(1, 100).default(90).describe('JPEG quality 1-100 (baseline JPEG without mozjpeg or optimised tables: twice the encode rate for ~5% larger files).'),
    png_compression: integer(0, 9)
      .default(1)
      .describe('PNG zlib level 0-9. 1 by default: PNG is the slowest format (about 15 frames/s per core at 1080p at level 1 against 9 at level 6) and level 1 files are only ~10% larger.'),
    max_window_s: z
      .number()
      .gt(0)
      .max(7200)
      .default(60)
      .describe(
        'Longest event window (`before_s` + `after_s`) a trigger may ask for; a longer one is refused with INVALID_ARGUMENT (`ERR BAD_ARGUMENT`) naming the field and this limit. Bounds how long a trigger keeps one of `max_pending_events` busy.',
      ),
    max_buffer_bytes: integer(0, Number.MAX_SAFE_INTEGER)
      .optional()
      .describe(
        'Memory exports may hold outside the ring: when an export is slower than capture, the frames of its window are copied out of the ring (raw, as captured) before they are overwritten, so none is lost. A trigger reserves its window\'s worst case (the window\'s frames in the raw ring plus `after_s` x frame rate of frames to come; frames in the compressed tier are kept by the tier) and is refused when that does not fit: INVALID_ARGUMENT (`ERR BAD_ARGUMENT`) naming `after_s` (or `before_s`) with the arithmetic when the window alone is larger, RESOURCE_EXHAUSTED (`ERR RESOURCE_EXHAUSTED`) naming this field when pending events hold the rest. Unset: twice the ring\'s payload (a window up to twice the ring\'s span). Memory is only used while an export is behind.',
      ),
    max_pending_events: integer(1, 1000)
      .default(8)
      .describe('Events being written at once; a trigger beyond this fails (RESOURCE_EXHAUSTED / `ERR BUSY`) instead of queueing without bound.'),
    shutdown_grace_s: z.number().min(0).max(600).default(10).describe('On SIGTERM, seconds to let pending exports finish before they are cut (and marked `partial`).'),
    max_bytes: integer(0, Number.MAX_SAFE_INTEGER)
      .default(0)
      .describe('Disk budget for all events; past it the oldest finished events are deleted (never one being written). 0 = no limit.'),
    max_age_days: z.number().min(0).max(36500).default(0).describe('Events older than this many days are deleted. 0 = keep forever.'),
    allow_runtime_base_dir: z
      .boolean()
      .default(false)
      .describe('Let Configure change `base_dir` while running. Off by default: a remote caller should not be able to point picam\'s writes (and retention\'s deletes) at another folder.'),
  })
  .describe('Saving frames on trigger.');

const network = z.preprocess(
  (value) => (typeof value === 'number' ? { port: value } : value),
  z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0').describe('Bind address for both ports; `0.0.0.0` accepts connections from the LAN, `127.0.0.1` only from this machine.'),
      port: integer(0, 65535).default(9999).describe('TCP port of the line protocol (`echo SNAP | nc host 9999`); 0 picks a free port. A bare number is accepted too.'),
      grpc_port: integer(0, 65535).default(50051).describe('TCP port of the gRPC API; 0 picks a free port.'),
      http_port: integer(-1, 65535)
        .default(8080)
        .describe('TCP port of the HTTP server: Prometheus `/metrics`, `/healthz`, the live page and saved event files; 0 picks a free port, -1 turns it off.'),
      idle_timeout_s: z.number().gt(0).max(86400).default(30).describe('A line connection that sends nothing for this long is closed.'),
      reply_linger_s: z
        .number()
        .min(0)
        .max(3600)
        .default(1)
        .describe('After a reply, a line connection with no further input is closed this soon (so `nc` variants that keep their side open still return).'),
      max_line_bytes: integer(16, 65536).default(1024).describe('Longest accepted command line.'),
      max_connections: integer(1, 10000).default(16).describe('Most line connections open at once; more get `ERR BUSY`.'),
      max_triggers_per_s: z
        .number()
        .gt(0)
        .max(1000)
        .default(5)
        .describe('Triggers one line connection may send per second (a burst of as many is allowed); more get `ERR BUSY`.'),
      auth_timeout_s: z
        .number()
        .gt(0)
        .max(3600)
        .default(10)
        .describe(
          'With `token` set: a line connection that has not sent the right `AUTH <token>` this many seconds after connecting is closed (`ERR UNAUTHENTICATED no AUTH within ...`). While it waits it may also lose its slot to a newcomer when all `max_connections` are taken; authenticated connections never do.',
        ),
      allowed_hosts: z
        .array(z.string().min(1).max(253))
        .max(64)
        .default([])
        .describe(
          'Extra names the HTTP server answers to in the `Host` header, besides `localhost`, this machine\'s host name (and `<hostname>.local`), `network.host` and any IP address. A request naming another host gets 403 (it is how DNS rebinding reaches a LAN camera from a web page). Add the names you reach picam by, e.g. `["camera.lan", "picam.example.org"]`; `["*"]` turns the check off (behind a reverse proxy that checks it).',
        ),
      tls_cert: z.string().default('').describe('PEM certificate chain for gRPC over TLS (with `tls_key`); empty = plaintext. Relative to the config file folder.'),
      tls_key: z.string().default('').describe('PEM private key for `tls_cert`.'),
      token: z
        .string()
        .default('')
        .describe(
          'Shared secret; empty = off. When set, CameraService calls need gRPC metadata `authorization: Bearer <token>` (else UNAUTHENTICATED; health and reflection stay open) and a line connection must start with `AUTH <token>`. Never logged.',
        ),
    })
    .describe('Listening addresses and line protocol limits.'),
);

const logging = z.preprocess(
  (value) => (typeof value === 'string' ? { level: value } : value),
  z
    .strictObject({
      level: z.preprocess(
        (value) => {
          if (typeof value !== 'string') return value;
          const lower = value.toLowerCase();
          return PYTHON_LEVELS[lower] ?? lower;
        },
        z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
          .default('info')
          .describe('Lowest level logged. Python names (`DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`) are accepted. A bare string is accepted too.'),
      ),
    })
    .describe('Logging.'),
);

const mqtt = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Connect to an MQTT broker for fleet triggers and event/night notifications.'),
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, { message: 'expected a URL such as mqtt://broker:1883' })
      .refine((url) => URL.canParse(url), { message: 'expected a URL such as mqtt://broker:1883' })
      .default('mqtt://localhost:1883')
      .describe('Broker URL: `mqtt://host:1883`, `mqtts://host:8883` (TLS), `ws://` or `wss://`.'),
    camera_id: z
      .string()
      .regex(/^[^/#+\s]*$/, { message: 'expected a name without /, #, + or spaces' })
      .max(128)
      .default('')
      .describe('This camera\'s name in topics (`picam/<camera_id>/...`); empty = the host name.'),
    topic_prefix: z
      .string()
      .regex(/^[^#+\s]+$/, { message: 'expected a topic without #, + or spaces' })
      .default('picam')
      .describe('First level of every topic.'),
    username: z.string().default('').describe('Broker user name; empty = none.'),
    password: z.string().default('').describe('Broker password (with `username`). Never logged.'),
    qos: z.literal([0, 1]).default(1).describe('QoS of subscriptions and published events (0 at most once, 1 at least once).'),
    reconnect_max_s: z
      .number()
      .min(1)
      .max(3600)
      .default(30)
      .describe('After losing the broker, reconnects after 1 s, doubling up to this many seconds. Capture and local triggers never wait for the broker.'),
    discovery: z
      .boolean()
      .default(true)
      .describe(
        'Home Assistant MQTT discovery: retained config messages that make this camera one device (camera picture, Trigger button, night, dark score, frame rate, last event). Turning it off, at run time or at start, removes them (empty retained configs). Changeable at run time.',
      ),
    discovery_prefix: z
      .string()
      .regex(/^[^#+\s]+$/, { message: 'expected a topic without #, + or spaces' })
      .default('homeassistant')
      .describe('Home Assistant\'s discovery prefix (its MQTT integration\'s setting). Changeable at run time.'),
    snapshot_interval_s: z
      .number()
      .min(0)
      .max(86400)
      .default(10)
      .describe('With discovery: seconds between JPEG snapshots on `<topic_prefix>/<camera_id>/snapshot` (retained; Home Assistant\'s camera picture); 0 = none. Changeable at run time.'),
    state_interval_s: z
      .number()
      .min(1)
      .max(86400)
      .default(10)
      .describe('With discovery: seconds between state messages (dark score, frame rate) on `<topic_prefix>/<camera_id>/state` (retained). Changeable at run time.'),
  })
  .describe('Fleet triggers and notifications over MQTT.');

export const configSchema = z
  .strictObject({
    camera: camera.prefault({}),
    ring: ring.prefault({}),
    night: night.prefault({}),
    export: exportConfig.prefault({}),
    network: network.prefault({}),
    logging: logging.prefault({}),
    mqtt: mqtt.prefault({}),
  })
  .superRefine((config, ctx) => {
    if ((config.network.tls_cert === '') !== (config.network.tls_key === '')) {
      const missing = config.network.tls_cert === '' ? 'tls_cert' : 'tls_key';
      ctx.addIssue({ code: 'custom', path: ['network', missing], message: 'expected both network.tls_cert and network.tls_key, or neither', input: '' });
    }
    const window = config.export.save_before_s + config.export.save_after_s;
    if (window > config.export.max_window_s) {
      ctx.addIssue({
        code: 'custom',
        path: ['export', 'max_window_s'],
        message: `expected number >= export.save_before_s + export.save_after_s (${window}), received ${config.export.max_window_s}`,
        input: config.export.max_window_s,
      });
    }
    if (config.night.bright_threshold <= config.night.dark_threshold) {
      ctx.addIssue({
        code: 'custom',
        path: ['night', 'bright_threshold'],
        message: `expected number > night.dark_threshold (${config.night.dark_threshold}), received ${config.night.bright_threshold}`,
        input: config.night.bright_threshold,
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
