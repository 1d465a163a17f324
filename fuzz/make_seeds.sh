#!/bin/sh
# Writes the seed corpus of every target into fuzz/corpus/TARGET/: the
# fixtures, every tests/bad/ folder, and small files generated here with
# ImageMagick, FFmpeg and exiftool (tiny, so each run starts fast and the
# fuzzer spends its time mutating structure, not pixels). `tanba` at $TANBA
# (when set) also labels the generated files, so marks, XMP packets and
# manifests are seeds too. Run from the repository root; then minimise
# with `cargo xtask fuzz --cmin` (docs/fuzzing.md).
set -eu
C=fuzz/corpus
G=$(mktemp -d)
trap 'rm -rf "$G"' EXIT
for t in jpeg png webp gif tiff wav aiff riff id3 mp3 isobmff xmp pdf_content markdown \
    subtitles manifest config label_text label_image label_audio label_pdf; do
    mkdir -p "$C/$t"
done
put() { # put TARGET FILE...: copy files under 64 KB into TARGET's corpus
    t=$1; shift
    for f in "$@"; do
        [ -f "$f" ] && [ "$(wc -c <"$f")" -le 65536 ] && cp "$f" "$C/$t/$(basename "$f")"
    done
    return 0
}

# Pictures: still and animated, with EXIF, XMP and comments.
convert -size 16x12 gradient:red-blue "$G/g.png"
convert "$G/g.png" -quality 80 "$G/plain.jpg"
convert "$G/g.png" -sampling-factor 4:2:0 -interlace JPEG -quality 60 "$G/progressive.jpg"
convert "$G/g.png" -colorspace Gray "$G/gray.jpg"
cp "$G/plain.jpg" "$G/exif.jpg"
exiftool -q -overwrite_original -Orientation#=6 -UserComment=hello -XMP-dc:Title=t -Comment=c "$G/exif.jpg"
convert "$G/g.png" "$G/rgb.png"
convert "$G/g.png" -depth 16 "$G/deep.png"
convert "$G/g.png" -colors 8 "$G/palette.png"
cp "$G/rgb.png" "$G/text.png"
exiftool -q -overwrite_original -XMP-dc:Title=t -PNG:Comment=c "$G/text.png"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=16x12:rate=4:duration=0.75 -plays 0 -f apng "$G/anim.png"
convert "$G/g.png" -quality 50 "$G/lossy.webp"
convert "$G/g.png" -define webp:lossless=true "$G/lossless.webp"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=16x12:rate=4:duration=0.75 -loop 0 "$G/anim.webp"
convert "$G/g.png" "$G/still.gif"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=16x12:rate=4:duration=0.75 "$G/anim.gif"
convert "$G/g.png" "$G/le.tif"
convert "$G/g.png" -endian MSB -compress lzw "$G/be.tif"
cp "$G/le.tif" "$G/exif.tif"
exiftool -q -overwrite_original -UserComment=hello -Orientation#=3 "$G/exif.tif"
convert "$G/g.png" "$G/p.bmp"
exiftool -q -b -Exif "$G/exif.jpg" >"$G/exif-block.tiff" || true
printf '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="12"><rect width="16" height="12" fill="red"/></svg>\n' >"$G/p.svg"

# Sound: WAV (PCM, float, mu-law, with INFO), AIFF, AIFF-C, MP3 with Xing/LAME, M4A.
tone() { ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.1 "$@"; }
tone -metadata comment=hi "$G/pcm.wav"
tone -c:a pcm_f32le "$G/float.wav"
tone -c:a pcm_mulaw "$G/mulaw.wav"
tone "$G/p.aiff"
tone -c:a pcm_s16be -f aiff -write_id3v2 1 -metadata title=t "$G/id3.aiff"
ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=22050:duration=0.2 -c:a libmp3lame -b:a 32k -metadata title=t "$G/cbr.mp3"
ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=22050:duration=0.2 -c:a libmp3lame -q:a 7 "$G/vbr.mp3"
ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=22050:duration=0.2 -c:a libmp3lame -b:a 32k -write_xing 0 -id3v2_version 0 "$G/bare.mp3"
ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.1 -c:a aac -b:a 16k "$G/p.m4a"
ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.1 -c:a flac "$G/p.flac"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=16x12:rate=4:duration=0.5 -c:v libx264 -pix_fmt yuv420p -movflags +faststart "$G/fast.mp4" 2>/dev/null \
    || ffmpeg -loglevel error -y -f lavfi -i testsrc=size=16x12:rate=4:duration=0.5 -c:v mpeg4 -movflags +faststart "$G/fast.mp4"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=16x12:rate=4:duration=0.5 -c:v mpeg4 "$G/slow.mp4"

