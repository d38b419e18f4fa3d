package picam

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	picamv1 "github.com/picam/picam/clients/go/gen/picam/v1"
)

// MaxRecvMsgSize is the largest message the client accepts: 64 MiB, the
// server's send limit. A raw 1080p RGB frame is about 6 MB, over gRPC's
// 4 MiB default.
const MaxRecvMsgSize = 64 << 20

// Client talks to one picam service. It is safe for concurrent use.
type Client struct {
	conn *grpc.ClientConn
	rpc  picamv1.CameraServiceClient
}

// Dial connects to the picam gRPC API at addr ("host:port", e.g.
// "127.0.0.1:50051") and waits until the connection is ready or ctx ends
// (give ctx a deadline to fail fast on a wrong address).
//
// The connection is plain text by default, accepts messages up to
// [MaxRecvMsgSize], and pings the server every 30s while a call is active so
// that idle-looking streams survive NAT and firewalls. opts are appended, so
// they can override any of these defaults. After Dial succeeds the
// connection reconnects by itself if the service restarts.
//
// picam serves gRPC over TLS (and then only TLS) when its config sets
// network.tls_cert and network.tls_key: pass
// grpc.WithTransportCredentials(credentials.NewClientTLSFromFile(certPEM, ""))
// to connect to it. With network.token set, every call needs the metadata
// "authorization: Bearer <token>" (grpc.WithPerRPCCredentials, or
// metadata.AppendToOutgoingContext).
func Dial(ctx context.Context, addr string, opts ...grpc.DialOption) (*Client, error) {
	base := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxRecvMsgSize)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:    30 * time.Second,
			Timeout: 10 * time.Second,
		}),
	}
	conn, err := grpc.NewClient(addr, append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	conn.Connect()
	for {
		state := conn.GetState()
		if state == connectivity.Ready {
			break
		}
		if state == connectivity.Shutdown || !conn.WaitForStateChange(ctx, state) {
			conn.Close()
			return nil, newError(codes.Unavailable, "", context.Cause(ctx), "picam: connecting to %s: %v (last state %s)", addr, context.Cause(ctx), state)
		}
	}
	return NewClient(conn), nil
}

// NewClient wraps an existing connection, for callers that build their own
// (TLS through a proxy, custom resolvers, interceptors). Remember to pass
// grpc.MaxCallRecvMsgSize([MaxRecvMsgSize]) to receive raw frames. Close
// closes conn.
func NewClient(conn *grpc.ClientConn) *Client {
	return &Client{conn: conn, rpc: picamv1.NewCameraServiceClient(conn)}
}

// Close closes the connection; calls in flight fail with codes.Canceled.
func (c *Client) Close() error { return c.conn.Close() }

// Conn returns the underlying connection.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// RPC returns the generated client, for full control over requests.
func (c *Client) RPC() picamv1.CameraServiceClient { return c.rpc }

// Ptr returns a pointer to v, for the optional fields of the option structs:
// TriggerOptions{BeforeS: picam.Ptr(2.0)}.
func Ptr[T any](v T) *T { return &v }

// TriggerOptions are the parameters of [Client.Trigger]. The zero value
// triggers with the service's export configuration and returns at once.
type TriggerOptions struct {
	// Reason is free text recorded in the event manifest.
	Reason string
	// Label is a short tag recorded in the manifest (e.g. a class name).
	Label string
	// BeforeS and AfterS are the seconds saved before and after the trigger
	// instant; nil means export.save_before_s / export.save_after_s.
	BeforeS, AfterS *float64
	// Formats to write, from "jpg", "png", "npy" and "mp4"; empty means
	// export.formats.
	Formats []string
	// Stack averages dark frames for this event; nil means
	// export.stack_dark_frames.
	Stack *bool
	// Wait makes Trigger return only once the event is finished; the
	// response's State then is COMPLETE, PARTIAL or FAILED. Without Wait the
	// state is PENDING.
	Wait bool
}

// Trigger saves the frames around now into a new event folder.
func (c *Client) Trigger(ctx context.Context, opts TriggerOptions) (*picamv1.TriggerResponse, error) {
	resp, err := c.rpc.Trigger(ctx, &picamv1.TriggerRequest{
		Reason:  opts.Reason,
		Label:   opts.Label,
		BeforeS: opts.BeforeS,
		AfterS:  opts.AfterS,
		Formats: opts.Formats,
		Stack:   opts.Stack,
		Wait:    opts.Wait,
	})
	return resp, wrapErr(err)
}

// NightState tells whether the camera is in night mode and why.
func (c *Client) NightState(ctx context.Context) (*picamv1.GetNightStateResponse, error) {
	resp, err := c.rpc.GetNightState(ctx, &picamv1.GetNightStateRequest{})
	return resp, wrapErr(err)
}

// Status reports the source, ring buffer and export state.
func (c *Client) Status(ctx context.Context) (*picamv1.GetStatusResponse, error) {
	resp, err := c.rpc.GetStatus(ctx, &picamv1.GetStatusRequest{})
	return resp, wrapErr(err)
}

// ListEvents returns one page of saved events, newest first. pageSize 0 means
// 50 (at most 1000); pageToken is "" for the first page, then the previous
// response's NextPageToken. See [Client.AllEvents] to iterate every page.
func (c *Client) ListEvents(ctx context.Context, pageSize uint32, pageToken string) (*picamv1.ListEventsResponse, error) {
	resp, err := c.rpc.ListEvents(ctx, &picamv1.ListEventsRequest{PageSize: pageSize, PageToken: pageToken})
	return resp, wrapErr(err)
}

