"""Label AI-generated content as Kazakhstan's AI law (No. 230-VIII, Art. 21)
requires: a machine-readable mark and a visible or audible warning.

    import tanba
    out = tanba.label(png_bytes, lang="kk,en", ai_system="my-model")
    assert tanba.verify(out.data).compliant

The labelling runs in Rust with the GIL released, so a thread pool labels
as many files at once as it has threads. Errors are subclasses of
``tanba.TanbaError`` with ``.file``, ``.reason`` and ``.kind``.
"""

from __future__ import annotations

import io
from typing import Any

from ._tanba import (
    KEYWORDS,
    AlreadyLabelledError,
    CannotLabelError,
    ConfigError,
    EncryptedError,
    IoError,
    Labelled,
    LabelledFile,
    LimitExceededError,
    MalformedError,
    TanbaError,
    UnsupportedError,
    UnverifiedError,
    Verification,
    __version__,
    formats,
    label,
    label_file,
    verify,
)

__all__ = [
    "AlreadyLabelledError",
    "CannotLabelError",
    "ConfigError",
    "EncryptedError",
    "IoError",
    "KEYWORDS",
    "Labelled",
    "LabelledFile",
    "LimitExceededError",
    "MalformedError",
    "TanbaError",
    "UnsupportedError",
    "UnverifiedError",
    "Verification",
    "__version__",
    "formats",
    "label",
    "label_file",
    "label_image",
    "verify",
]


def label_image(img: Any, format: str = "PNG", **options: Any) -> Labelled:
    """Labels a Pillow image: saves it as ``format`` (``"PNG"``, ``"JPEG"``,
    ``"WEBP"`` ...) and labels the encoded file, which is returned as
    ``Labelled``. Keep ``.data``: the machine-readable mark lives in the
    file's metadata, which a Pillow image loaded from it does not carry
    into a new save. Needs Pillow (``pip install tanba[pillow]``)."""
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("tanba.label_image needs Pillow: pip install Pillow") from e
    if not isinstance(img, Image.Image):
        raise TypeError(f"label_image takes a PIL.Image.Image, not {type(img).__name__}")
    buffer = io.BytesIO()
    # JPEG holds no alpha channel; a generator's RGBA output is flattened.
    if format.upper() in ("JPEG", "JPG") and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    img.save(buffer, format=format)
    return label(buffer.getvalue(), None, **options)
