package notify

import "strings"

// CIRun is the CI job that started the gate, as far as its variables say.
type CIRun struct {
	Name      string // "GitHub Actions run 42", "GitLab CI job"
	URL       string
	Actor     string
	Commit    string // short
	CommitURL string
}

// ciFrom reads the GitHub Actions or GitLab CI variables, when present.
func CIFrom(lookup func(string) (string, bool)) CIRun {
	get := func(k string) string {
		if lookup == nil {
			return ""
		}
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	if id := get("GITHUB_RUN_ID"); id != "" {
		server, repo := get("GITHUB_SERVER_URL"), get("GITHUB_REPOSITORY")
		if server == "" {
			server = "https://github.com"
		}
		r := CIRun{Name: "GitHub Actions run " + id, Actor: get("GITHUB_ACTOR")}
		server = strings.TrimSuffix(server, "/")
		if repo != "" {
			r.URL = server + "/" + repo + "/actions/runs/" + id
		}
		if sha := get("GITHUB_SHA"); sha != "" {
			r.Commit = short(sha)
			if repo != "" {
				r.CommitURL = server + "/" + repo + "/commit/" + sha
			}
		}
		return r
	}
	if get("GITLAB_CI") != "" || get("CI_JOB_URL") != "" || get("CI_PIPELINE_URL") != "" {
		r := CIRun{Name: "GitLab CI job", URL: get("CI_JOB_URL"), Actor: get("GITLAB_USER_LOGIN"), Commit: get("CI_COMMIT_SHORT_SHA")}
		if r.URL == "" {
			r.Name, r.URL = "GitLab CI pipeline", get("CI_PIPELINE_URL")
		}
		if sha, project := get("CI_COMMIT_SHA"), get("CI_PROJECT_URL"); sha != "" {
			if r.Commit == "" {
				r.Commit = short(sha)
			}
			if project != "" {
				r.CommitURL = strings.TrimSuffix(project, "/") + "/-/commit/" + sha
			}
		}
		return r
	}
	return CIRun{}
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
