/*
 * JPEG straight from I420 planes, with libjpeg-turbo's TurboJPEG API
 * (tjCompressFromYUVPlanes), as a Node-API addon: i420-jpeg.ts loads it.
 *
 * Why by hand: JPEG stores 4:2:0 YCbCr, which is what a Pi camera's I420
 * already is, so encoding the planes skips the I420 -> RGB conversion and
 * the encoder's own RGB -> YCbCr and chroma downsampling. No npm package
 * offers YUV-plane input (sharp and jpeg-turbo take packed RGB/grey only);
 * measured on the bench's noisy 1080p scene at q90 this is ~6 ms a frame
 * against ~9 ms for sharp from RGB, before the conversion it also saves.
 *
 * The encode runs on libuv's threadpool (napi async work), one TurboJPEG
 * compressor per pool thread kept for the thread's life. Limited-range
 * (video) frames are stretched to JPEG's full range first, the same formula
 * i420-to-rgb.ts uses, so both paths give one picture.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref input_ref;
  const unsigned char *input;
  int width;
  int height;
  int quality;
  int full_range;
  unsigned char *jpeg;
  unsigned long jpeg_size;
  char error[256];
} Job;

static __thread tjhandle thread_compressor;
/* Limited-range planes stretched to full range, per pool thread, grown to the largest frame seen. */
static __thread unsigned char *thread_scratch;
static __thread size_t thread_scratch_bytes;
/* TurboJPEG's output, per pool thread: tjBufSize() of the largest frame seen. */
static __thread unsigned char *thread_out;
static __thread unsigned long thread_out_bytes;

static unsigned char luma_lut[256];
static unsigned char chroma_lut[256];

static unsigned char clamp_round(double value) {
  if (value <= 0) return 0;
  if (value >= 255) return 255;
  return (unsigned char)(value + 0.5);
}

static void build_luts(void) {
  for (int i = 0; i < 256; i++) {
    luma_lut[i] = clamp_round((i - 16) * 255.0 / 219.0);
    chroma_lut[i] = clamp_round((i - 128) * 255.0 / 224.0 + 128.0);
  }
}

static size_t plane_bytes(int width, int height, size_t *luma, size_t *chroma) {
  *luma = (size_t)width * (size_t)height;
  *chroma = (size_t)((width + 1) / 2) * (size_t)((height + 1) / 2);
  return *luma + 2 * *chroma;
}

static void execute(napi_env env, void *data) {
  (void)env;
  Job *job = data;
  if (thread_compressor == NULL) thread_compressor = tjInitCompress();
  if (thread_compressor == NULL) {
    snprintf(job->error, sizeof job->error, "tjInitCompress: %s", tjGetErrorStr2(NULL));
    return;
  }
  size_t luma, chroma;
  size_t total = plane_bytes(job->width, job->height, &luma, &chroma);
  const unsigned char *y = job->input;
  if (!job->full_range) {
    if (thread_scratch_bytes < total) {
      unsigned char *grown = realloc(thread_scratch, total);
      if (grown == NULL) {
        snprintf(job->error, sizeof job->error, "out of memory for %zu bytes of range-stretched planes", total);
        return;
      }
      thread_scratch = grown;
      thread_scratch_bytes = total;
    }
    for (size_t i = 0; i < luma; i++) thread_scratch[i] = luma_lut[job->input[i]];
    for (size_t i = luma; i < total; i++) thread_scratch[i] = chroma_lut[job->input[i]];
    y = thread_scratch;
  }
  const unsigned char *planes[3] = {y, y + luma, y + luma + chroma};
  int chroma_width = (job->width + 1) / 2;
  int strides[3] = {job->width, chroma_width, chroma_width};
  /*
   * Never a buffer TurboJPEG may grow: when it grows one, it frees the buffer it grew
   * on the compressor's previous call (dest->newbuffer, jdatadst-tj.c), by then a JPEG
   * handed to JavaScript, and it takes a fresh buffer at that same address for a
   * "reused" one of the old size (this crashed the process at q100 on noisy frames).
   * With TJFLAG_NOREALLOC it writes into tjBufSize() bytes, the worst case: one such
   * buffer per pool thread, reused (a fresh one per frame cost its page faults every
   * time), and the JPEG is copied out of it into a buffer of its own size.
   */
  unsigned long worst = tjBufSize(job->width, job->height, TJSAMP_420);
  if (worst == (unsigned long)-1 || worst > INT_MAX) {
    snprintf(job->error, sizeof job->error, "a %dx%d JPEG may need %lu bytes, more than TurboJPEG writes into", job->width, job->height, worst);
    return;
  }
  if (thread_out_bytes < worst) {
    free(thread_out);
    thread_out = malloc(worst);
    thread_out_bytes = thread_out == NULL ? 0 : worst;
    if (thread_out == NULL) {
      snprintf(job->error, sizeof job->error, "out of memory for a %lu-byte JPEG buffer", worst);
      return;
    }
  }
  unsigned char *written = thread_out;
  unsigned long size = worst;
  if (tjCompressFromYUVPlanes(thread_compressor, planes, job->width, strides, job->height, TJSAMP_420, &written, &size, job->quality, TJFLAG_NOREALLOC) != 0) {
    snprintf(job->error, sizeof job->error, "tjCompressFromYUVPlanes: %s", tjGetErrorStr2(thread_compressor));
    return;
  }
  /* Its own size: a kept JPEG (the compressed tier holds a minute of them) must cost only that. */
  job->jpeg = malloc(size);
  if (job->jpeg == NULL) {
    snprintf(job->error, sizeof job->error, "out of memory for a %lu-byte JPEG", size);
    return;
  }
  memcpy(job->jpeg, written, size);
  job->jpeg_size = size;
}

