// Package picam is a thin, idiomatic Go client for the picam camera service
// (proto package picam.v1, service CameraService).
//
// It wraps the generated gRPC stubs in github.com/picam/picam/clients/go/gen/picam/v1
// (imported as picamv1) with:
//
//   - [Dial]: an insecure (plain-text) connection with a 64 MiB receive limit,
//     large enough for raw full-resolution frames, and client keepalive.
//   - Option structs for the requests with optional fields ([TriggerOptions],
//     [FramesOptions], [ConfigureOptions]).
//   - Go 1.23 range-over-func iterators for the server streams
//     ([Client.Frames], [Client.Events]).
//   - [Frame.Image] to turn a streamed frame into an [image.Image].
//
// Responses are the generated protobuf messages. Errors from the server are
// ordinary gRPC status errors: use status.Code(err) (codes.InvalidArgument,
// codes.NotFound, codes.ResourceExhausted, ...) and status.Convert(err).Message().
// Errors the helper detects itself before calling (for example a
// [Client.Configure] value of the wrong type) are status errors with
// codes.InvalidArgument too, so one check covers both.
//
// The raw generated client is available as [Client.RPC] for anything the
// helper does not cover.
package picam
