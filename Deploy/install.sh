#!/bin/sh
# install.sh: installs kdserver and kd with what they need at run time under a prefix.
#
# Usage: Deploy/install.sh [--prefix DIR] [--destdir DIR] [--bin-dir DIR]
#   --prefix DIR   where the files will live (default /usr/local); the unit's paths are written with it
#   --destdir DIR  stage everything under DIR instead of / (packaging): files go to DIR/PREFIX/...
#   --bin-dir DIR  where the built kdserver and kd are (default: this clone's .build/release), or an installed
#                  prefix's bin (its ../share/swift-kd/Scenarios is taken)
#
# Build first: swift build -c release --product kdserver && swift build -c release --product kd
#
# Installs, under PREFIX:
#   bin/kdserver, bin/kd                               0755
#   share/swift-kd/Scenarios/                          the scenario bundle, which both find as
#                                                      ../share/swift-kd/Scenarios from their own path
#   share/swift-kd/make-certs.sh                       CA, server and client certificates (docs/DEPLOY.md)
#   share/bash-completion/completions/kdserver, kd     shell completions
#   share/zsh/site-functions/_kdserver, _kd
#   share/fish/vendor_completions.d/kdserver.fish, kd.fish
#   share/man/man1/kdserver.1, kd.1                    each binary's --help as a man page
#   lib/systemd/system/kdserver.service                Deploy/kdserver.service, /usr/local rewritten to PREFIX
#   lib/systemd/system/kdserver@.service               Deploy/kdserver@.service (one target per instance), likewise
#   share/doc/swift-kd/kdserver.conf.example           the unit's environment file, to copy to /etc/kdserver
#   share/doc/swift-kd/kdserver-instance.conf.example  an instance's, to copy to /etc/kdserver/NAME.conf
#   share/doc/swift-kd/DEPLOY.md
# and prints each file it wrote. It creates no user and touches nothing in /etc (the unit's header says the rest).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
destdir=
bindir=$repo/.build/release

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --destdir) [ $# -ge 2 ] || usage; destdir=$2; shift 2 ;;
    --bin-dir) [ $# -ge 2 ] || usage; bindir=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --destdir=*) destdir=${1#--destdir=}; shift ;;
    --bin-dir=*) bindir=${1#--bin-dir=}; shift ;;
    -h | --help) usage ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

