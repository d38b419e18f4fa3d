package picam

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is what every [Client] method fails with: the gRPC status code, the
// server's message, and the offending field when the server names one (in
// the standard google.rpc.BadRequest details of the status), so a caller can
// point at the input without parsing the message:
//
//	var perr *picam.Error
//	if errors.As(err, &perr) && perr.Code == codes.InvalidArgument {
//		log.Printf("bad %s: %s", perr.Field, perr.Message)
//	}
//
// It is still a gRPC status error (status.Code(err), status.Convert(err) work
// through [Error.GRPCStatus]), and errors.Is(err, context.DeadlineExceeded)
// or context.Canceled holds when the call ended for that reason.
type Error struct {
	// Code is the gRPC status code.
	Code codes.Code
	// Message is the server's message, e.g.
	// "after_s: expected before_s + after_s <= 60 s (export.max_window_s), received 2 + 3600".
	Message string
	// Field is the first offending field (request or config path, e.g.
	// "after_s", "night.min_dark_frames"); "" when the error names none.
	Field string
	// FieldViolations are all the fields the server named.
	FieldViolations []FieldViolation

	status *status.Status
	cause  error
}

// FieldViolation is one offending field and why it is wrong.
type FieldViolation struct {
	Field       string
	Description string
}

// Error formats like a gRPC status error.
func (e *Error) Error() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", e.Code, e.Message)
}

// GRPCStatus makes status.FromError, status.Code and status.Convert see the
// original status, details included.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// Unwrap returns the underlying error: the gRPC status error for server
// failures, the context's cause for a [Dial] that gave up.
func (e *Error) Unwrap() error { return e.cause }

// Is reports a deadline or cancellation as the context error it stands for:
// grpc-go's own status errors do not match context.DeadlineExceeded.
func (e *Error) Is(target error) bool {
	switch target {
	case context.DeadlineExceeded:
		return e.Code == codes.DeadlineExceeded
	case context.Canceled:
		return e.Code == codes.Canceled
	}
	return false
}

// wrapErr turns a gRPC call's error into an *Error; nil stays nil.
func wrapErr(err error) error {
	if err == nil {
		return nil
	}
	var perr *Error
	if errors.As(err, &perr) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		st = status.New(codes.Unknown, err.Error())
	}
	e := &Error{Code: st.Code(), Message: st.Message(), status: st, cause: err}
	for _, detail := range st.Details() {
		if br, ok := detail.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	if len(e.FieldViolations) > 0 {
		e.Field = e.FieldViolations[0].Field
	}
	return e
}

// newError is an *Error the client itself raises (cause may be nil).
func newError(code codes.Code, field string, cause error, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	e := &Error{Code: code, Message: msg, Field: field, status: status.New(code, msg), cause: cause}
	if field != "" {
		e.FieldViolations = []FieldViolation{{Field: field, Description: msg}}
	}
	return e
}

// errInvalid is a client-side argument error, shaped like the server's.
func errInvalid(format string, args ...any) error {
	return newError(codes.InvalidArgument, "", nil, format, args...)
}

// errInvalidField is errInvalid naming the offending config path.
func errInvalidField(field, format string, args ...any) error {
	return newError(codes.InvalidArgument, field, nil, format, args...)
}
