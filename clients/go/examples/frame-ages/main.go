// Command frame-ages prints one JSON line per streamed JPEG frame: its id,
// capture time, receive time, age (receive - capture, meaningful when client
// and camera share a clock) and how many frames the server dropped before
// it. Handy to see how fresh frames are over a given link.
//
//	go run ./examples/frame-ages -addr 127.0.0.1:50051 -seconds 10
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"os"
	"time"

	"github.com/picam/picam/clients/go/picam"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:50051", "picam gRPC address (host:port)")
	seconds := flag.Float64("seconds", 10, "how long to stream")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(*seconds*float64(time.Second)))
	defer cancel()
	c, err := picam.Dial(ctx, *addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	out := json.NewEncoder(os.Stdout)
	for f, err := range c.Frames(ctx, picam.FramesOptions{}) {
		if err != nil {
			if ctx.Err() != nil {
				return // the -seconds timeout ended the stream
			}
			log.Fatal(err)
		}
		now := time.Now()
		captured := f.GetCaptureTime().AsTime()
		_ = out.Encode(map[string]any{
			"id":         f.GetFrameId(),
			"capture_ms": captured.UnixMilli(),
			"receive_ms": now.UnixMilli(),
			"age_ms":     now.Sub(captured).Milliseconds(),
			"dropped":    f.Dropped,
			"bytes":      len(f.GetData()),
		})
	}
}