fail() { echo "install.sh: $*" >&2; exit 1; }
case "$prefix" in
  /*) ;;
  *) fail "--prefix must be an absolute path, not '$prefix'" ;;
esac
case "$prefix$destdir" in
  *'|'* | *'
'*) fail "--prefix and --destdir may not hold '|' or a newline" ;;
esac
prefix=$(printf '%s' "$prefix" | sed 's|/*$||')   # /usr/local/ -> /usr/local; / -> ""
root=$destdir$prefix

for tool in kdserver kd; do
  [ -x "$bindir/$tool" ] || fail "no built $bindir/$tool (build first: swift build -c release --product $tool)"
done
# The scenarios beside a build's binaries, or, when --bin-dir is an installed prefix's bin, where the binaries
# themselves find them there.
scenarios=$bindir/swift-kd_KDKernel.resources/Scenarios
[ -d "$scenarios" ] || [ ! -d "$bindir/../share/swift-kd/Scenarios" ] || scenarios=$bindir/../share/swift-kd/Scenarios
[ -d "$scenarios" ] || fail "no $scenarios beside the binaries (it is built with them)"

wrote() { echo "  $1"; }
put() { # MODE SOURCE DEST
  install -D -m "$1" "$2" "$3"
  wrote "$3"
}
# Writes the output of COMMAND... to DEST with MODE (nothing is installed if the command fails).
put_output() { # MODE DEST COMMAND...
  mode=$1
  dest=$2
  shift 2
  mkdir -p "$(dirname "$dest")"
  "$@" >"$dest.tmp"
  chmod "$mode" "$dest.tmp"
  mv -f "$dest.tmp" "$dest"
  wrote "$dest"
}

echo "installing swift-kd from $bindir into $prefix${destdir:+ (staged under $destdir)}:"
for tool in kdserver kd; do put 0755 "$bindir/$tool" "$root/bin/$tool"; done

# The scenario bundle, replaced as a whole so no scenario of an older install lingers.
rm -rf "$root/share/swift-kd/Scenarios"
mkdir -p "$root/share/swift-kd"
cp -R "$scenarios" "$root/share/swift-kd/Scenarios"
chmod -R u=rwX,go=rX "$root/share/swift-kd/Scenarios"
wrote "$root/share/swift-kd/Scenarios/ ($(find "$root/share/swift-kd/Scenarios" -name scenario.json | wc -l | tr -d ' ') scenarios)"
put 0755 "$repo/Deploy/make-certs.sh" "$root/share/swift-kd/make-certs.sh"

for tool in kdserver kd; do
  put_output 0644 "$root/share/bash-completion/completions/$tool" "$bindir/$tool" --generate-completion-script bash
  put_output 0644 "$root/share/zsh/site-functions/_$tool" "$bindir/$tool" --generate-completion-script zsh
  put_output 0644 "$root/share/fish/vendor_completions.d/$tool.fish" "$bindir/$tool" --generate-completion-script fish
done

# A man page from `--help`: NAME from its OVERVIEW line, the help text verbatim (roff-escaped), then one
# section per subcommand (`TOOL help SUB`).
roff_verbatim() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
man_page() { # TOOL
  tool=$1
  help=$(COLUMNS=72 "$bindir/$tool" --help)
  abstract=$(printf '%s\n' "$help" | sed -n 's/^OVERVIEW: //p' | head -n 1)
  subcommands=$(printf '%s\n' "$help" | awk '/^SUBCOMMANDS:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }')
  date=$(date -u ${SOURCE_DATE_EPOCH:+-d @$SOURCE_DATE_EPOCH} +%Y-%m-%d)
  upper=$(printf '%s' "$tool" | tr '[:lower:]' '[:upper:]')
  printf '.TH %s 1 "%s" "swift-kd" "User Commands"\n' "$upper" "$date"
  printf '.SH NAME\n%s \\- %s\n' "$tool" "$(printf '%s' "$abstract" | roff_verbatim)"
  printf '.SH DESCRIPTION\n.nf\n'
  printf '%s\n' "$help" | roff_verbatim
  printf '.fi\n'
  for sub in $subcommands; do
    printf '.SH "%s %s"\n.nf\n' "$upper" "$(printf '%s' "$sub" | tr '[:lower:]' '[:upper:]')"
    subhelp=$(COLUMNS=72 "$bindir/$tool" help "$sub")
    printf '%s\n' "$subhelp" | roff_verbatim
    printf '.fi\n'
  done
  printf '.SH FILES\n.nf\n%s/share/swift-kd/Scenarios   the bundled scenarios (--scenarios DIR names another)\n.fi\n' "$prefix"
  printf '.SH SEE ALSO\n.BR kdserver (1),\n.BR kd (1),\n%s/share/doc/swift-kd/DEPLOY.md\n' "$prefix"
}
for tool in kdserver kd; do put_output 0644 "$root/share/man/man1/$tool.1" man_page "$tool"; done

# The units and the docs they point to, with /usr/local (the default prefix) rewritten to PREFIX.
for unit in kdserver.service kdserver@.service; do
  put_output 0644 "$root/lib/systemd/system/$unit" sed "s|/usr/local/|$prefix/|g" "$repo/Deploy/$unit"
done
put 0644 "$repo/Deploy/kdserver.conf.example" "$root/share/doc/swift-kd/kdserver.conf.example"
put 0644 "$repo/Deploy/kdserver-instance.conf.example" "$root/share/doc/swift-kd/kdserver-instance.conf.example"
put 0644 "$repo/docs/DEPLOY.md" "$root/share/doc/swift-kd/DEPLOY.md"

case "$prefix" in
  /usr | /usr/local) ;;
  *) echo "note: systemd does not look in $prefix/lib/systemd/system; link the units with" \
    "systemctl link $prefix/lib/systemd/system/kdserver.service $prefix/lib/systemd/system/kdserver@.service" ;;
esac
echo "done: $prefix/bin/kdserver --help; the unit's header ($prefix/lib/systemd/system/kdserver.service) lists the next steps"
