"""The tanba wheel, installed in a fresh virtual environment, against the
repository's real fixtures: labelled through the package, verified through
the package AND through the `tanba` command (TANBA_CLI, which
`cargo xtask test` sets to the binary it built).

Run by `cargo xtask test`; by hand:
    TANBA_CLI=target/debug/tanba python -m pytest crates/tanba-py/tests
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

import tanba

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"

# Every media type the wheel labels, with the format its output has.
# Compressed audio is written as WAV: the wheel leaves FFmpeg out.
SAMPLES = [
    ("image/sample-generated.png", "png"),
    ("image/sample-photo.jpg", "jpeg"),
    ("pdf/report.pdf", "pdf"),
    ("audio/sample-voice.wav", "wav"),
    ("audio/sample-music.mp3", "wav"),
]


def cli() -> str:
    """The built `tanba` command; its absence fails the test (CI builds it)."""
    path = os.environ.get("TANBA_CLI")
    assert path, "set TANBA_CLI to the tanba binary (cargo xtask test does)"
    assert Path(path).is_file(), f"TANBA_CLI={path} is not a file"
    return path


def cli_verify(path: Path) -> dict:
    """`tanba verify --json FILE`: exit 0 and its one row."""
    run = subprocess.run(
        [cli(), "verify", "--json", str(path)], capture_output=True, text=True
    )
    assert run.returncode == 0, f"tanba verify {path}: {run.stdout}{run.stderr}"
    rows = json.loads(run.stdout)
    rows = rows if isinstance(rows, list) else rows.get("files", [rows])
    assert len(rows) == 1, rows
    return rows[0]


def test_formats_lists_what_the_wheel_labels():
    names = {f["name"] for f in tanba.formats()}
    assert {"png", "jpeg", "pdf", "wav", "markdown", "text"} <= names
    # Video needs FFmpeg's shared libraries, which the wheel leaves out.
    assert "mp4" not in names
    row = next(f for f in tanba.formats() if f["name"] == "png")
    assert row["mime"] == "image/png" and "png" in row["extensions"]


@pytest.mark.parametrize("rel,out_format", SAMPLES)
def test_each_fixture_labelled_in_memory_verifies_in_package_and_cli(
    rel, out_format, tmp_path
):
    src = FIXTURES / rel
    data = src.read_bytes()
    out = tanba.label(data, src.name, ai_system="pytest-model", operator="Tanba CI")
    assert out.format == out_format
    assert out.data != data
    assert out.manifest["ai_system"]["name"] == "pytest-model"
    assert isinstance(out.notes, list)
    if rel.endswith(".mp3"):
        assert any("WAV" in n or "wav" in n for n in out.notes), out.notes

    check = tanba.verify(out.data)
    assert check.compliant and bool(check)
    assert check.perceptible["found"] is True
    assert check.marks, "no machine-readable mark reported"
    assert check.manifest["id"] == out.manifest["id"]
    # The original carries no label.
    assert not tanba.verify(data).compliant

    written = tmp_path / f"labelled.{out.extension}"
    written.write_bytes(out.data)
    row = cli_verify(written)
    assert json.dumps(row).count(out.manifest["id"]) >= 1, row


def test_text_is_labelled_with_the_chosen_languages():
    out = tanba.label(b"# Generated\n\nText.\n", "answer.md", lang=["kk", "en"], short=True)
    assert out.format == "markdown"
    text = out.data.decode()
    assert "ЖИ" in text or "жасанды" in text.lower(), text
    assert "AI" in text, text
    assert tanba.verify(out.data, "answer.md").compliant


def test_label_file_writes_an_output_both_verify(tmp_path):
    dst = tmp_path / "out" / "photo.jpg"
    done = tanba.label_file(FIXTURES / "image/sample-photo.jpg", dst, position="top-left")
    assert Path(done.output) == dst and dst.is_file()
    assert done.format == "jpeg" and done.mime == "image/jpeg"
    assert tanba.verify(dst).compliant
    assert tanba.verify(str(dst)).compliant
    cli_verify(dst)


def test_label_file_follows_the_format_written(tmp_path):
    done = tanba.label_file(FIXTURES / "audio/sample-music.mp3", tmp_path / "music.mp3")
    assert done.output.endswith("music.wav"), done.output
    assert not (tmp_path / "music.mp3").exists()
    cli_verify(Path(done.output))


def test_the_label_image_convenience_labels_a_pillow_image():
    from PIL import Image

    img = Image.new("RGBA", (640, 480), (30, 90, 160, 255))
    out = tanba.label_image(img, "JPEG", ai_system="diffusion")
    assert out.format == "jpeg"
    assert tanba.verify(out.data).compliant
    reopened = Image.open(io.BytesIO(out.data))
    assert reopened.size == (640, 480)
    with pytest.raises(TypeError):
        tanba.label_image(b"not an image")


# --- errors ---------------------------------------------------------------


def test_unrecognised_bytes_raise_unsupported_with_reason():
    with pytest.raises(tanba.UnsupportedError) as caught:
        tanba.label(b"\x00\x01\x02\x03garbage" * 10)
    err = caught.value
    assert isinstance(err, tanba.TanbaError)
    assert err.kind == "unsupported"
    assert "not recognised" in err.reason
    assert err.file is None


def test_empty_input_is_malformed():
    with pytest.raises(tanba.MalformedError) as caught:
        tanba.label(b"")
    assert caught.value.kind == "malformed"


def test_missing_file_raises_io_error_naming_it(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(tanba.IoError) as caught:
        tanba.label_file(missing, tmp_path / "out.png")
    assert caught.value.file == str(missing)
    assert caught.value.kind == "io"


def test_a_bad_option_is_a_config_error_and_an_unknown_one_a_type_error():
    png = (FIXTURES / "image/sample-generated.png").read_bytes()
    with pytest.raises(tanba.ConfigError) as caught:
        tanba.label(png, position="middle-ish")
    assert caught.value.kind == "config"
    with pytest.raises(tanba.ConfigError):
        tanba.label(png, jpeg_quality=101)
    with pytest.raises(tanba.ConfigError):
        tanba.label(png, bin="123456789012")  # a BIN needs an operator
    with pytest.raises(TypeError, match="colour"):
        tanba.label(png, colour="red")


def test_limits_are_enforced_before_work():
    png = (FIXTURES / "image/sample-generated.png").read_bytes()
    with pytest.raises(tanba.LimitExceededError) as caught:
        tanba.label(png, limits={"max_bytes": 1000})
    assert caught.value.kind == "limit-exceeded"
    assert "1000" in caught.value.reason


def test_labelling_a_labelled_file_again_is_refused():
    once = tanba.label((FIXTURES / "image/sample-photo.jpg").read_bytes())
    with pytest.raises(tanba.AlreadyLabelledError) as caught:
        tanba.label(once.data)
    assert caught.value.kind == "already-labelled"


def bad_inputs(crate: str) -> list[tuple[Path, str]]:
    """The rows of a media crate's tests/bad/README.md table."""
    folder = ROOT / "crates" / crate / "tests" / "bad"
    rows = re.findall(r"^\| `([^`]+)` \| `?([a-z-]+)`? \|", (folder / "README.md").read_text(), re.M)
    assert rows, f"no table in {folder}/README.md"
    return [(folder / name, kind) for name, kind in rows]


