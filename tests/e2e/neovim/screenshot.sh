#!/usr/bin/env bash
# Drives real Neovim in tmux through the approval of a shadow edit and saves
# the screen: the real file beside its shadow version (:CadreDiff), the diff
# cadre sends with cadre/approval.request in a float, and the question.
#
#   tests/e2e/neovim/screenshot.sh [--cadre build/cadre] [--out docs/images]
#
# Writes OUT/neovim-approval.txt (tmux capture-pane) and, when ImageMagick's
# convert is installed, OUT/neovim-approval.png rendered from the colored
# capture. It then answers "Allow once" and checks the file changed on disk.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cadre="$repo/build/cadre"
out="$repo/docs/images"
while [ $# -gt 0 ]; do
  case "$1" in
    --cadre) cadre="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--cadre PATH] [--out DIR]" >&2; exit 2 ;;
  esac
done
command -v tmux >/dev/null || { echo "tmux is required" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/cadre-shot.XXXXXX")"
session="cadre-shot-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT
home="$work/home"
proj="$work/greeter"
mkdir -p "$home" "$proj/.cadre" "$proj/src"
cat >"$proj/src/greet.py" <<'EOF'
"""Greetings for the command line."""
import sys


def greet(name):
    return 'hello ' + name


def main(argv):
    for name in argv[1:]:
        print(greet(name))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
EOF

cat >"$work/init.lua" <<EOF
vim.opt.rtp:prepend('$repo/clients/neovim')
vim.cmd('filetype plugin on')
vim.cmd('syntax on')
vim.o.laststatus = 2
vim.o.statusline = "%f %m%=%{v:lua.require'cadre'.statusline()}  %l:%c "
require('cadre').setup({ cmd = { '$cadre', 'serve', '--stdio' } })
-- An agent's edit into task "greet", through the plugin's client.
function _G.cadre_demo_edit()
  local client = require('cadre.client')
  local edits = table.concat({
    'src/greet.py',
    '<<<<<<< SEARCH',
    'def greet(name):',
    "    return 'hello ' + name",
    '=======',
    'def greet(name, punctuation="!"):',
    '    """Say hello to name."""',
    "    return f'hello {name}{punctuation}'",
    '>>>>>>> REPLACE',
    '',
  }, '\n')
  client.request(client.current(), 'cadre/tools.call',
    { name = 'edit_file', task = 'greet', arguments = { edits = edits } },
    function(err) if not err then vim.cmd('CadreDiff greet') end end)
end
EOF

screen() { tmux capture-pane -p -t "$session" "$@"; }
wait_for() {
  for _ in $(seq 1 100); do
    if screen | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for: $1" >&2
  screen >&2
  return 1
}

tmux new-session -d -s "$session" -x 112 -y 36 -c "$proj" \
  "env HOME=$home XDG_CONFIG_HOME=$home/.config XDG_STATE_HOME=$home/.local/state TERM=xterm-256color nvim -u $work/init.lua -i NONE -n src/greet.py"
wait_for "greet.py"
wait_for "cadre"
tmux send-keys -t "$session" ":lua cadre_demo_edit()" Enter
wait_for "cadre://shadow/greet/src/greet.py"
tmux send-keys -t "$session" ":CadreApply greet" Enter
wait_for "Allow once"
sleep 0.3

mkdir -p "$out"
screen >"$out/neovim-approval.txt"
screen -e >"$work/screen.ansi"
echo "wrote $out/neovim-approval.txt"
if command -v convert >/dev/null && convert -version 2>/dev/null | grep -q ImageMagick; then
  python3 "$here/ansi_to_png.py" "$work/screen.ansi" "$out/neovim-approval.png" && echo "wrote $out/neovim-approval.png"
fi

tmux send-keys -t "$session" "1" Enter
for _ in $(seq 1 50); do
  grep -q 'punctuation' "$proj/src/greet.py" && break
  sleep 0.1
done
grep -q 'punctuation' "$proj/src/greet.py" || { echo "the approved edit did not land" >&2; exit 1; }
echo "approved: the edit landed in src/greet.py"
