"""Type stubs of the extension module tanba._tanba."""

from __future__ import annotations

import os
from typing import Any, Literal, Mapping, Sequence, TypedDict, Union

__version__: str
KEYWORDS: list[str]

StrPath = Union[str, "os.PathLike[str]"]

class Limits(TypedDict, total=False):
    max_bytes: int
    max_pixels: int
    max_dimension: int
    max_duration_ms: int
    max_objects: int
    max_text_bytes: int
    max_frames: int
    max_animation_pixels: int

class FormatInfo(TypedDict):
    labeler: str
    name: str
    mime: str
    extensions: list[str]

class Labelled:
    """The result of ``label``: the labelled bytes and what was written."""
    @property
    def data(self) -> bytes: ...
    @property
    def format(self) -> str: ...
    @property
    def mime(self) -> str: ...
    @property
    def extension(self) -> str: ...
    @property
    def manifest(self) -> dict[str, Any]: ...
    @property
    def notes(self) -> list[str]: ...

class LabelledFile:
    """The result of ``label_file``."""
    @property
    def output(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def mime(self) -> str: ...
    @property
    def manifest(self) -> dict[str, Any]: ...
    @property
    def notes(self) -> list[str]: ...
    @property
    def manifest_sidecar(self) -> str | None: ...
    @property
    def credentials(self) -> str | None: ...

class Verification:
    """What ``verify`` found; true when compliant."""
    @property
    def format(self) -> str: ...
    @property
    def compliant(self) -> bool: ...
    @property
    def marks(self) -> list[dict[str, Any]]: ...
    @property
    def manifest(self) -> dict[str, Any] | None: ...
    @property
    def signature(self) -> dict[str, Any] | str: ...
    @property
    def perceptible(self) -> dict[str, Any]: ...
    @property
    def credentials(self) -> dict[str, Any] | None: ...
    @property
    def real_person(self) -> bool:
        """The manifest says the content imitates a real person (the
        deepfake notice, ``real_person=True`` when labelling)."""
    @property
    def person(self) -> str | None:
        """The real person's name the manifest records (``person=``)."""
    @property
    def report(self) -> dict[str, Any]: ...
    def __bool__(self) -> bool: ...

class TanbaError(Exception):
    """Any error Tanba reports."""
    file: str | None
    reason: str
    kind: str

class UnsupportedError(TanbaError): ...
class MalformedError(TanbaError): ...
class EncryptedError(TanbaError): ...
class LimitExceededError(TanbaError): ...
class AlreadyLabelledError(TanbaError): ...
class CannotLabelError(TanbaError): ...
class UnverifiedError(TanbaError): ...
class ConfigError(TanbaError): ...
class IoError(TanbaError): ...

def label(
    data: bytes,
    filename: StrPath | None = None,
    *,
    lang: str | Sequence[str] | None = None,
    label: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    short: bool = False,
    position: str | None = None,
    ai_system: str | None = None,
    ai_version: str | None = None,
    operator: str | None = None,
    bin: str | None = None,
    key: StrPath | None = None,
    source: Literal["generated", "composite"] | None = None,
    limits: Limits | None = None,
    font: StrPath | None = None,
    text_encoding: str | None = None,
    text_footer: bool | None = None,
    text_manifest: Literal["reference", "sidecar"] | None = None,
    subtitle_seconds: float | None = None,
    pdf_pages: str | int | None = None,
    pdf_edge: Literal["top", "bottom"] | None = None,
    pdf_rewrite: bool = False,
    refuse_encrypted: bool = False,
    jpeg_quality: str | int | None = None,
    audio_mode: str | None = None,
    audio_disclaimer: str | None = None,
    ducking_db: float | None = None,
    video_notice: str | float | None = None,
    video_badge: bool | None = None,
    video_crf: int | None = None,
    video_preset: str | None = None,
    video_audible: bool = False,
    c2pa_cert: StrPath | None = None,
    c2pa_key: StrPath | None = None,
    c2pa_trust: StrPath | None = None,
    real_person: bool = False,
    person: str | None = None,
    watermark: bool = True,
    watermark_key: str | None = None,
    manifest_store: StrPath | None = None,
) -> Labelled:
    """Labels a file's bytes; the output is verified before it is returned.

    ``watermark=False`` leaves out the imperceptible watermark (on by
    default, with the public key anyone can read); ``watermark_key`` is an
    operator's own key (16 hex digits) to mark with instead;
    ``manifest_store`` is a folder where each output's manifest is kept, so
    ``verify`` can bring back the manifest of a copy stripped of it."""

def label_file(src: StrPath, dst: StrPath, **options: Any) -> LabelledFile:
    """Labels ``src`` into ``dst`` atomically (no output on error); the
    same keyword options as ``label``."""

def verify(
    data: bytes | StrPath,
    filename: StrPath | None = None,
    *,
    manifest_store: StrPath | None = None,
    watermark_key: str | None = None,
    **options: Any,
) -> Verification:
    """Reports the marks of a file's bytes or of the file at a path.

    ``watermark_key`` is tried before the public key when reading the
    watermark; when the file's own manifest is gone, its watermark finds the
    manifest in ``manifest_store`` (the folder ``label`` kept it in)."""

def formats() -> list[FormatInfo]:
    """Every format this build labels."""