@pytest.mark.parametrize(
    "path,kind",
    bad_inputs("tanba-image") + bad_inputs("tanba-pdf"),
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_committed_bad_inputs_raise_their_kind_and_write_nothing(path, kind, tmp_path):
    if path.suffix in (".heic", ".avif"):
        kind = "unsupported"  # the wheel is built without libheif
    out = tmp_path / "out"
    with pytest.raises(tanba.TanbaError) as caught:
        tanba.label_file(path, out / path.name)
    assert caught.value.kind == kind, caught.value
    assert caught.value.file is not None
    assert not out.exists() or not any(out.iterdir())


# --- threads ----------------------------------------------------------------


def big_png() -> bytes:
    """A noisy 2000 x 1500 picture: slow enough to label that a held GIL
    would show."""
    from PIL import Image

    img = Image.frombytes("RGB", (2000, 1500), os.urandom(2000 * 1500 * 3))
    buffer = io.BytesIO()
    img.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def test_the_gil_is_released_while_labelling():
    data = big_png()
    start = time.perf_counter()
    tanba.label(data)
    one = time.perf_counter() - start

    ticks = []
    worker = threading.Thread(target=lambda: tanba.label(data))
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
        sum(range(200))
    worker.join()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # Held, the GIL would stop this loop for the whole label (`one`).
    assert max(gaps) < one / 2, (max(gaps), one)


def test_a_thread_pool_labels_a_batch():
    sources = [FIXTURES / rel for rel, _ in SAMPLES] * 3
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        outs = list(pool.map(lambda p: tanba.label(p.read_bytes(), p.name), sources))
    assert len(outs) == len(sources)
    ids = {o.manifest["id"] for o in outs}
    assert len(ids) == len(sources), "each output gets its own manifest id"
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        assert all(v.compliant for v in pool.map(lambda o: tanba.verify(o.data), outs))


# --- watermark --------------------------------------------------------------


def smooth_big_png() -> bytes:
    """The generated fixture enlarged four times (1920 x 1280): large and
    smooth enough to carry the watermark strongly."""
    from PIL import Image

    img = Image.open(FIXTURES / "image/sample-generated.png").convert("RGB")
    img = img.resize((img.width * 4, img.height * 4), Image.LANCZOS)
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


def test_the_watermark_is_on_by_default_and_off_with_watermark_false(tmp_path):
    data = smooth_big_png()
    marked = tanba.label(data, "big.png")
    record = marked.manifest["watermark"]
    assert record["key"] == "public", record
    (tmp_path / "marked.png").write_bytes(marked.data)
    row = cli_verify(tmp_path / "marked.png")
    assert row["verification"]["watermark"]["payload"] == record["payload"], row

    plain = tanba.label(data, "big.png", watermark=False)
    assert plain.manifest.get("watermark") is None, plain.manifest
    (tmp_path / "plain.png").write_bytes(plain.data)
    row = cli_verify(tmp_path / "plain.png")
    assert row["verification"].get("watermark") is None, row
    assert row["compliant"] is True, "still labelled without the watermark"


def test_a_private_key_and_a_manifest_store_bring_a_stripped_copys_manifest_back(
    tmp_path,
):
    from PIL import Image

    store = tmp_path / "store"
    key = "0f1e2d3c4b5a6978"
    out = tanba.label(smooth_big_png(), "big.png", watermark_key=key, manifest_store=store)
    record = out.manifest["watermark"]
    assert record["key"] == "private", record
    kept = json.loads((store / f"{record['payload']}.json").read_text())
    assert kept["id"] == out.manifest["id"]

    # Pillow re-saves the pixels only: the manifest's chunk is gone.
    buffer = io.BytesIO()
    Image.open(io.BytesIO(out.data)).save(buffer, "PNG")
    stripped = buffer.getvalue()
    assert tanba.verify(stripped).manifest is None
    assert tanba.verify(stripped).report.get("watermark") is None, "public key reads nothing"

    back = tanba.verify(stripped, manifest_store=store, watermark_key=key)
    assert back.report["watermark"]["key"] == "private", back.report
    assert back.manifest["id"] == out.manifest["id"]
    with pytest.raises(tanba.ConfigError):
        tanba.label(b"# x\n", "x.md", watermark_key="12345")


def test_verification_exposes_the_real_person_flag_and_name(tmp_path):
    data = (FIXTURES / "image" / "sample-photo.jpg").read_bytes()
    deep = tanba.label(
        data, "face.jpg", lang="en", real_person=True, person="Jane Roe", watermark=False
    )
    v = tanba.verify(deep.data, "face.jpg")
    assert v.real_person is True, v.report
    assert v.person == "Jane Roe", v.report
    assert v.manifest["label"]["lines"][0]["text"].startswith("This depicts a real person")
    # The command line reads the same flag from the same bytes.
    (tmp_path / "face.jpg").write_bytes(deep.data)
    assert cli_verify(tmp_path / "face.jpg")["real_person"] is True

    plain = tanba.verify(tanba.label(data, "face.jpg", watermark=False).data, "face.jpg")
    assert plain.real_person is False, plain.report
    assert plain.person is None
