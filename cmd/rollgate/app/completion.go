package app

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// completionFlag is what urfave/cli's completion asks the binary with: the
// shell runs `rollgate WORDS... --generate-bash-completion` and offers what
// it prints.
const completionFlag = "--generate-bash-completion"

// Completion scripts for shells that ask the binary (bash, zsh); they follow
// urfave/cli v2's autocomplete/ scripts, bound to rollgate and without eval.
const bashCompletion = `# bash completion for rollgate. Load it with:  source <(rollgate completion bash)
_rollgate_complete() {
  local cur words cword opts
  if declare -F _init_completion >/dev/null 2>&1; then
    _init_completion -n "=:" || return
  else
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi
  if [[ "$cur" == -* ]]; then
    opts=$("${words[@]:0:$cword}" "$cur" ` + completionFlag + ` 2>/dev/null)
  else
    opts=$("${words[@]:0:$cword}" ` + completionFlag + ` 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _rollgate_complete rollgate
`

const zshCompletion = `#compdef rollgate
# zsh completion for rollgate. Load it with:  source <(rollgate completion zsh)
_rollgate() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == -* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} ` + completionFlag + ` 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ` + completionFlag + ` 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _rollgate rollgate
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		UsageText: "source <(rollgate completion bash)                                  # bash: add to ~/.bashrc\n" +
			"source <(rollgate completion zsh)                                   # zsh: add to ~/.zshrc, after compinit\n" +
			"rollgate completion fish > ~/.config/fish/completions/rollgate.fish  # fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("completion takes one shell: bash, zsh or fish")
			}
			var script string
			switch shell := c.Args().First(); shell {
			case "bash":
				script = bashCompletion
			case "zsh":
				script = zshCompletion
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return fmt.Errorf("fish completion: %w", err)
				}
				script = s
			default:
				return usagef("completion %q: use bash, zsh or fish", shell)
			}
			_, err := fmt.Fprint(c.App.Writer, script)
			return err
		},
	}
}