// AllEvents iterates over every saved event, newest first, fetching pages as
// needed. An error is yielded once and ends the sequence.
func (c *Client) AllEvents(ctx context.Context) iter.Seq2[*picamv1.Event, error] {
	return func(yield func(*picamv1.Event, error) bool) {
		token := ""
		for {
			page, err := c.ListEvents(ctx, 0, token)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, event := range page.GetEvents() {
				if !yield(event, nil) {
					return
				}
			}
			token = page.GetNextPageToken()
			if token == "" {
				return
			}
		}
	}
}

// GetEvent returns one event with its per-frame manifest; codes.NotFound if
// there is no such event.
func (c *Client) GetEvent(ctx context.Context, eventID string) (*picamv1.GetEventResponse, error) {
	resp, err := c.rpc.GetEvent(ctx, &picamv1.GetEventRequest{EventId: eventID})
	return resp, wrapErr(err)
}

// DeleteEvent removes a finished event folder and returns the bytes freed.
func (c *Client) DeleteEvent(ctx context.Context, eventID string) (uint64, error) {
	resp, err := c.rpc.DeleteEvent(ctx, &picamv1.DeleteEventRequest{EventId: eventID})
	if err != nil {
		return 0, wrapErr(err)
	}
	return resp.GetBytesFreed(), nil
}

// Events streams what happens inside the service (night transitions and the
// progress of trigger events) for as long as the loop runs:
//
//	for ev, err := range client.Events(ctx) {
//		if err != nil { return err }
//		if p := ev.GetEventProgress(); p != nil { ... }
//	}
//
// Breaking out of the loop or cancelling ctx ends the call on the server.
// When ctx ends the sequence simply stops (check ctx.Err() if needed); any
// other error is yielded once and ends it. To act only once the watch is
// sure to see the outcome (trigger, then wait for its progress), use
// [Client.WatchEvents], which returns when the subscription is live.
func (c *Client) Events(ctx context.Context) iter.Seq2[*picamv1.WatchEventsResponse, error] {
	return func(yield func(*picamv1.WatchEventsResponse, error) bool) {
		watch, err := c.WatchEvents(ctx)
		if err != nil {
			if ctx.Err() == nil {
				yield(nil, err)
			}
			return
		}
		defer watch.Close()
		for ev, err := range watch.All() {
			if !yield(ev, err) {
				return
			}
		}
	}
}

// EventWatch is a live WatchEvents subscription, from [Client.WatchEvents].
type EventWatch struct {
	stream grpc.ServerStreamingClient[picamv1.WatchEventsResponse]
	ctx    context.Context
	cancel context.CancelFunc
	// early is the first message of a server older than the Subscribed
	// message: an event, kept for All.
	early *picamv1.WatchEventsResponse
}

// WatchEvents opens a WatchEvents stream and returns once the server says
// the subscription is live (its first message, Subscribed): everything that
// happens afterwards is delivered, so there is no need to wait before acting:
//
//	watch, err := client.WatchEvents(ctx)
//	if err != nil { return err }
//	defer watch.Close()
//	resp, err := client.Trigger(ctx, picam.TriggerOptions{})
//	for ev, err := range watch.All() { ... }
//
// Close (or cancelling ctx) ends the call on the server.
func (c *Client) WatchEvents(ctx context.Context) (*EventWatch, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.rpc.WatchEvents(ctx, &picamv1.WatchEventsRequest{})
	if err != nil {
		cancel()
		return nil, wrapErr(err)
	}
	first, err := stream.Recv()
	if err != nil {
		cancel()
		if errors.Is(err, io.EOF) {
			return nil, newError(codes.Unavailable, "", nil, "picam: WatchEvents ended before the subscription was live")
		}
		return nil, wrapErr(err)
	}
	watch := &EventWatch{stream: stream, ctx: ctx, cancel: cancel}
	if first.GetSubscribed() == nil {
		watch.early = first
	}
	return watch, nil
}

// All iterates over the events (never the Subscribed message) until the loop
// breaks, the watch is closed or ctx ends; then the sequence simply stops.
// Any other error is yielded once and ends it. Breaking out of the loop
// closes the watch. Iterate it once.
func (w *EventWatch) All() iter.Seq2[*picamv1.WatchEventsResponse, error] {
	return func(yield func(*picamv1.WatchEventsResponse, error) bool) {
		defer w.Close()
		if early := w.early; early != nil {
			w.early = nil
			if !yield(early, nil) {
				return
			}
		}
		for {
			msg, err := w.stream.Recv()
			if w.ctx.Err() != nil {
				return // closed or ctx ended: stop, even with messages still buffered
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					yield(nil, wrapErr(err))
				}
				return
			}
			if !yield(msg, nil) {
				return
			}
		}
	}
}

// Close ends the call on the server. Safe to call more than once.
func (w *EventWatch) Close() { w.cancel() }

// streamSeq runs a server-streaming call as an iterator: the call lives
// exactly as long as the range loop.
func streamSeq[T any](ctx context.Context, open func(context.Context) (grpc.ServerStreamingClient[T], error)) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // breaking out of the loop cancels the call
		stream, err := open(ctx)
		if err == nil {
			for {
				var msg *T
				msg, err = stream.Recv()
				if err != nil {
					break
				}
				if !yield(msg, nil) {
					return
				}
			}
		}
		if errors.Is(err, io.EOF) || ctx.Err() != nil {
			return
		}
		yield(nil, wrapErr(err))
	}
}
