#!/usr/bin/env bash
# Entry script of the kubegrant GitHub Action (action.yml): runs `kubegrant scan`
# with the action's inputs, which it reads from the environment, and records the
# report's path and kubegrant's exit code as step outputs. It exits 0 when the
# scan ran, whatever it found, so that the SARIF upload step still runs; the
# action's last step applies the fail-on gate from the recorded exit code.
# A usage or runtime error (exit 1 or 2) fails this step at once.
#
# Environment (all optional but KUBEGRANT):
#   KUBEGRANT        the kubegrant binary
#   INPUT_PATH       paths to scan, separated by spaces or newlines (default: .)
#   INPUT_FORMAT     sarif (default), json, text, markdown or html
#   INPUT_FAIL_ON    critical|high|medium|low|info|none (default: high)
#   INPUT_BASELINE   a previous json or sarif report
#   INPUT_CONFIG     a .kubegrant.yaml config file
#   INPUT_OUTPUT     the report file (default: kubegrant.<format>)
#   INPUT_ARGS       more flags for kubegrant scan, separated by spaces
#   GITHUB_OUTPUT    where step outputs go (set by GitHub Actions)
#   GITHUB_STEP_SUMMARY  a markdown report is also appended here (the job's summary page)
set -euo pipefail

: "${KUBEGRANT:?KUBEGRANT must name the kubegrant binary}"
format="${INPUT_FORMAT:-sarif}"
fail_on="${INPUT_FAIL_ON:-high}"
case "$format" in
  sarif) ext=sarif ;;
  json) ext=json ;;
  markdown) ext=md ;;
  html) ext=html ;;
  text) ext=txt ;;
  *) echo "kubegrant action: format '$format' is not one of sarif, json, text, markdown, html" >&2; exit 2 ;;
esac
output="${INPUT_OUTPUT:-kubegrant.$ext}"

args=(scan)
read -r -a paths <<<"$(echo "${INPUT_PATH:-.}" | tr '\n' ' ')"
args+=("${paths[@]}")
args+=(--format "$format" --fail-on "$fail_on" --output "$output")
if [[ -n "${INPUT_BASELINE:-}" ]]; then args+=(--baseline "$INPUT_BASELINE"); fi
if [[ -n "${INPUT_CONFIG:-}" ]]; then args+=(--config "$INPUT_CONFIG"); fi
if [[ -n "${INPUT_ARGS:-}" ]]; then
  read -r -a extra <<<"$INPUT_ARGS"
  args+=("${extra[@]}")
fi

echo "kubegrant action: kubegrant ${args[*]}"
code=0
"$KUBEGRANT" "${args[@]}" || code=$?

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  {
    echo "report=$output"
    echo "exit-code=$code"
  } >>"$GITHUB_OUTPUT"
fi
if [[ "$format" == markdown && -n "${GITHUB_STEP_SUMMARY:-}" && -f "$output" && ( "$code" == 0 || "$code" == 3 ) ]]; then
  cat "$output" >>"$GITHUB_STEP_SUMMARY"
fi
case "$code" in
  0) echo "kubegrant action: no finding at or above '$fail_on'; report in $output" ;;
  3) echo "kubegrant action: findings at or above '$fail_on'; report in $output (the gate step fails the job)" ;;
  *) echo "kubegrant action: kubegrant failed (exit $code)" >&2; exit "$code" ;;
esac
