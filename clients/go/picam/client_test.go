package picam_test

// These tests run the real picam service (node dist/src/main.js) on free
// loopback ports. They fail, never skip, when node or the built service is
// missing. PICAM_NODE and PICAM_MAIN override the node binary and main.js.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	picamv1 "github.com/picam/picam/clients/go/gen/picam/v1"
	"github.com/picam/picam/clients/go/picam"
)

const (
	camWidth  = 320
	camHeight = 240
)

type service struct {
	addr    string
	baseDir string
	client  *picam.Client
}

// mainJS locates dist/src/main.js from this file's place in the repository.
func mainJS(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PICAM_MAIN"); p != "" {
		return p
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source file")
	}
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "dist", "src", "main.js")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("picam service not built (%v): run `npm run build` in the repository root, or set PICAM_MAIN", err)
	}
	return p
}

func nodeBinary(t *testing.T) string {
	t.Helper()
	name := os.Getenv("PICAM_NODE")
	if name == "" {
		name = "node"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("node is required to run the picam service: %v", err)
	}
	return p
}

// startService starts picam with a synthetic camera in a temp dir and
// returns a connected client. Cleanup stops it with SIGTERM and expects exit 0.
func startService(t *testing.T) *service {
	t.Helper()
	return startServiceWith(t, t.TempDir(), nil)
}

