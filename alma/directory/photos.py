"""Providers' photos: checked, re-encoded, kept in the database, served for ever.

An upload is read by Pillow, never trusted by its name or its declared type: it must be a
JPEG, PNG or WebP image, at most MAX_BYTES, at least MIN_SIDE pixels on its short side and
at most MAX_PIXELS in all. It is turned upright (its EXIF orientation), cropped square
around its upper middle (where a face is, in a portrait), and saved again as a JPEG at each
of PHOTO_SIZES: nothing of the original file (its metadata, a camera's location, anything
hidden after the image) reaches a visitor.

The images are one ProviderPhoto row; its digest (of the images) names their URLs, so a
browser or a CDN keeps each one for a year and a new photo has new URLs. The provider's
listing is reindexed in the same transaction, so cards show the photo with no query.
"""
import hashlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from alma.db import db
from alma.directory import service
from alma.directory.models import ProviderPhoto

MAX_BYTES = 8 * 1024 * 1024
MIN_SIDE = 200
MAX_PIXELS = 40_000_000
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
# Size name (a ProviderPhoto column) and its width and height in pixels.
PHOTO_SIZES = {"small": 96, "medium": 192, "large": 384}
QUALITY = 82


class PhotoProblem(ValueError):
    """An upload we can't use; the message says why, for the person who sent it."""


def prepare(data):
    """{size name: JPEG bytes} from an uploaded file's bytes, or PhotoProblem."""
    if not data:
        raise PhotoProblem("Choose a photo to upload.")
    if len(data) > MAX_BYTES:
        raise PhotoProblem(f"That file is {len(data) / 1024 / 1024:.1f} MB; a photo may be "
                           f"at most {MAX_BYTES // 1024 // 1024} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            kind = image.format
            if kind not in ACCEPTED:
                raise PhotoProblem(_not_a_photo(kind))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoProblem(f"That image is {width}×{height} pixels; a photo may have "
                                   f"at most {MAX_PIXELS // 1_000_000} million pixels.")
            if min(width, height) < MIN_SIDE:
                raise PhotoProblem(f"That image is {width}×{height} pixels; a photo needs at "
                                   f"least {MIN_SIDE}×{MIN_SIDE} to look sharp.")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except PhotoProblem:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise PhotoProblem(_not_a_photo(None)) from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt
        raise PhotoProblem("That image is damaged or incomplete. Try saving it again, "
                           "or choose another.") from error
    return {name: _encode(_square(upright), side) for name, side in PHOTO_SIZES.items()}


def _not_a_photo(kind):
    found = f"a {kind} file" if kind else "not an image we can read"
    return f"That file is {found}. Upload a photo as a JPEG, PNG or WebP image."


def _square(image):
    """The image as RGB, cropped square: centred across, a little above centre down."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P"
                                              and "transparency" in image.info):
        backdrop = Image.new("RGB", image.size, (255, 255, 255))
        backdrop.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = backdrop
    else:
        image = image.convert("RGB")
    return ImageOps.fit(image, (min(image.size),) * 2, centering=(0.5, 0.4))


def _encode(square, side):
    out = io.BytesIO()
    resized = square.resize((side, side), Image.Resampling.LANCZOS)
    # No exif, icc_profile or comment is passed on: the file carries pixels alone. Pillow
    # keeps what it read (a JPEG's comment, a PNG's text) in .info through convert, crop
    # and resize, and a JPEG's save writes that comment again: forget it all.
    resized.info = {}
    resized.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def digest_of(provider_id, images):
    """Names the photo's URLs: new images, new URLs (two providers' never collide)."""
    hasher = hashlib.sha256(f"{provider_id}:".encode())
    for name in PHOTO_SIZES:
        hasher.update(images[name])
    return hasher.hexdigest()[:32]


def replace(provider, data):
    """Check and store a new photo for the provider, replacing any; PhotoProblem if unusable.

    Everything is prepared before the transaction: a bad file writes nothing.
    """
    images = prepare(data)
    digest = digest_of(provider.id, images)
    with db.atomic():
        ProviderPhoto.delete().where(ProviderPhoto.provider == provider.id).execute()
        ProviderPhoto.create(provider=provider.id, digest=digest, **images)
        service.reindex([provider.id])
    return digest


def remove(provider):
    """Delete the provider's photo (their cards show initials again); False if none."""
    with db.atomic():
        deleted = ProviderPhoto.delete().where(ProviderPhoto.provider == provider.id).execute()
        service.reindex([provider.id])
    return bool(deleted)


def current_digest(provider):
    return (ProviderPhoto.select(ProviderPhoto.digest)
            .where(ProviderPhoto.provider == provider.id).scalar())


def image(digest, size):
    """The JPEG bytes of one size of a photo, or None."""
    if size not in PHOTO_SIZES:
        return None
    column = getattr(ProviderPhoto, size)
    return ProviderPhoto.select(column).where(ProviderPhoto.digest == digest).scalar()
