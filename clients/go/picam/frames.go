package picam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"iter"
	"time"

	"google.golang.org/grpc"

	picamv1 "github.com/picam/picam/clients/go/gen/picam/v1"
)

// Short names for the encodings and pixel formats of [FramesOptions].
const (
	EncodingJPEG     = picamv1.Encoding_ENCODING_JPEG
	EncodingRaw      = picamv1.Encoding_ENCODING_RAW
	EncodingMetadata = picamv1.Encoding_ENCODING_METADATA_ONLY

	PixelFormatRGB24  = picamv1.PixelFormat_PIXEL_FORMAT_RGB24
	PixelFormatGray8  = picamv1.PixelFormat_PIXEL_FORMAT_GRAY8
	PixelFormatYUV420 = picamv1.PixelFormat_PIXEL_FORMAT_YUV420
)

// FramesOptions pick what [Client.Frames] receives. The zero value streams
// every captured frame as a full-size JPEG of quality 80.
type FramesOptions struct {
	// Encoding of the frame data; 0 (unspecified) means [EncodingJPEG].
	Encoding picamv1.Encoding
	// MaxFPS caps the delivered frame rate; 0 delivers every frame.
	MaxFPS float64
	// Width and Height scale the output; 0 keeps the camera's size, and
	// setting only one keeps the aspect ratio.
	Width, Height uint32
	// Quality is the JPEG quality 1-100; 0 means the server default (80).
	Quality uint32
	// PixelFormat of [EncodingRaw] data; 0 means [PixelFormatRGB24].
	PixelFormat picamv1.PixelFormat
	// HistoryS starts this many seconds back in the ring buffer, then
	// continues live; 0 starts with the next captured frame.
	HistoryS float64
}

func (o FramesOptions) request() *picamv1.StreamFramesRequest {
	req := &picamv1.StreamFramesRequest{
		Encoding:    o.Encoding,
		MaxFps:      o.MaxFPS,
		Width:       o.Width,
		Height:      o.Height,
		PixelFormat: o.PixelFormat,
	}
	if o.Quality != 0 {
		req.Quality = &o.Quality
	}
	if o.HistoryS != 0 {
		req.HistoryS = &o.HistoryS
	}
	return req
}

// Frame is one streamed frame. The generated message is embedded, so its
// fields and getters (FrameId, Width, Height, Data, DarkScore, Night, ...)
// are available directly.
type Frame struct {
	*picamv1.Frame
	// Dropped counts the frames skipped for this subscriber since the
	// previous one (because of MaxFPS or because the loop read too slowly).
	Dropped uint32
}

// CaptureTime is when the frame was captured (zero if unset).
func (f *Frame) CaptureTime() time.Time {
	if f.GetCaptureTime() == nil {
		return time.Time{}
	}
	return f.GetCaptureTime().AsTime()
}

// ErrNoImage is returned by [Frame.Image] for a metadata-only frame.
var ErrNoImage = errors.New("picam: frame has no image data (ENCODING_METADATA_ONLY)")

// Image decodes the frame:
//
//   - RAW RGB24 gives an *image.RGBA (a copy with opaque alpha),
//   - RAW GRAY8 gives an *image.Gray whose Pix shares the frame's Data,
//   - RAW YUV420 gives an *image.YCbCr (4:2:0) sharing the frame's Data,
//   - JPEG is decoded with image/jpeg (usually *image.YCbCr or *image.Gray),
//   - metadata-only frames give [ErrNoImage].
func (f *Frame) Image() (image.Image, error) {
	w, h := int(f.GetWidth()), int(f.GetHeight())
	data := f.GetData()
	switch f.GetEncoding() {
	case picamv1.Encoding_ENCODING_JPEG:
		return jpeg.Decode(bytes.NewReader(data))
	case picamv1.Encoding_ENCODING_METADATA_ONLY:
		return nil, ErrNoImage
	case picamv1.Encoding_ENCODING_RAW:
	default:
		return nil, fmt.Errorf("picam: unknown frame encoding %v", f.GetEncoding())
	}
	rect := image.Rect(0, 0, w, h)
	switch f.GetPixelFormat() {
	case picamv1.PixelFormat_PIXEL_FORMAT_RGB24:
		if len(data) != w*h*3 {
			return nil, sizeError("rgb24", len(data), w*h*3)
		}
		img := image.NewRGBA(rect)
		for i, j := 0, 0; i < len(data); i, j = i+3, j+4 {
			img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = data[i], data[i+1], data[i+2], 0xff
		}
		return img, nil
	case picamv1.PixelFormat_PIXEL_FORMAT_GRAY8:
		if len(data) != w*h {
			return nil, sizeError("gray8", len(data), w*h)
		}
		return &image.Gray{Pix: data, Stride: w, Rect: rect}, nil
	case picamv1.PixelFormat_PIXEL_FORMAT_YUV420:
		cw, ch := (w+1)/2, (h+1)/2
		if len(data) != w*h+2*cw*ch {
			return nil, sizeError("yuv420", len(data), w*h+2*cw*ch)
		}
		y, u := w*h, w*h+cw*ch
		return &image.YCbCr{
			Y: data[:y], Cb: data[y:u], Cr: data[u:],
			YStride: w, CStride: cw,
			SubsampleRatio: image.YCbCrSubsampleRatio420,
			Rect:           rect,
		}, nil
	default:
		return nil, fmt.Errorf("picam: unsupported raw pixel format %v", f.GetPixelFormat())
	}
}

// MeanLuma is the mean brightness 0-255 of a RAW GRAY8 frame (the mean of its
// bytes), or else the server's DarkScore, which is the same measure taken on
// the full-size frame.
func (f *Frame) MeanLuma() float64 {
	data := f.GetData()
	if f.GetEncoding() != picamv1.Encoding_ENCODING_RAW ||
		f.GetPixelFormat() != picamv1.PixelFormat_PIXEL_FORMAT_GRAY8 || len(data) == 0 {
		return f.GetDarkScore()
	}
	var sum uint64
	for _, b := range data {
		sum += uint64(b)
	}
	return float64(sum) / float64(len(data))
}

func sizeError(format string, got, want int) error {
	return fmt.Errorf("picam: %s frame has %d bytes, want %d", format, got, want)
}

// Frames streams live frames for as long as the loop runs:
//
//	for frame, err := range client.Frames(ctx, picam.FramesOptions{Encoding: picam.EncodingRaw}) {
//		if err != nil { return err }
//		img, _ := frame.Image()
//		...
//	}
//
// Breaking out of the loop or cancelling ctx cancels the stream on the
// server. When ctx ends the sequence simply stops (check ctx.Err() if
// needed); any other error (e.g. codes.InvalidArgument for bad options) is
// yielded once and ends it.
func (c *Client) Frames(ctx context.Context, opts FramesOptions) iter.Seq2[*Frame, error] {
	req := opts.request()
	responses := streamSeq(ctx, func(ctx context.Context) (grpc.ServerStreamingClient[picamv1.StreamFramesResponse], error) {
		return c.rpc.StreamFrames(ctx, req)
	})
	return func(yield func(*Frame, error) bool) {
		for resp, err := range responses {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&Frame{Frame: resp.GetFrame(), Dropped: resp.GetDropped()}, nil) {
				return
			}
		}
	}
}
