#!/bin/sh
# Regenerates the audio fixtures with SoX 14.4.2 (Debian 12). -D disables SoX's automatic
# dither so that every conversion is deterministic and the bytes compare exactly.
set -eu
cd "$(dirname "$0")"
S16="-r 8000 -c 1 -b 16 -e signed-integer"

# G.711: a 0.5 s 200..3400 Hz sweep, and its encodings by SoX.
sox -D -n $S16 -t raw sweep_s16.raw synth 0.5 sine 200-3400 vol 0.9
sox -D $S16 -t raw sweep_s16.raw -e u-law -b 8 -t raw sweep_ulaw.raw
sox -D $S16 -t raw sweep_s16.raw -e a-law -b 8 -t raw sweep_alaw.raw
# Every 7th value of the whole s16 range (all residues mod 8, both ends included).
python3 -c 'import struct,sys; v=list(range(-32768,32768,7))+[32765,32766,32767]; sys.stdout.buffer.write(struct.pack("<%dh"%len(v),*v))' > ramp16_s16.raw
sox -D $S16 -t raw ramp16_s16.raw -e u-law -b 8 -t raw ramp16_ulaw.raw
sox -D $S16 -t raw ramp16_s16.raw -e a-law -b 8 -t raw ramp16_alaw.raw
# Every code 0..255 decoded by SoX.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' > ramp_u8.raw
sox -D -r 8000 -c 1 -b 8 -e u-law -t raw ramp_u8.raw $S16 -t raw ramp_ulaw_s16.raw
sox -D -r 8000 -c 1 -b 8 -e a-law -t raw ramp_u8.raw $S16 -t raw ramp_alaw_s16.raw

# WAV: one 0.1 s source (two tones, stereo: 440 Hz left, 1000 Hz right) in several formats.
sox -D -n -r 8000 -c 2 -b 16 -e signed-integer -t raw src_stereo_s16.raw \
    synth 0.1 sine 440 sine 1000 vol 0.8
RAW2="-r 8000 -c 2 -b 16 -e signed-integer -t raw src_stereo_s16.raw"
sox -D $RAW2 -t wavpcm -b 16 -e signed-integer wav_s16_stereo.wav
sox -D $RAW2 -t wavpcm -c 1 -b 16 -e signed-integer wav_s16_mono.wav remix 1
sox -D $RAW2 -t wavpcm -b 8 -e unsigned-integer wav_u8.wav
sox -D $RAW2 -t wavpcm -b 24 -e signed-integer wav_s24.wav
sox -D $RAW2 -t wavpcm -b 32 -e signed-integer wav_s32.wav
sox -D $RAW2 -t wavpcm -b 32 -e floating-point wav_f32.wav
sox -D $RAW2 -t wavpcm -b 8 -e u-law wav_ulaw.wav
sox -D $RAW2 -t wavpcm -b 8 -e a-law wav_alaw.wav
# "-t wav" writes WAVE_FORMAT_EXTENSIBLE for more than 16 bits.
sox -D $RAW2 -t wav -b 24 -e signed-integer wav_ext_s24.wav