# The MP3 splice's input: two little-endian bytes giving the length of the
# encoded disclaimer, the disclaimer, then the programme.
splice() { # splice OUT HEAD PROGRAMME
    python3 -c 'import sys; h=open(sys.argv[2],"rb").read(); p=open(sys.argv[3],"rb").read(); open(sys.argv[1],"wb").write(len(h).to_bytes(2,"little")+h+p)' "$@"
}
splice "$C/mp3/cbr-cbr" "$G/cbr.mp3" "$G/cbr.mp3"
splice "$C/mp3/cbr-vbr" "$G/cbr.mp3" "$G/vbr.mp3"
splice "$C/mp3/vbr-bare" "$G/vbr.mp3" "$G/bare.mp3"

# Text: Markdown with YAML and TOML front matter, SubRip, WebVTT, HTML.
printf -- '---\ntitle: t\n---\n\n# Heading\n\nText *here*.\n' >"$G/yaml.md"
printf -- '+++\ntitle = "t"\n+++\n\nText.\n' >"$G/toml.md"
printf '<!-- aigc: {} -->\n\n> note\n\nText.\n' >"$G/comment.md"
printf '1\n00:00:01,000 --> 00:00:02,500\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n' >"$G/p.srt"
printf 'WEBVTT\n\nNOTE hi\n\n00:01.000 --> 00:02.000\nHello\n\nid\n00:00:03.000 --> 00:00:04.000 line:0\nWorld\n' >"$G/p.vtt"
printf '<!doctype html><html><head><title>t</title></head><body><p>Hi</p></body></html>\n' >"$G/p.html"
printf 'Plain text, one line.\r\nAnother.\r\n' >"$G/p.txt"
printf '\001' | cat - "$G/p.vtt" >"$C/subtitles/p.vtt"
printf '\000' | cat - "$G/p.srt" >"$C/subtitles/p.srt"

# PDF content streams: operators, strings, hex strings, inline images.
printf 'q 1 0 0 1 0 0 cm BT /F1 12 Tf (a \\) q) Tj ET Q\n' >"$C/pdf_content/strings"
printf 'q <71 51> % comment Q\nBI /W 1 /H 1 /BPC 8 /CS /G ID \377 EI Q q\n' >"$C/pdf_content/inline-image"

# tanba.toml
printf '[label]\nlanguages = ["kk", "ru"]\n[image]\njpeg_quality = "source"\n[video]\nnotice = 3\n[provenance]\nkey = "k.pem"\n[watermark]\nenabled = false\n' >"$C/config/tanba.toml"

