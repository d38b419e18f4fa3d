// Command detector is a minimal picam detection process: it streams small
// gray raw frames, computes each frame's mean brightness, and triggers a save
// when the mean jumps by more than -threshold between consecutive frames
// (a light switched on, a door opened, ...).
//
//	go run ./examples/detector -addr 127.0.0.1:50051 -threshold 20
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/picam/picam/clients/go/picam"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:50051", "picam gRPC address (host:port)")
	threshold := flag.Float64("threshold", 20, "trigger when mean brightness (0-255) changes by more than this between frames")
	width := flag.Uint("width", 160, "width of the analysed frames (height keeps the aspect ratio)")
	fps := flag.Float64("fps", 10, "frames per second to analyse (0 = every frame)")
	cooldown := flag.Duration("cooldown", 2*time.Second, "minimum time between two triggers")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *threshold, uint32(*width), *fps, *cooldown); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr string, threshold float64, width uint32, fps float64, cooldown time.Duration) error {
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	client, err := picam.Dial(dialCtx, addr)
	cancel()
	if err != nil {
		return err
	}
	defer client.Close()
	log.Printf("connected to %s, threshold %.1f", addr, threshold)

	frames := client.Frames(ctx, picam.FramesOptions{
		Encoding:    picam.EncodingRaw,
		PixelFormat: picam.PixelFormatGray8,
		Width:       width,
		MaxFPS:      fps,
	})
	previous := math.NaN()
	var lastTrigger time.Time
	for frame, err := range frames {
		if err != nil {
			return err
		}
		mean := frame.MeanLuma()
		jump := mean - previous
		previous = mean
		if math.IsNaN(jump) || math.Abs(jump) <= threshold || time.Since(lastTrigger) < cooldown {
			continue
		}
		lastTrigger = time.Now()
		resp, err := client.Trigger(ctx, picam.TriggerOptions{
			Reason: fmt.Sprintf("mean brightness jumped by %+.1f to %.1f at frame %d", jump, mean, frame.GetFrameId()),
			Label:  "brightness",
		})
		if err != nil {
			log.Printf("trigger failed: %v", err)
			continue
		}
		log.Printf("frame %d: brightness %+.1f -> event %s in %s", frame.GetFrameId(), jump, resp.GetEventId(), resp.GetDir())
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
