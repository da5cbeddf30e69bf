package app

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// Set at build time: -ldflags "-X github.com/rollgate/rollgate/cmd/rollgate/app.version=v0.1.0 ...".
// Release builds (make build, goreleaser, the Dockerfile) set both; `go install
// github.com/rollgate/rollgate/cmd/rollgate@v0.1.0` sets neither, and then the
// module version and VCS stamps Go writes into every binary say what it is.
var (
	version = "dev"
	commit  = ""
)

// buildInfo is what `rollgate version` reports.
type buildInfo struct {
	Version string
	Commit  string
	Time    string // commit time (RFC 3339) when known, else ""
}

// pseudoRevision is the commit in a pseudo-version such as
// v0.0.0-20250101120000-abcdef123456 (go install ...@main or @<commit>).
var pseudoRevision = regexp.MustCompile(`[-.](\d{14})-([0-9a-f]{12})(\+incompatible)?$`)

// readBuildInfo combines the -ldflags stamps with the binary's own build
// information: a stamp wins, then the main module's version (set by go install
// pkg@version, "(devel)" in a checkout), then the vcs.* settings (set by go
// build in a git checkout unless -buildvcs=false; go install from the module
// proxy writes none), then the revision inside a pseudo-version.
func readBuildInfo(ldVersion, ldCommit string, bi *debug.BuildInfo) buildInfo {
	out := buildInfo{Version: ldVersion, Commit: ldCommit}
	if bi == nil {
		if out.Commit == "" {
			out.Commit = "unknown"
		}
		return out
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	mainVersion := bi.Main.Version
	if mainVersion == "(devel)" {
		mainVersion = ""
	}
	if out.Version == "" || out.Version == "dev" {
		out.Version = "dev"
		if mainVersion != "" {
			out.Version = mainVersion
		}
	}
	if out.Commit == "" {
		out.Commit = settings["vcs.revision"]
		out.Time = settings["vcs.time"]
	}
	if m := pseudoRevision.FindStringSubmatch(mainVersion); out.Commit == "" && m != nil {
		out.Commit = m[2]
		t := m[1]
		out.Time = t[0:4] + "-" + t[4:6] + "-" + t[6:8] + "T" + t[8:10] + ":" + t[10:12] + ":" + t[12:14] + "Z"
	}
	if out.Commit == "" {
		out.Commit = "unknown"
	}
	return out
}

func currentBuild() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return readBuildInfo(version, commit, bi)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, commit and Go version",
		UsageText: "rollgate version\n" +
			"docker run --rm rollgate:v0.1.0 version   # the image's build",
		Action: func(c *cli.Context) error {
			b := currentBuild()
			fmt.Fprintf(c.App.Writer, "rollgate %s\ncommit: %s\n", b.Version, b.Commit)
			if b.Time != "" {
				fmt.Fprintf(c.App.Writer, "committed: %s\n", b.Time)
			}
			fmt.Fprintf(c.App.Writer, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