static void free_jpeg(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static void complete(napi_env env, napi_status status, void *data) {
  Job *job = data;
  napi_delete_reference(env, job->input_ref);
  napi_value outcome;
  if (status == napi_ok && job->error[0] == '\0') {
    if (napi_create_external_buffer(env, job->jpeg_size, job->jpeg, free_jpeg, NULL, &outcome) == napi_ok) {
      napi_resolve_deferred(env, job->deferred, outcome);
    } else {
      free(job->jpeg);
      napi_value message;
      napi_create_string_utf8(env, "i420-jpeg: could not hand over the JPEG buffer", NAPI_AUTO_LENGTH, &message);
      napi_create_error(env, NULL, message, &outcome);
      napi_reject_deferred(env, job->deferred, outcome);
    }
  } else {
    napi_value message;
    napi_create_string_utf8(env, job->error[0] ? job->error : "i420-jpeg: encode cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &outcome);
    napi_reject_deferred(env, job->deferred, outcome);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value fail(napi_env env, const char *code, const char *message, int range) {
  if (range) napi_throw_range_error(env, code, message);
  else napi_throw_type_error(env, code, message);
  return NULL;
}

static int int_arg(napi_env env, napi_value value, int *out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

/* encode(planes: Uint8Array, width, height, fullRange: boolean, quality): Promise<Buffer> */
static napi_value encode(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return fail(env, "ERR_INVALID_ARG", "encode(planes, width, height, fullRange, quality)", 0);
  bool is_typed;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (!is_typed) return fail(env, "ERR_INVALID_ARG_TYPE", "planes must be a Uint8Array", 0);
  napi_typedarray_type type;
  size_t length;
  void *bytes;
  napi_get_typedarray_info(env, argv[0], &type, &length, &bytes, NULL, NULL);
  if (type != napi_uint8_array) return fail(env, "ERR_INVALID_ARG_TYPE", "planes must be a Uint8Array", 0);
  int width, height, quality;
  bool full_range;
  if (!int_arg(env, argv[1], &width) || !int_arg(env, argv[2], &height) || !int_arg(env, argv[4], &quality) || napi_get_value_bool(env, argv[3], &full_range) != napi_ok) {
    return fail(env, "ERR_INVALID_ARG_TYPE", "width, height and quality must be numbers, fullRange a boolean", 0);
  }
  if (width < 1 || height < 1 || width > 65535 || height > 65535) return fail(env, "ERR_OUT_OF_RANGE", "width and height must be 1-65535", 1);
  if (quality < 1 || quality > 100) return fail(env, "ERR_OUT_OF_RANGE", "quality must be 1-100", 1);
  size_t luma, chroma;
  size_t need = plane_bytes(width, height, &luma, &chroma);
  if (length < need) {
    char message[160];
    snprintf(message, sizeof message, "planes hold %zu bytes; %dx%d I420 needs %zu", length, width, height, need);
    return fail(env, "ERR_OUT_OF_RANGE", message, 1);
  }
  Job *job = calloc(1, sizeof *job);
  if (job == NULL) return fail(env, "ERR_MEMORY", "out of memory", 1);
  job->input = bytes;
  job->width = width;
  job->height = height;
  job->quality = quality;
  job->full_range = full_range;
  napi_value promise, name;
  /* The planes stay referenced (alive) until the encode is done; callers must not change them meanwhile. */
  napi_create_reference(env, argv[0], 1, &job->input_ref);
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "picam.i420Jpeg", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  build_luts();
  napi_value fn;
  napi_create_function(env, "encode", NAPI_AUTO_LENGTH, encode, NULL, &fn);
  napi_set_named_property(env, exports, "encode", fn);
  return exports;
}

NAPI_MODULE(i420_jpeg, init)