// startServiceWith is startService with extra network settings (files they
// name are relative to dir, the config's folder) and Dial options.
func startServiceWith(t *testing.T, dir string, network map[string]any, dialOpts ...grpc.DialOption) *service {
	t.Helper()
	node, main := nodeBinary(t), mainJS(t)
	baseDir := filepath.Join(dir, "events")
	net := map[string]any{"host": "127.0.0.1", "port": 0, "grpc_port": 0, "http_port": 0}
	maps.Copy(net, network)
	config := map[string]any{
		"camera": map[string]any{"source": "synthetic", "width": camWidth, "height": camHeight, "framerate": 30},
		"ring":   map[string]any{"frames": 60},
		// max_buffer_bytes: a trigger reserves its window's worst case at trigger time; the deadline test asks for 5 s.
		"export":  map[string]any{"base_dir": baseDir, "save_before_s": 0.3, "save_after_s": 0.3, "max_buffer_bytes": 100_000_000},
		"network": net,
		"logging": map[string]any{"level": "info"},
	}
	raw, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	configPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(configPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(node, main, "--config", configPath)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting picam: %v", err)
	}
	exited := make(chan error, 1)
	ports := make(chan int, 1)
	var (
		logMu   sync.Mutex
		logTail []string
	)
	logs := func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return strings.Join(logTail, "\n")
	}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		scanner := bufio.NewScanner(stdout)
		scanner.Buffer(make([]byte, 0, 64<<10), 1<<20)
		sent := false
		for scanner.Scan() {
			line := scanner.Text()
			logMu.Lock()
			logTail = append(logTail, line)
			if len(logTail) > 50 {
				logTail = logTail[1:]
			}
			logMu.Unlock()
			if sent {
				continue
			}
			var entry struct {
				Msg      string   `json:"msg"`
				GRPCPort *float64 `json:"grpc_port"`
				LinePort *float64 `json:"line_port"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && strings.HasPrefix(entry.Msg, "listening") &&
				entry.GRPCPort != nil && entry.LinePort != nil {
				ports <- int(*entry.GRPCPort)
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		<-logDone // Wait closes the pipe: read it to the end first
		exited <- cmd.Wait()
	}()
	stopped := false
	t.Cleanup(func() {
		if stopped {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("picam did not exit cleanly on SIGTERM: %v\n%s", err, logs())
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("picam did not stop within 15s of SIGTERM")
		}
	})

	var port int
	select {
	case port = <-ports:
	case err := <-exited:
		stopped = true
		t.Fatalf("picam exited before listening: %v\n%s", err, logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("picam did not log its listening line within 30s\n%s", logs())
	}

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := picam.Dial(ctx, addr, dialOpts...)
	if err != nil {
		t.Fatalf("Dial(%s): %v", addr, err)
	}
	t.Cleanup(func() { _ = client.Close() }) // runs before the SIGTERM cleanup
	return &service{addr: addr, baseDir: baseDir, client: client}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// firstFrame returns the first frame of a stream (ending the stream).
func firstFrame(t *testing.T, ctx context.Context, c *picam.Client, opts picam.FramesOptions) *picam.Frame {
	t.Helper()
	for frame, err := range c.Frames(ctx, opts) {
		if err != nil {
			t.Fatalf("Frames(%+v): %v", opts, err)
		}
		return frame
	}
	t.Fatalf("Frames(%+v) ended without a frame", opts)
	return nil
}

func TestTriggerWait(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)
	resp, err := svc.client.Trigger(ctx, picam.TriggerOptions{
		Reason:  "go test",
		Label:   "unit",
		BeforeS: picam.Ptr(0.2),
		AfterS:  picam.Ptr(0.2),
		Formats: []string{"jpg"},
		Wait:    true,
	})
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	if resp.GetState() != picamv1.EventState_EVENT_STATE_COMPLETE {
		t.Fatalf("state = %v, want COMPLETE", resp.GetState())
	}
	if resp.GetEventId() == "" || resp.GetTriggerTime() == nil {
		t.Fatalf("incomplete response: %v", resp)
	}
	if !strings.HasPrefix(resp.GetDir(), svc.baseDir) {
		t.Errorf("dir %q is not under base_dir %q", resp.GetDir(), svc.baseDir)
	}
	if info, err := os.Stat(resp.GetDir()); err != nil || !info.IsDir() {
		t.Fatalf("event dir %q: %v", resp.GetDir(), err)
	}

	event, err := svc.client.GetEvent(ctx, resp.GetEventId())
	if err != nil {
		t.Fatalf("GetEvent: %v", err)
	}
	if len(event.GetFrames()) == 0 {
		t.Fatal("event has no frames")
	}
	for _, frame := range event.GetFrames() {
		if len(frame.GetFiles()) == 0 {
			t.Errorf("frame %d has no files", frame.GetFrameId())
		}
		for _, name := range frame.GetFiles() {
			info, err := os.Stat(filepath.Join(resp.GetDir(), name))
			if err != nil {
				t.Errorf("file of frame %d: %v", frame.GetFrameId(), err)
			} else if info.Size() == 0 {
				t.Errorf("file %s is empty", name)
			}
			if !strings.HasSuffix(name, ".jpg") {
				t.Errorf("file %s: want only jpg", name)
			}
		}
	}
	if got := event.GetEvent(); got.GetReason() != "go test" || got.GetTriggerSource() != "grpc" ||
		got.GetState() != picamv1.EventState_EVENT_STATE_COMPLETE || int(got.GetFrameCount()) != len(event.GetFrames()) {
		t.Errorf("event summary = %v", got)
	}
}

func TestTriggerWithoutWaitIsPending(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)
	resp, err := svc.client.Trigger(ctx, picam.TriggerOptions{AfterS: picam.Ptr(0.5)})
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	if resp.GetState() != picamv1.EventState_EVENT_STATE_PENDING {
		t.Errorf("state = %v, want PENDING", resp.GetState())
	}
}

func TestTriggerInvalidArgument(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	_, err := svc.client.Trigger(testContext(t), picam.TriggerOptions{BeforeS: picam.Ptr(-1.0)})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Trigger(before_s=-1): err = %v, want InvalidArgument", err)
	}
	var perr *picam.Error
	if !errors.As(err, &perr) || perr.Field != "before_s" {
		t.Fatalf("Trigger(before_s=-1): err = %#v, want a *picam.Error naming before_s", err)
	}
}

// The server names the field in google.rpc.BadRequest details; the typed error carries it.
func TestTriggerWindowTooLongNamesAfterS(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	_, err := svc.client.Trigger(testContext(t), picam.TriggerOptions{AfterS: picam.Ptr(3600.0)})
	var perr *picam.Error
	if !errors.As(err, &perr) {
		t.Fatalf("Trigger(after_s=3600): err = %v (%T), want *picam.Error", err, err)
	}
	const message = "after_s: expected before_s + after_s <= 60 s (export.max_window_s), received 0.3 + 3600"
	if perr.Code != codes.InvalidArgument || perr.Field != "after_s" || perr.Message != message {
		t.Errorf("error = {Code: %v, Field: %q, Message: %q}, want InvalidArgument, after_s, %q", perr.Code, perr.Field, perr.Message, message)
	}
	if want := []picam.FieldViolation{{Field: "after_s", Description: message}}; !slices.Equal(perr.FieldViolations, want) {
		t.Errorf("FieldViolations = %v, want %v", perr.FieldViolations, want)
	}
	// Still a gRPC status error, details included.
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != message || len(st.Details()) != 1 {
		t.Errorf("status.Convert(err) = %v with %d details", st, len(st.Details()))
	}
}

// A call that runs out of time is both DeadlineExceeded and context.DeadlineExceeded.
func TestDeadlineIsContextDeadlineExceeded(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	// Trigger with Wait holds the call for after_s (5 s): a 300 ms deadline ends it first.
	ctx, cancel := context.WithTimeout(testContext(t), 300*time.Millisecond)
	defer cancel()
	_, err := svc.client.Trigger(ctx, picam.TriggerOptions{BeforeS: picam.Ptr(0.0), AfterS: picam.Ptr(5.0), Wait: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v, context.Canceled) = true", err)
	}
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("status.Code(%v) = %v, want DeadlineExceeded", err, status.Code(err))
	}
	var perr *picam.Error
	if !errors.As(err, &perr) || perr.Field != "" {
		t.Errorf("err = %#v, want a *picam.Error naming no field", err)
	}
	// Cancelled is context.Canceled.
	cctx, ccancel := context.WithCancel(testContext(t))
	ccancel()
	if _, err := svc.client.Status(cctx); !errors.Is(err, context.Canceled) || status.Code(err) != codes.Canceled {
		t.Errorf("Status on a cancelled ctx: err = %v, want Canceled and context.Canceled", err)
	}
}

func TestFramesRawRGB24(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	frame := firstFrame(t, testContext(t), svc.client, picam.FramesOptions{Encoding: picam.EncodingRaw})
	if frame.GetEncoding() != picam.EncodingRaw || frame.GetPixelFormat() != picam.PixelFormatRGB24 {
		t.Fatalf("encoding %v / %v, want RAW / RGB24", frame.GetEncoding(), frame.GetPixelFormat())
	}
	if frame.GetWidth() != camWidth || frame.GetHeight() != camHeight {
		t.Fatalf("size %dx%d, want %dx%d", frame.GetWidth(), frame.GetHeight(), camWidth, camHeight)
	}
	if got, want := len(frame.GetData()), camWidth*camHeight*3; got != want {
		t.Fatalf("len(data) = %d, want %d", got, want)
	}
	img, err := frame.Image()
	if err != nil {
		t.Fatalf("Image: %v", err)
	}
	rgba, ok := img.(*image.RGBA)
	if !ok || rgba.Bounds() != image.Rect(0, 0, camWidth, camHeight) {
		t.Fatalf("Image = %T %v, want *image.RGBA %dx%d", img, img.Bounds(), camWidth, camHeight)
	}
	d := frame.GetData()
	if c := rgba.RGBAAt(1, 0); c.R != d[3] || c.G != d[4] || c.B != d[5] || c.A != 255 {
		t.Errorf("pixel (1,0) = %v, want %v", c, d[3:6])
	}
	if frame.CaptureTime().IsZero() || frame.GetFrameId() == 0 {
		t.Errorf("missing metadata: id %d time %v", frame.GetFrameId(), frame.CaptureTime())
	}
}

func TestFramesGray8Scaled(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	frame := firstFrame(t, testContext(t), svc.client, picam.FramesOptions{
		Encoding: picam.EncodingRaw, PixelFormat: picam.PixelFormatGray8, Width: 160,
	})
	if frame.GetWidth() != 160 || frame.GetHeight() != 120 {
		t.Fatalf("size %dx%d, want 160x120", frame.GetWidth(), frame.GetHeight())
	}
	if got := len(frame.GetData()); got != 160*120 {
		t.Fatalf("len(data) = %d, want %d", got, 160*120)
	}
	img, err := frame.Image()
	if err != nil {
		t.Fatalf("Image: %v", err)
	}
	if gray, ok := img.(*image.Gray); !ok || gray.Bounds().Dx() != 160 || gray.Bounds().Dy() != 120 {
		t.Fatalf("Image = %T %v, want *image.Gray 160x120", img, img.Bounds())
	}
	if mean := frame.MeanLuma(); mean < 0 || mean > 255 {
		t.Errorf("MeanLuma = %v", mean)
	}
}

func TestFramesJPEG(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	frame := firstFrame(t, testContext(t), svc.client, picam.FramesOptions{Quality: 70})
	if frame.GetEncoding() != picam.EncodingJPEG {
		t.Fatalf("encoding %v, want JPEG (the default)", frame.GetEncoding())
	}
	if d := frame.GetData(); len(d) < 4 || d[0] != 0xff || d[1] != 0xd8 {
		t.Fatalf("data is not a JPEG (%d bytes)", len(d))
	}
	img, err := frame.Image()
	if err != nil {
		t.Fatalf("Image: %v", err)
	}
	if img.Bounds() != image.Rect(0, 0, camWidth, camHeight) {
		t.Fatalf("decoded bounds %v", img.Bounds())
	}
}

func TestFramesMetadataOnly(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)
	var last uint64
	n := 0
	for frame, err := range svc.client.Frames(ctx, picam.FramesOptions{Encoding: picam.EncodingMetadata}) {
		if err != nil {
			t.Fatalf("Frames: %v", err)
		}
		if len(frame.GetData()) != 0 {
			t.Fatalf("metadata frame carries %d bytes", len(frame.GetData()))
		}
		if frame.GetFrameId() <= last || frame.CaptureTime().IsZero() || frame.GetExposureUs() == 0 && frame.GetGain() == 0 && frame.GetDarkScore() == 0 {
			t.Fatalf("bad metadata after id %d: %v", last, frame.Frame)
		}
		if _, err := frame.Image(); !errors.Is(err, picam.ErrNoImage) {
			t.Fatalf("Image() err = %v, want ErrNoImage", err)
		}
		last = frame.GetFrameId()
		if n++; n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("got %d frames", n)
	}
}

func TestFramesHistoryAndMaxFPS(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)
	// More than the 0.3 s of history asked for below (the camera runs at 30 fps).
	waitFor(t, 10*time.Second, "the ring to hold 15 frames", func() (bool, string) {
		st, err := svc.client.Status(ctx)
		return err == nil && st.GetRing().GetFilledFrames() >= 15, fmt.Sprint(st.GetRing(), err)
	})
	n := 0
	for frame, err := range svc.client.Frames(ctx, picam.FramesOptions{Encoding: picam.EncodingMetadata, HistoryS: 0.3}) {
		if err != nil {
			t.Fatalf("Frames(history): %v", err)
		}
		if n == 0 && time.Since(frame.CaptureTime()) < 200*time.Millisecond {
			t.Errorf("first history frame is only %v old", time.Since(frame.CaptureTime()))
		}
		if n++; n == 2 {
			break
		}
	}
	dropped := uint32(0)
	n = 0
	for frame, err := range svc.client.Frames(ctx, picam.FramesOptions{Encoding: picam.EncodingMetadata, MaxFPS: 5}) {
		if err != nil {
			t.Fatalf("Frames(max_fps): %v", err)
		}
		if n > 0 {
			dropped += frame.Dropped
		}
		if n++; n == 4 {
			break
		}
	}
	if dropped == 0 {
		t.Errorf("max_fps 5 from a 30 fps camera dropped nothing")
	}
}

func TestFramesInvalidArgument(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	for frame, err := range svc.client.Frames(testContext(t), picam.FramesOptions{Encoding: picamv1.Encoding(42)}) {
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("Frames(encoding 42): frame %v err %v, want InvalidArgument", frame, err)
		}
		return
	}
	t.Fatal("Frames(encoding 42) ended without an error")
}

// waitFor polls cond every 50ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s (%s)", timeout, what, detail)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func subscribers(t *testing.T, ctx context.Context, c *picam.Client) uint32 {
	t.Helper()
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	return st.GetStreamSubscribers()
}

func TestFramesBreakCancelsStream(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)
	n := 0
	for _, err := range svc.client.Frames(ctx, picam.FramesOptions{Encoding: picam.EncodingRaw}) {
		if err != nil {
			t.Fatalf("Frames: %v", err)
		}
		if n++; n == 3 {
			if got := subscribers(t, ctx, svc.client); got != 1 {
				t.Fatalf("stream_subscribers = %d while streaming, want 1", got)
			}
			break
		}
	}
	waitFor(t, 5*time.Second, "stream_subscribers to drop to 0 after break", func() (bool, string) {
		got := subscribers(t, ctx, svc.client)
		return got == 0, fmt.Sprintf("stream_subscribers = %d", got)
	})
}

func TestFramesStopsOnContextCancel(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	n := 0
	for _, err := range svc.client.Frames(ctx, picam.FramesOptions{Encoding: picam.EncodingMetadata}) {
		if err != nil {
			t.Fatalf("Frames yielded %v; cancelling ctx should end it quietly", err)
		}
		if n++; n == 2 {
			cancel()
		}
		if n > 100 {
			t.Fatal("stream went on after ctx was cancelled")
		}
	}
	ctx = testContext(t)
	waitFor(t, 5*time.Second, "stream_subscribers to drop to 0 after cancel", func() (bool, string) {
		got := subscribers(t, ctx, svc.client)
		return got == 0, fmt.Sprintf("stream_subscribers = %d", got)
	})
}

func TestNightStateAndStatus(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)
	night, err := svc.client.NightState(ctx)
	if err != nil {
		t.Fatalf("NightState: %v", err)
	}
	if night.GetDarkThreshold() <= 0 || night.GetMinDarkFrames() == 0 || night.GetMode() == "" || night.GetFramesPerSecond() <= 0 {
		t.Errorf("NightState = %v", night)
	}
	st, err := svc.client.Status(ctx)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	src := st.GetSource()
	if st.GetVersion() == "" || st.GetStartTime() == nil || !st.GetServing() {
		t.Errorf("Status = %v", st)
	}
	if src.GetKind() != "synthetic" || src.GetWidth() != camWidth || src.GetHeight() != camHeight || !src.GetRunning() {
		t.Errorf("Status.source = %v", src)
	}
	if st.GetRing().GetCapacityFrames() != 60 {
		t.Errorf("ring capacity = %d, want 60", st.GetRing().GetCapacityFrames())
	}
	if st.GetNight() != night.GetNight() {
		t.Errorf("Status.night %v != NightState.night %v", st.GetNight(), night.GetNight())
	}
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)

	// validate_only changes nothing
	before, err := svc.client.NightState(ctx)
	if err != nil {
		t.Fatalf("NightState: %v", err)
	}
	if _, err := svc.client.Configure(ctx, map[string]any{"night.dark_threshold": before.GetDarkThreshold() + 7},
		picam.ConfigureOptions{ValidateOnly: true}); err != nil {
		t.Fatalf("Configure(validate_only): %v", err)
	}
	if after, _ := svc.client.NightState(ctx); after.GetDarkThreshold() != before.GetDarkThreshold() {
		t.Fatalf("validate_only changed dark_threshold to %v", after.GetDarkThreshold())
	}

	// a valid update, in both the dotted and the nested form
	resp, err := svc.client.Configure(ctx, map[string]any{
		"night.dark_threshold": 33.5,
		"night":                map[string]any{"min_dark_frames": 4},
	}, picam.ConfigureOptions{})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if got := resp.GetConfig().GetNight(); got.GetDarkThreshold() != 33.5 || got.GetMinDarkFrames() != 4 {
		t.Errorf("effective night config = %v", got)
	}
	if !slices.Contains(resp.GetAppliedPaths(), "night.dark_threshold") || !slices.Contains(resp.GetAppliedPaths(), "night.min_dark_frames") {
		t.Errorf("applied_paths = %v", resp.GetAppliedPaths())
	}
	if resp.GetPersisted() {
		t.Error("persisted without Persist")
	}
	night, err := svc.client.NightState(ctx)
	if err != nil {
		t.Fatalf("NightState: %v", err)
	}
	if night.GetDarkThreshold() != 33.5 || night.GetMinDarkFrames() != 4 {
		t.Errorf("NightState after Configure: dark_threshold %v min_dark_frames %d", night.GetDarkThreshold(), night.GetMinDarkFrames())
	}

	// an invalid value: the server names the field
	_, err = svc.client.Configure(ctx, map[string]any{"night.min_dark_frames": 0}, picam.ConfigureOptions{})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Configure(min_dark_frames 0): err = %v, want InvalidArgument", err)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "night.min_dark_frames") {
		t.Errorf("error message %q does not name night.min_dark_frames", msg)
	}
	if night, _ := svc.client.NightState(ctx); night.GetMinDarkFrames() != 4 {
		t.Errorf("a rejected update changed min_dark_frames to %d", night.GetMinDarkFrames())
	}

	// errors caught before the call are InvalidArgument as well
	for _, bad := range []map[string]any{
		{"night.no_such_field": 1},
		{"night.dark_threshold.x": 1},
		{"night.min_dark_frames": "many"},
		{"night.min_dark_frames": -1},
		{},
	} {
		if _, err := svc.client.Configure(ctx, bad, picam.ConfigureOptions{}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("Configure(%v): err = %v, want InvalidArgument", bad, err)
		}
	}
}

func TestBuildConfig(t *testing.T) {
	t.Parallel()
	cfg, paths, err := picam.BuildConfig(map[string]any{
		"export":               map[string]any{"formats": []string{"jpg", "png"}, "jpeg_quality": 90},
		"night.gain":           nil, // reset to default: in the mask, unset
		"camera.hflip":         true,
		"ring.max_bytes":       uint64(1 << 40),
		"night.dark_threshold": 12,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"camera.hflip", "export.formats", "export.jpeg_quality", "night.dark_threshold", "night.gain", "ring.max_bytes"}
	if !slices.Equal(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	if !slices.Equal(cfg.GetExport().GetFormats(), []string{"jpg", "png"}) || cfg.GetExport().GetJpegQuality() != 90 ||
		!cfg.GetCamera().GetHflip() || cfg.GetRing().GetMaxBytes() != 1<<40 || cfg.GetNight().GetDarkThreshold() != 12 ||
		cfg.GetNight().Gain != nil {
		t.Errorf("config = %v", cfg)
	}
	if _, _, err := picam.BuildConfig(map[string]any{"night.x": 1}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("unknown path: err = %v", err)
	}
}

func TestEventsPendingThenComplete(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)

	// WatchEvents returns once the subscription is live: the trigger right
	// after it is seen from its PENDING on, with no sleep and no retry.
	watch, err := svc.client.WatchEvents(ctx)
	if err != nil {
		t.Fatalf("WatchEvents: %v", err)
	}
	defer watch.Close()
	resp, err := svc.client.Trigger(ctx, picam.TriggerOptions{Reason: "watch", BeforeS: picam.Ptr(0.1), AfterS: picam.Ptr(0.1)})
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	var states []picamv1.EventState
	for ev, err := range watch.All() {
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		if ev.GetSubscribed() != nil {
			t.Fatal("All yielded the Subscribed message")
		}
		if ev.GetTime() == nil {
			t.Fatalf("event without time: %v", ev)
		}
		p := ev.GetEventProgress()
		if p == nil || p.GetEventId() != resp.GetEventId() {
			continue
		}
		states = append(states, p.GetState())
		if p.GetDir() != resp.GetDir() {
			t.Errorf("progress dir %q, want %q", p.GetDir(), resp.GetDir())
		}
		if p.GetState() != picamv1.EventState_EVENT_STATE_PENDING {
			break
		}
	}
	if !slices.Equal(states, []picamv1.EventState{picamv1.EventState_EVENT_STATE_PENDING, picamv1.EventState_EVENT_STATE_COMPLETE}) {
		t.Fatalf("event states %v, want [PENDING COMPLETE]", states)
	}

	// Events, the plain iterator, never yields Subscribed either, and a
	// cancelled ctx ends it quietly. It gives no moment to trigger at, so
	// keep triggering until it has seen something.
	ectx, ecancel := context.WithCancel(ctx)
	defer ecancel()
	go func() {
		for ectx.Err() == nil {
			_, _ = svc.client.Trigger(ectx, picam.TriggerOptions{BeforeS: picam.Ptr(0.0), AfterS: picam.Ptr(0.1), Wait: true})
		}
	}()
	seen := 0
	for ev, err := range svc.client.Events(ectx) {
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		if ev.GetSubscribed() != nil {
			t.Fatal("Events yielded the Subscribed message")
		}
		seen++
		ecancel()
	}
	if seen != 1 {
		t.Errorf("Events yielded %d messages after its ctx was cancelled at the first", seen)
	}
}

// mustNewConn is a connection that does not wait to be ready (unlike Dial).
func mustNewConn(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient(%s): %v", addr, err)
	}
	return conn
}

func TestWatchEventsUnreachable(t *testing.T) {
	t.Parallel()
	client := picam.NewClient(mustNewConn(t, "127.0.0.1:1"))
	defer client.Close()
	if _, err := client.WatchEvents(testContext(t)); status.Code(err) != codes.Unavailable {
		t.Fatalf("WatchEvents against a closed port: err = %v, want Unavailable", err)
	}
}

func TestListGetDeleteEvents(t *testing.T) {
	t.Parallel()
	svc := startService(t)
	ctx := testContext(t)
	var ids []string
	for i := range 2 {
		resp, err := svc.client.Trigger(ctx, picam.TriggerOptions{Reason: fmt.Sprintf("event %d", i), BeforeS: picam.Ptr(0.1), AfterS: picam.Ptr(0.1), Wait: true})
		if err != nil {
			t.Fatalf("Trigger: %v", err)
		}
		ids = append(ids, resp.GetEventId())
	}

	page, err := svc.client.ListEvents(ctx, 0, "")
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	var listed []string
	for _, e := range page.GetEvents() {
		listed = append(listed, e.GetEventId())
	}
	if !slices.Equal(listed, []string{ids[1], ids[0]}) || page.GetNextPageToken() != "" {
		t.Fatalf("ListEvents = %v (next %q), want newest first %v", listed, page.GetNextPageToken(), []string{ids[1], ids[0]})
	}
	first, err := svc.client.ListEvents(ctx, 1, "")
	if err != nil || len(first.GetEvents()) != 1 || first.GetNextPageToken() == "" {
		t.Fatalf("ListEvents(page_size 1) = %v, %v", first, err)
	}
	var all []string
	for e, err := range svc.client.AllEvents(ctx) {
		if err != nil {
			t.Fatalf("AllEvents: %v", err)
		}
		all = append(all, e.GetEventId())
	}
	if !slices.Equal(all, listed) {
		t.Errorf("AllEvents = %v, want %v", all, listed)
	}

	event, err := svc.client.GetEvent(ctx, ids[0])
	if err != nil {
		t.Fatalf("GetEvent: %v", err)
	}
	if event.GetEvent().GetEventId() != ids[0] || event.GetEvent().GetReason() != "event 0" || event.GetEvent().GetBytes() == 0 {
		t.Errorf("GetEvent = %v", event.GetEvent())
	}
	dir := event.GetEvent().GetDir()

	freed, err := svc.client.DeleteEvent(ctx, ids[0])
	if err != nil {
		t.Fatalf("DeleteEvent: %v", err)
	}
	if freed == 0 {
		t.Error("DeleteEvent freed 0 bytes")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("event dir still there after delete: %v", err)
	}
	if _, err := svc.client.GetEvent(ctx, ids[0]); status.Code(err) != codes.NotFound {
		t.Fatalf("GetEvent after delete: err = %v, want NotFound", err)
	}
	if _, err := svc.client.DeleteEvent(ctx, ids[0]); status.Code(err) != codes.NotFound {
		t.Errorf("DeleteEvent twice: err = %v, want NotFound", err)
	}
	page, err = svc.client.ListEvents(ctx, 0, "")
	if err != nil || len(page.GetEvents()) != 1 || page.GetEvents()[0].GetEventId() != ids[1] {
		t.Errorf("ListEvents after delete = %v, %v", page, err)
	}
}

func TestDialFailsFast(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	// port 1 on loopback: nothing listens there
	client, err := picam.Dial(ctx, "127.0.0.1:1")
	if err == nil {
		client.Close()
		t.Fatal("Dial to a closed port succeeded")
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("Dial err = %v, want Unavailable", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial err = %v: errors.Is(err, context.DeadlineExceeded) = false after the ctx deadline", err)
	}
}
