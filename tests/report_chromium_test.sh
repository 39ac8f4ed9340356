#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium screenshots it, then loads a copy with a
# probe script that measures every chart and counts console errors. Fails unless the charts
# have a size, draw marks, and the page logs no errors.
#
# usage: report_chromium_test.sh REPORT.html SCREENSHOT.png [--min-svgs N]
#   --min-svgs N  charts the report must hold (default 4; 3 for a report without the
#                 mutation score)
set -euo pipefail

fail() {
  echo "report_chromium_test: FAIL: $*" >&2
  exit 1
}

[[ $# -eq 2 || $# -eq 4 ]] || fail "usage: $0 REPORT.html SCREENSHOT.png [--min-svgs N]"
report=$1
screenshot=$2
min_svgs=4
if [[ $# -eq 4 ]]; then
  [[ $3 == --min-svgs && $4 =~ ^[0-9]+$ ]] || fail "expected --min-svgs N, got: $3 $4"
  min_svgs=$4
fi
[[ -f $report ]] || fail "no report at $report"

chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chromium ]] || fail "chromium not found on PATH (Debian: apt-get install chromium)"

report_abs=$(realpath "$report")
mkdir -p "$(dirname "$screenshot")"
screenshot_abs=$(realpath "$screenshot")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A fresh profile and HOME: Chromium refuses a root user's default profile in CI, and a
# developer's own profile must not leak in. --no-sandbox: containers often lack user
# namespaces.
chromium_run() {
  HOME="$work/home" timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
    --no-first-run --disable-background-networking --user-data-dir="$work/profile" \
    --enable-logging=stderr --v=0 "$@"
}

# Console messages Chromium logs to stderr; dbus, GPU and similar noise is not the page's.
console_errors() {
  grep -aiE 'CONSOLE.*error|Uncaught' "$1" || true
}

# 1. The screenshot.
mkdir -p "$work/home"
rm -f "$screenshot_abs"
chromium_run --hide-scrollbars --window-size=1280,3000 --screenshot="$screenshot_abs" \
  "file://$report_abs" >"$work/screenshot.out" 2>"$work/screenshot.err" ||
  fail "chromium --screenshot exited with $?; its stderr: $(tail -5 "$work/screenshot.err")"
[[ -f $screenshot_abs ]] || fail "chromium wrote no screenshot to $screenshot_abs"
png_bytes=$(stat -c %s "$screenshot_abs")
# A blank 1280x3000 page compresses to a few kB; a page of tables and charts to far more.
((png_bytes > 50000)) || fail "the screenshot is only $png_bytes bytes: a blank page?"

# 2. The probe: a copy of the report with a script at the very start of <head>, so it sees
# every error the page raises while it loads.
cat >"$work/probe.js" <<'EOF'
<script>
(function () {
  var errors = 0;
  var originalError = console.error;
  console.error = function () { errors++; return originalError.apply(console, arguments); };
  // Capture phase: resource load failures (an <img> or stylesheet) do not bubble.
  window.addEventListener('error', function () { errors++; }, true);
  window.addEventListener('load', function () {
    var svgs = document.querySelectorAll('svg');
    var zero = 0;
    svgs.forEach(function (svg) {
      var box = svg.getBoundingClientRect();
      if (!(box.width > 0 && box.height > 0)) zero++;
    });
    var marks = document.querySelectorAll(
        'svg path, svg polyline, svg rect, svg circle, svg line').length;
    var out = document.createElement('pre');
    out.id = 'gcfuzz-probe';
    out.textContent = 'PROBE svgs=' + svgs.length + ' zero=' + zero + ' marks=' + marks +
        ' errors=' + errors;
    document.body.appendChild(out);
  });
})();
</script>
EOF
grep -q '<head>' "$report_abs" || fail "the report has no <head> to put the probe in"
awk -v probe="$work/probe.js" '
  !done && (i = index($0, "<head>")) {
    print substr($0, 1, i + 5)
    while ((getline line < probe) > 0) print line
    print substr($0, i + 6)
    done = 1
    next
  }
  { print }' "$report_abs" >"$work/probed.html"

chromium_run --virtual-time-budget=5000 --dump-dom "file://$work/probed.html" \
  >"$work/dom.html" 2>"$work/probe.err" ||
  fail "chromium --dump-dom exited with $?; its stderr: $(tail -5 "$work/probe.err")"
probe=$(grep -o 'PROBE svgs=[0-9]* zero=[0-9]* marks=[0-9]* errors=[0-9]*' "$work/dom.html" || true)
[[ -n $probe ]] || fail "the probe reported nothing (did the page load?); stderr: $(tail -5 "$work/probe.err")"
read -r svgs zero marks errors < <(sed -E 's/PROBE svgs=([0-9]+) zero=([0-9]+) marks=([0-9]+) errors=([0-9]+)/\1 \2 \3 \4/' <<<"$probe")

problems=()
((svgs >= min_svgs)) || problems+=("$svgs charts (<svg>), expected at least $min_svgs")
((zero == 0)) || problems+=("$zero charts rendered with zero width or height")
((marks > 0)) || problems+=("the charts draw no marks")
((errors == 0)) || problems+=("$errors console errors or error events while loading")
logged=$(console_errors "$work/screenshot.err"; console_errors "$work/probe.err")
[[ -z $logged ]] || problems+=("console errors logged by chromium:"$'\n'"$logged")
if ((${#problems[@]} > 0)); then
  printf 'report_chromium_test: %s\n' "$probe" >&2
  for p in "${problems[@]}"; do echo "report_chromium_test: FAIL: $p" >&2; done
  exit 1
fi

echo "report_chromium_test: ok: $svgs charts, $marks marks, none of zero size, no console" \
  "errors; screenshot $screenshot_abs ($png_bytes bytes)"
