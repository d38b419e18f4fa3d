package picam

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	picamv1 "github.com/picam/picam/clients/go/gen/picam/v1"
)

// ConfigureOptions are the flags of a configuration update.
type ConfigureOptions struct {
	// ValidateOnly checks the update and changes nothing.
	ValidateOnly bool
	// Persist also rewrites the service's config file (atomically).
	Persist bool
}

// Configure applies a partial configuration update at run time.
//
// updates maps config.json paths to new values, e.g.
//
//	client.Configure(ctx, map[string]any{
//		"night.dark_threshold":  30,
//		"night.min_dark_frames": 5,
//		"export.formats":        []string{"jpg", "mp4"},
//	}, picam.ConfigureOptions{})
//
// Keys are dotted paths named like the config.json keys (which are the proto
// field names of [picamv1.Config]). A value may also be a nested
// map[string]any, which is flattened: {"night": map[string]any{"gain": 8}} is
// "night.gain". A nil value resets that field to its default. Values are
// converted as JSON would be (any Go number for a numeric field, a string
// slice for a repeated field); a path or value that does not fit the Config
// message is rejected locally with codes.InvalidArgument. The server
// validates the values themselves and answers codes.InvalidArgument with the
// field name, e.g. "night.min_dark_frames: expected integer >= 1, received 0".
//
// The response holds the whole effective configuration and the paths that
// changed. For full control, build the message yourself and use
// [Client.ConfigureConfig].
func (c *Client) Configure(ctx context.Context, updates map[string]any, opts ConfigureOptions) (*picamv1.ConfigureResponse, error) {
	cfg, paths, err := BuildConfig(updates)
	if err != nil {
		return nil, err
	}
	return c.ConfigureConfig(ctx, cfg, paths, opts)
}

// ConfigureConfig sends cfg with update_mask paths (e.g.
// "night.dark_threshold"). A path whose field is unset in cfg resets it to
// its default; empty paths mean every field set in cfg.
func (c *Client) ConfigureConfig(ctx context.Context, cfg *picamv1.Config, paths []string, opts ConfigureOptions) (*picamv1.ConfigureResponse, error) {
	req := &picamv1.ConfigureRequest{
		Config:       cfg,
		ValidateOnly: opts.ValidateOnly,
		Persist:      opts.Persist,
	}
	if len(paths) > 0 {
		req.UpdateMask = &fieldmaskpb.FieldMask{Paths: paths}
	}
	resp, err := c.rpc.Configure(ctx, req)
	return resp, wrapErr(err)
}

// BuildConfig turns the updates map of [Client.Configure] into a Config
// message and its update_mask paths (sorted).
func BuildConfig(updates map[string]any) (*picamv1.Config, []string, error) {
	flat := map[string]any{}
	if err := flatten("", updates, flat); err != nil {
		return nil, nil, err
	}
	if len(flat) == 0 {
		return nil, nil, errInvalid("picam: Configure needs at least one update")
	}
	desc := (&picamv1.Config{}).ProtoReflect().Descriptor()
	nested := map[string]any{}
	paths := make([]string, 0, len(flat))
	for path, value := range flat {
		if err := checkPath(desc, path); err != nil {
			return nil, nil, err
		}
		paths = append(paths, path)
		if value == nil {
			continue // listed in the mask but unset: reset to default
		}
		parts := strings.Split(path, ".")
		node := nested
		for _, part := range parts[:len(parts)-1] {
			child, ok := node[part].(map[string]any)
			if !ok {
				child = map[string]any{}
				node[part] = child
			}
			node = child
		}
		node[parts[len(parts)-1]] = value
	}
	sort.Strings(paths)
	raw, err := json.Marshal(nested)
	if err != nil {
		return nil, nil, errInvalid("picam: Configure value: %v", err)
	}
	cfg := &picamv1.Config{}
	if err := protojson.Unmarshal(raw, cfg); err != nil {
		return nil, nil, errInvalid("picam: Configure value does not fit picam.v1.Config: %v", err)
	}
	return cfg, paths, nil
}

func flatten(prefix string, in map[string]any, out map[string]any) error {
	for key, value := range in {
		if key == "" {
			return errInvalid("picam: Configure: empty key under %q", prefix)
		}
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		if sub, ok := value.(map[string]any); ok {
			if err := flatten(path, sub, out); err != nil {
				return err
			}
			continue
		}
		if _, dup := out[path]; dup {
			return errInvalidField(path, "picam: Configure: path %q given twice", path)
		}
		out[path] = value
	}
	return nil
}

// checkPath verifies that a dotted path names a field of Config (a leaf or a
// whole section) using the proto field names.
func checkPath(desc protoreflect.MessageDescriptor, path string) error {
	parts := strings.Split(path, ".")
	for i, part := range parts {
		if desc == nil {
			return errInvalidField(path, "picam: Configure: unknown path %q (%q is not a section)", path, strings.Join(parts[:i], "."))
		}
		field := desc.Fields().ByName(protoreflect.Name(part))
		if field == nil {
			return errInvalidField(path, "picam: Configure: unknown path %q (no field %q in %s)", path, part, desc.FullName())
		}
		desc = nil
		if field.Kind() == protoreflect.MessageKind && !field.IsList() && !field.IsMap() {
			desc = field.Message()
		}
	}
	return nil
}
