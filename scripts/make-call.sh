#!/bin/sh
# Makes a two-party test call: a stereo WAV (16 kHz s16; left = customer, right = agent) spoken by
# Debian's flite, one turn per line of the script read from stdin:
#
#   <customer|agent> <mood> <gap seconds after> <text...>
#
# Moods change the voice the way an agitated caller does, with sox; they are relative to "calm",
# the speaker's own normal voice (arousal is measured against that baseline):
#   calm     normal pitch and tempo, peak normalised to -10 dBFS
#   annoyed  pitch +200 cents, tempo x1.08, peak -6 dBFS   (~ +3 dB)
#   angry    pitch +400 cents, tempo x1.15, peak -1 dBFS   (~ +7 dB)
#   shout    pitch +500 cents, tempo x1.2,  peak -0.5 dBFS, light overdrive
#   loud     like calm but peak -1 dBFS: a loud handset or gain, not emotion
#
# Usage: scripts/make-call.sh out.wav [customer-voice] [agent-voice] < turns.txt
# Voices: flite -lv (default rms for the customer, kal16 for the agent: the male voices survive
# the embedded pocketsphinx engine best). Needs: flite, sox (scripts/debian-packages.txt).
set -eu

out=$1
CUSTOMER=${2:-rms}
AGENT=${3:-kal16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
n=0

while read -r who mood gap text; do
  [ -z "$who" ] && continue
  case $who in \#*) continue ;; esac
  n=$((n + 1))
  seg=$(printf '%s/%03d' "$work" "$n")
  case $who in
    agent) voice=$AGENT; remix="0 1" ;;
    customer) voice=$CUSTOMER; remix="1 0" ;;
    *) echo "make-call: line $n: speaker must be customer or agent, not '$who'" >&2; exit 2 ;;
  esac
  case $mood in
    calm) fx="gain -n -10" ;;
    annoyed) fx="pitch 200 tempo 1.08 gain -n -6" ;;
    angry) fx="pitch 400 tempo 1.15 gain -n -1" ;;
    shout) fx="pitch 500 tempo 1.2 overdrive 5 gain -n -0.5" ;;
    loud) fx="gain -n -1" ;;
    *) echo "make-call: line $n: unknown mood '$mood'" >&2; exit 2 ;;
  esac
  flite -voice "$voice" -t "$text" -o "$seg-raw.wav"
  # shellcheck disable=SC2086
  sox -D -R "$seg-raw.wav" -r 16000 -b 16 "$seg-mono.wav" $fx
  # shellcheck disable=SC2086
  sox -D -R "$seg-mono.wav" -c 2 "$seg.wav" remix $remix pad 0 "$gap"
done

[ "$n" -gt 0 ] || { echo "make-call: no turns on stdin" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2046
sox -D -R $(ls "$work"/[0-9][0-9][0-9].wav) -r 16000 -b 16 -c 2 "$out" pad 0.3 0.5
