#!/bin/bash
# 92-deb.t: the Debian package (debian/), built as a packager builds it.
# - From a copy of the tree that git knows (tracked files, plus new ones
#   not ignored: never the build products of this tree), with
#   `dpkg-buildpackage -us -uc -b`, whose build runs the C unit tests
#   (make check-unit) and not this suite.
# - lintian on the result: no error and no warning (what it says is
#   printed either way; overrides carry their reason in debian/).
# - The packages hold what they must (dpkg-deb -c, -I, -e): ftserver its
#   program, man page, completion, the systemd unit pointed at
#   /usr/bin/ftserver and /var/lib/ft/files, the sysusers file and the
#   empty catalogue folder; installed, the unit is neither enabled nor
#   started; ftclient its program, man page and completion, and no unit.
# - The programs, extracted (dpkg-deb -x, never installed), run, say the
#   package's version, and carry the hardening (hardening-check).
# Skipped without dpkg-buildpackage, debhelper or lintian, or with the
# build dependencies missing (.ci/run installs them all), and in the
# sanitizer pass (FT_SUFFIX set: it builds its own binaries, once is
# enough). About a minute.
. "$(dirname "$0")/lib.sh"

if [ -n "$FT_SUFFIX" ]; then
	echo "1..0 # SKIP the package is built in the plain pass only (FT_SUFFIX=$FT_SUFFIX)"
	exit 0
fi
for tool in dpkg-buildpackage dh lintian git; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed (apt-get install devscripts debhelper lintian)"
		exit 0
	fi
done
if ! unmet=$(dpkg-checkbuilddeps 2>&1); then
	echo "1..0 # SKIP build dependencies missing: ${unmet##*: }"
	exit 0
fi
if ! git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "1..0 # SKIP not a git work tree (the copy to build is what git knows)"
	exit 0
fi

# ---------------------------------------------------------------- build

SRC=$T/ft
mkdir -p "$SRC"
git ls-files -z -co --exclude-standard |
    while IFS= read -r -d '' f; do
	    [ -e "$f" ] || [ -L "$f" ] || continue  # deleted, not yet committed
	    cp -P --parents -- "$f" "$SRC/"
    done
ok "the copy has no build products" \
    test -z "$(find "$SRC" -name '*.o' -o -path "$SRC/server/ftserver" -o -name 'unit-*.t')"

version=$(cd "$SRC" && dpkg-parsechangelog -S Version)
start=$SECONDS
(cd "$SRC" && DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=$(nproc)} \
    timeout -k 10 600 dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
diag "dpkg-buildpackage -us -uc -b: $((SECONDS - start)) s"
if ! is "$rc" 0 "dpkg-buildpackage -us -uc -b builds the packages"; then
	tail -n 30 "$T/build.log" | sed 's/^/    /' >&2
	done_testing
fi
SDEB=$T/ftserver_${version}_amd64.deb
CDEB=$T/ftclient_${version}_amd64.deb
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
SDEB=${SDEB/_amd64/_$arch}
CDEB=${CDEB/_amd64/_$arch}
CHANGES=$T/ft_${version}_$arch.changes
ok "...ftserver_${version}_$arch.deb and ftclient_${version}_$arch.deb" \
    test -f "$SDEB" -a -f "$CDEB" -a -f "$CHANGES"
file_like "$T/build.log" 'make .*check-unit' "...its build runs make check-unit"
file_like "$T/build.log" '^Result: PASS' "...and the unit tests pass"
ok "...and not the network suite" eval '! grep -q "t/10-transfer.t" "$T/build.log"'
ok "...without -Werror (CI= in debian/rules)" eval '! grep -q -- "-Werror " "$T/build.log"'
file_like "$T/build.log" ' -fstack-protector-strong .*-Werror=format-security' \
    "...with dpkg-buildflags' CFLAGS"

# ---------------------------------------------------------------- lintian

start=$SECONDS
timeout -k 10 300 lintian "$CHANGES" >"$T/lintian.out" 2>&1
diag "lintian: $((SECONDS - start)) s, exit $?; it says:"
grep -v 'root privileges' "$T/lintian.out" | sed 's/^/    /' >&2
ok "lintian: no error" eval '! grep -q "^E: " "$T/lintian.out"'
ok "lintian: no warning" eval '! grep -q "^W: " "$T/lintian.out"'

# ---------------------------------------------------------------- contents

