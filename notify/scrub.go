package notify

import "github.com/rollgate/rollgate/internal/redact"

// Redacted stands in for a secret in error text.
const Redacted = redact.Redacted

// Scrub returns err with every secret, in every spelling an HTTP error can
// give it (raw, quoted, URL-encoded, a webhook URL's path alone), replaced
// by [redacted]. The result carries text only: nothing it wraps can bring
// the secret back through errors.Unwrap or %+v. Empty secrets are ignored.
func Scrub(err error, secrets ...string) error { return redact.Error(err, secrets...) }

// ScrubString is Scrub for text.
func ScrubString(s string, secrets ...string) string { return redact.String(s, secrets...) }