# Labelled copies: marks, XMP and manifests to read back.
if [ -n "${TANBA:-}" ]; then
    mkdir -p "$G/out"
    for f in "$G"/*.jpg "$G"/*.png "$G"/*.webp "$G"/*.gif "$G"/*.tif "$G"/*.svg "$G"/*.md \
        "$G"/*.srt "$G"/*.vtt "$G"/*.html "$G"/*.txt fixtures/pdf/*.pdf; do
        "$TANBA" label --quiet --no-watermark "$f" --out "$G/out" >/dev/null 2>&1 || true
    done
    for f in "$G"/out/*; do
        [ -f "$f" ] && mv "$f" "$G/labelled-$(basename "$f")"
    done
    # The manifest and AIGC JSON out of the labelled Markdown's front
    # matter, and the same manifest signed (a key in hex on the command line).
    python3 -c 'import os
import re,sys
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"([A-Za-z-]+): \x27(.*)\x27$", line.rstrip("\n"))
    if m:
        open(os.path.join(sys.argv[2], m.group(1).lower() + ".json"), "w").write(m.group(2))' \
        "$G/labelled-yaml.md" "$C/manifest"
    mkdir -p "$G/signed"
    "$TANBA" label --quiet --no-watermark --key "$(printf '%064d' 7)" "$G/yaml.md" --out "$G/signed" >/dev/null 2>&1 || true
    [ -f "$G/signed/yaml.md" ] && python3 -c 'import re,sys
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"Tanba-Manifest: \x27(.*)\x27$", line.rstrip("\n"))
    if m: open(sys.argv[2], "w").write(m.group(1))' "$G/signed/yaml.md" "$C/manifest/signed.json"
fi

put jpeg "$G"/*.jpg fixtures/image/*.jpg crates/tanba-image/tests/bad/*.jpg
put png "$G"/*.png crates/tanba-image/tests/bad/*.png
put webp "$G"/*.webp crates/tanba-image/tests/bad/*.webp
put gif "$G"/*.gif crates/tanba-image/tests/bad/*.gif
put tiff "$G"/*.tif "$G/exif-block.tiff" crates/tanba-image/tests/bad/*.tif
put label_image "$G"/*.jpg "$G"/*.png "$G"/*.webp "$G"/*.gif "$G"/*.tif "$G"/*.bmp "$G"/*.svg \
    fixtures/image/*.jpg crates/tanba-image/tests/bad/*.jpg crates/tanba-image/tests/bad/*.png \
    crates/tanba-image/tests/bad/*.webp crates/tanba-image/tests/bad/*.gif \
    crates/tanba-image/tests/bad/*.tif crates/tanba-image/tests/bad/*.bmp crates/tanba-image/tests/bad/*.svg
put wav "$G"/*.wav crates/tanba-audio/tests/bad/*.wav
put riff "$G"/*.wav "$G"/*.webp
put aiff "$G"/*.aiff crates/tanba-audio/tests/bad/*.aiff
put id3 "$G"/*.mp3 "$G/id3.aiff"
put label_audio "$G"/*.wav "$G"/*.aiff "$G"/*.mp3 "$G"/*.flac "$G"/*.m4a crates/tanba-audio/tests/bad/*
put isobmff "$G"/*.m4a "$G"/*.mp4 crates/tanba-audio/tests/bad/*.m4a crates/tanba-video/tests/bad/*.mp4 \
    crates/tanba-image/tests/bad/*.heic crates/tanba-image/tests/bad/*.avif
put xmp "$G"/labelled-* "$G/exif.jpg" "$G/text.png"
put markdown "$G"/*.md "$G"/labelled-*.md crates/tanba-text/tests/bad/*.md
put label_text "$G"/*.md "$G"/*.srt "$G"/*.vtt "$G"/*.html "$G"/*.txt crates/tanba-text/tests/bad/*
put pdf_content fixtures/pdf/*.pdf
put label_pdf fixtures/pdf/*.pdf "$G"/labelled-*.pdf crates/tanba-pdf/tests/bad/*.pdf
put manifest "$G"/labelled-*.md
for f in "$G"/labelled-*.srt "$G"/labelled-*.vtt crates/tanba-text/tests/bad/*.srt crates/tanba-text/tests/bad/*.vtt; do
    [ -f "$f" ] || continue
    case $f in *.vtt) b='\001' ;; *) b='\000' ;; esac
    printf "$b" | cat - "$f" >"$C/subtitles/$(basename "$f")"
done
# Labelled outputs of every kind feed the label and verify targets too.
for f in "$G"/labelled-*; do
    case $f in
    *.jpg | *.png | *.webp | *.gif | *.tif | *.svg) put label_image "$f" ;;
    *.md | *.srt | *.vtt | *.html | *.txt) put label_text "$f" ;;
    esac
done
# Corpora hold no README: every file in them is an input.
find "$C" -name README.md -delete
du -sh "$C"