dpkg-deb -c "$SDEB" | awk '{ print $6 }' | sed 's,^\./,/,' >"$T/server.list"
dpkg-deb -c "$CDEB" | awk '{ print $6 }' | sed 's,^\./,/,' >"$T/client.list"
for path in /usr/bin/ftserver /usr/share/man/man1/ftserver.1.gz \
    /usr/share/bash-completion/completions/ftserver \
    /usr/lib/sysusers.d/ftserver.conf /var/lib/ft/files/; do
	file_like "$T/server.list" "^$path\$" "ftserver.deb holds $path"
done
file_like "$T/server.list" '^(/usr)?/lib/systemd/system/ftserver\.service$' \
    "ftserver.deb holds the unit ftserver.service"
for path in /usr/bin/ftclient /usr/share/man/man1/ftclient.1.gz \
    /usr/share/bash-completion/completions/ftclient; do
	file_like "$T/client.list" "^$path\$" "ftclient.deb holds $path"
done
ok "ftclient.deb: no unit, no user, no ftserver" \
    eval '! grep -Eq "systemd|sysusers|ftserver" "$T/client.list"'

dpkg-deb -I "$SDEB" >"$T/server.info"
file_like "$T/server.info" '^ Depends:.*libssl3.*' "ftserver depends on libssl3 (shlibs)"
file_like "$T/server.info" '^ Depends:.*systemd-sysusers' \
    "...and on something that runs systemd-sysusers"
file_like "$T/server.info" "^ Version: $version\$" "...version $version"

dpkg-deb -e "$SDEB" "$T/control"
file_like "$T/control/postinst" 'systemd-sysusers .*ftserver\.conf' \
    "postinst makes the user (systemd-sysusers ftserver.conf)"
file_like "$T/control/postinst" 'deb-systemd-helper debian-installed' \
    "postinst enables the unit only if it was enabled before (--no-enable)"
ok "...and never starts it (--no-start): an upgrade try-restarts it" \
    eval '! grep -Eq "deb-systemd-invoke (start|restart)" "$T/control/postinst" &&
        grep -q "deb-systemd-invoke try-restart" "$T/control/postinst"'
file_like "$T/control/prerm" 'deb-systemd-invoke stop ftserver\.service' \
    "prerm stops it on removal"

# ---------------------------------------------------------------- extracted

R=$T/root
dpkg-deb -x "$SDEB" "$R"
dpkg-deb -x "$CDEB" "$R"
file_like "$R/usr/lib/sysusers.d/ftserver.conf" '^u ft - ' "sysusers: a system user ft"
unit=$(ls "$R"/lib/systemd/system/ftserver.service "$R"/usr/lib/systemd/system/ftserver.service 2>/dev/null | head -1)
file_like "$unit" '^ExecStart=/usr/bin/ftserver -d /var/lib/ft/files -L /var/log/ft$' \
    "the unit runs /usr/bin/ftserver on /var/lib/ft/files, logs in /var/log/ft"
file_like "$unit" '^User=ft$' "...as the user ft"
ok "...and no setting names /usr/local or /srv" eval '! grep -v "^#" "$unit" | grep -Eq "/usr/local|/srv"'
ok "the completions are contrib/completion's" eval \
    'cmp -s "$R/usr/share/bash-completion/completions/ftserver" contrib/completion/ftserver &&
     cmp -s "$R/usr/share/bash-completion/completions/ftclient" contrib/completion/ftclient'
is "$("$R/usr/bin/ftserver" --version 2>&1)" "ftserver $version" \
    "the packaged ftserver runs and says the package's version"
is "$("$R/usr/bin/ftclient" --version 2>&1)" "ftclient $version" \
    "the packaged ftclient runs and says the package's version"

if command -v hardening-check >/dev/null 2>&1; then
	for prog in ftserver ftclient; do
		hardening-check "$R/usr/bin/$prog" >"$T/hardening-$prog.out" 2>&1
		missing=$(grep -E 'Position Independent|Stack protected|Fortify Source|Read-only relocations|Immediate binding' \
		    "$T/hardening-$prog.out" | grep -v ': yes' | sed 's/^ *//')
		is "$missing" "" "$prog: PIE, stack protector, fortify, RELRO, BIND_NOW (hardening-check)"
	done
else
	skip 2 "hardening-check is not installed (devscripts)"
fi

done_testing
