#!/bin/sh
# Makes the bundled demo call: a ~45 s two-party stereo WAV (16 kHz s16; left = customer,
# right = agent) spoken by Debian's flite. Male flite voices are the ones the embedded
# pocketsphinx engine recognises well (see docs/notes on speech); espeak-ng is not recognisable.
# The customer grows angry (pitch, tempo and gain raised by sox), asks for a supervisor twice,
# threatens to cancel and names a competitor twice; the agent discloses recording, greets and
# apologises. The competitor is "Comcast", a word of pocketsphinx's en-us dictionary.
#
# Usage: scripts/make-demo-call.sh [out.wav]   (default assets/demo/demo-call.wav)
# Needs: flite, sox (scripts/debian-packages.txt).
set -eu

out=${1:-"$(dirname "$0")/../assets/demo/demo-call.wav"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

AGENT=kal16
CUSTOMER=rms
n=0

# turn SPEAKER MOOD GAP_AFTER TEXT: one utterance as a stereo segment, silence on the other side.
turn() {
  who=$1 mood=$2 gap=$3 text=$4
  n=$((n + 1))
  seg=$(printf '%s/%03d' "$work" "$n")
  if [ "$who" = agent ]; then voice=$AGENT; remix="0 1"; else voice=$CUSTOMER; remix="1 0"; fi
  flite -voice "$voice" -t "$text" -o "$seg-raw.wav"
  case $mood in
    angry) fx="pitch 180 tempo 1.15 gain -n -1" ;;  # louder (normalised to -1 dBFS), higher, faster
    calm) fx="tempo 1.08 gain -n -6" ;;
    *) fx="tempo 1.08 gain -n -4" ;;
  esac
  # shellcheck disable=SC2086
  sox -D -R "$seg-raw.wav" -r 16000 -b 16 "$seg-mono.wav" $fx
  # shellcheck disable=SC2086
  sox -D -R "$seg-mono.wav" -c 2 "$seg.wav" remix $remix pad 0 "$gap"
}

# Kept under 46 s so the committed WAV stays under 3 MB.
turn agent calm 0.3 "Thank you for calling customer support. This call is recorded for quality and training purposes. How can I help you today?"
turn customer normal 0.4 "Hello. I am calling about my bill. I was charged twice this month."
turn agent calm 0.5 "I am sorry to hear that. Let me look at your account."
turn customer normal 0.4 "I have called three times already and nobody fixed it."
turn agent calm 0.3 "I understand. I can see the double charge."
turn customer angry 0.3 "This is ridiculous. I want to speak to your supervisor right now."
turn customer angry 0.4 "If you do not fix this today, I will cancel my account and move to Comcast."
turn agent calm 0.3 "I apologize for the trouble. I will refund the extra charge today."
turn customer angry 0.3 "Comcast offered me a better price anyway. Get me a supervisor."
turn agent calm 0.2 "I am very sorry. I am transferring you to my supervisor now."

mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2046
sox -D -R $(ls "$work"/[0-9][0-9][0-9].wav) -r 16000 -b 16 -c 2 "$out" pad 0.2 0.2
soxi -D "$out" | awk '{ printf "demo call: %.1f s\n", $1 }'
