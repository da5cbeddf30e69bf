package app

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadBuildInfo(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2025-06-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}
	tests := []struct {
		name                string
		ldVersion, ldCommit string
		bi                  *debug.BuildInfo
		want                buildInfo
	}{
		{"release stamps from -ldflags win over the build information", "v0.3.0", "abc123",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}, Settings: vcs},
			buildInfo{Version: "v0.3.0", Commit: "abc123"}},
		{"go install pkg@v0.3.0 reports the module version", "dev", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}},
			buildInfo{Version: "v0.3.0", Commit: "unknown"}},
		{"go install pkg@main reports the pseudo-version and its commit", "dev", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.3.1-0.20250601100000-0123456789ab"}},
			buildInfo{Version: "v0.3.1-0.20250601100000-0123456789ab", Commit: "0123456789ab", Time: "2025-06-01T10:00:00Z"}},
		{"a plain pseudo-version before any tag works too", "dev", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20250601100000-0123456789ab"}},
			buildInfo{Version: "v0.0.0-20250601100000-0123456789ab", Commit: "0123456789ab", Time: "2025-06-01T10:00:00Z"}},
		{"go build in a checkout reports dev and the VCS stamps", "dev", "",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			buildInfo{Version: "dev", Commit: "0123456789abcdef0123456789abcdef01234567", Time: "2025-06-01T10:00:00Z"}},
		{"a stamped commit keeps the build information's version", "", "abc123",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: vcs},
			buildInfo{Version: "v0.3.0", Commit: "abc123"}},
		{"nothing known is dev at an unknown commit", "dev", "",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			buildInfo{Version: "dev", Commit: "unknown"}},
		{"no build information at all", "dev", "", nil, buildInfo{Version: "dev", Commit: "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readBuildInfo(tt.ldVersion, tt.ldCommit, tt.bi); got != tt.want {
				t.Errorf("readBuildInfo = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVersionCommandPrintsTheStamps(t *testing.T) {
	oldV, oldC := version, commit
	version, commit = "v9.9.9", "feedface"
	defer func() { version, commit = oldV, oldC }()
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"rollgate", "version"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("rollgate version exited %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "rollgate v9.9.9\ncommit: feedface\ngo: go1.") {
		t.Errorf("rollgate version printed\n%s", stdout.String())
	}
}
