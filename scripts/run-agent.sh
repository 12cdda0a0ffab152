#!/usr/bin/env bash
# Starts a Nomad dev agent with this plugin, when a `nomad` binary is on PATH,
# and prints how to submit the example jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
plugins=${PLUGIN_DIR:-/tmp/nomad-pledge-plugins}
mkdir -p "$plugins"
cp bin/nomad-pledge-driver "$plugins/"
if ! command -v nomad >/dev/null; then
	echo "nomad is not on PATH: the plugin is in $plugins; install Nomad, then run:"
	echo "  nomad agent -dev -plugin-dir=$plugins -config=examples/agent/dev.hcl"
	exit 0
fi
cat <<TXT
Starting: nomad agent -dev -plugin-dir=$plugins -config=examples/agent/dev.hcl
In another shell, submit an example:
  nomad job run examples/env.hcl
  nomad alloc logs -job env
  nomad job run examples/http.hcl      # then curl the port shown by 'nomad alloc status'
Violations show up as task events ('nomad alloc status <alloc>').
TXT
exec nomad agent -dev -plugin-dir="$plugins" -config=examples/agent/dev.hcl
