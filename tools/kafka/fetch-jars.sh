#!/usr/bin/env bash
# Fetch the Apache Kafka broker jars (version pinned in pom.xml next to this
# script) from Maven Central into a cache folder, once.
#
#   KAFKA_JARS_DIR  target folder (default: $HOME/.cache/aksita-kafka/<version>/libs)
#
# stdout: exactly one line, the absolute path of the jars folder (callers such
# as broker.ts read it); all progress and Maven output goes to stderr.
# Needs only java + mvn. Safe to run repeatedly and concurrently.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"

# The version lives in pom.xml only; read it from there so nothing can drift.
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom" | head -n1)"
if [[ -z "$version" ]]; then
  echo "fetch-jars: cannot read <kafka.version> from $pom" >&2
  exit 1
fi

libs="${KAFKA_JARS_DIR:-${HOME}/.cache/aksita-kafka/${version}/libs}"
marker="$libs/.complete"

# Complete = the marker written after a successful copy exists, names this
# version, and every jar it lists is still present.
is_complete() {
  [[ -f "$marker" ]] || return 1
  [[ "$(head -n1 "$marker")" == "kafka $version" ]] || return 1
  local jar
  while IFS= read -r jar; do
    [[ -f "$libs/$jar" ]] || return 1
  done < <(tail -n +2 "$marker")
  return 0
}

if is_complete; then
  echo "$libs"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch-jars: mvn not found on PATH" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch-jars: java not found on PATH" >&2; exit 1; }

parent="$(dirname "$libs")"
mkdir -p "$parent"
# Download into a private temp folder and rename at the end: an interrupted run
# never leaves a half-filled libs folder that looks usable, and two concurrent
# runs cannot mix their files.
tmp="$(mktemp -d "$parent/.libs-tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-jars: downloading Kafka $version jars from Maven Central..." >&2
# -B: no colour/progress noise in CI logs. includeScope=runtime: what kafka.Kafka
# needs at run time, without test/provided jars.
mvn -B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
  -DincludeScope=runtime \
  -DoutputDirectory="$tmp" >&2

count="$(find "$tmp" -maxdepth 1 -name '*.jar' | wc -l)"
if [[ ! -f "$tmp/kafka_2.13-$version.jar" ]]; then
  echo "fetch-jars: kafka_2.13-$version.jar missing after download ($count jars)" >&2
  exit 1
fi
{
  echo "kafka $version"
  (cd "$tmp" && ls -1 -- *.jar)
} > "$tmp/.complete"

# Replace a stale/incomplete folder; if a concurrent run won the race and its
# result is complete, keep that one.
if ! is_complete; then
  rm -rf "$libs"
  mv -T "$tmp" "$libs" 2>/dev/null || true
fi
if ! is_complete; then
  echo "fetch-jars: could not install jars into $libs" >&2
  exit 1
fi
echo "fetch-jars: $count jars, $(du -sh "$libs" | cut -f1) in $libs" >&2
echo "$libs"
