package receiver

import (
	"io"

	"github.com/golive-ops/golive/internal/cli"
)

func envFor(stdout, stderr io.Writer, args ...string) cli.Env {
	return cli.Env{Args: args, Stdout: stdout, Stderr: stderr}
}
