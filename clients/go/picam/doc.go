// Package picam is a thin, idiomatic Go client for the picam camera service
// (proto package picam.v1, service CameraService).
//
// It wraps the generated gRPC stubs in github.com/picam/picam/clients/go/gen/picam/v1
// (imported as picamv1) with:
//
//   - [Dial]: a connection (plain text unless a TLS option is passed) with a
//     64 MiB receive limit, large enough for raw full-resolution frames, and
//     client keepalive.
//   - Option structs for the requests with optional fields ([TriggerOptions],
//     [FramesOptions], [ConfigureOptions]).
//   - Go 1.23 range-over-func iterators for the server streams
//     ([Client.Frames], [Client.Events]); [Client.WatchEvents] returns once
//     the subscription is live, so what is triggered after it is seen.
//   - [Frame.Image] to turn a streamed frame into an [image.Image].
//
// Responses are the generated protobuf messages. Every method fails with an
// [*Error]: its Code (codes.InvalidArgument, codes.NotFound, ...), Message,
// and the offending Field when the server names one in its
// google.rpc.BadRequest details. It is also a gRPC status error
// (status.Code(err) works), and errors.Is(err, context.DeadlineExceeded) /
// context.Canceled hold when a call ended for that reason. Errors the helper
// detects itself before calling (for example a [Client.Configure] value of
// the wrong type) are *Error with codes.InvalidArgument too, so one check
// covers both.
//
// The raw generated client is available as [Client.RPC] for anything the
// helper does not cover.
package picam
