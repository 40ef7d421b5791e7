"""Providers' photos: what Pillow accepts, how it is re-encoded, how it is served."""
import io

import pytest
from PIL import Image, PngImagePlugin

from alma.directory import photos
from alma.directory.models import Listing, ProviderPhoto
from tests import factories


def image_bytes(size=(600, 400), kind="JPEG", colour=(200, 120, 80), mode="RGB", **save):
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, kind, **save)
    return out.getvalue()


def two_colours(exif=None):
    """600x300: the top half red, the bottom half blue; maybe with EXIF."""
    image = Image.new("RGB", (600, 300), (220, 0, 0))
    image.paste((0, 0, 220), (0, 150, 600, 300))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def opened(data):
    return Image.open(io.BytesIO(data))


def test_it_makes_square_jpegs_at_each_size_from_a_jpeg_png_or_webp():
    for data in (image_bytes(), image_bytes(kind="PNG", mode="RGBA", colour=(0, 0, 0, 0)),
                 image_bytes(kind="WEBP")):
        images = photos.prepare(data)
        for name, side in photos.PHOTO_SIZES.items():
            made = opened(images[name])
            assert (made.format, made.size, made.mode) == ("JPEG", (side, side), "RGB")


def test_it_turns_the_photo_upright_and_keeps_none_of_its_metadata():
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to show
    exif[0x010F] = "SecretCam"  # the camera's make
    exif[0x010E] = "Taken at 37.77N 122.42W"  # a description, with a location
    data = two_colours(exif)
    assert b"SecretCam" in data and b"37.77N" in data
    images = photos.prepare(data)
    small = opened(images["small"])
    # Turned clockwise, the red top is on the right and the blue bottom on the left.
    left, right = small.getpixel((10, 48)), small.getpixel((86, 48))
    assert left[2] > 150 > left[0] and right[0] > 150 > right[2]
    for made in images.values():
        assert b"SecretCam" not in made and b"37.77N" not in made and b"Exif" not in made
        assert not opened(made).getexif()


def test_no_comment_or_profile_of_the_upload_reaches_the_served_files():
    # Pillow copies a JPEG's comment (and a PNG's text) into the image's info, and saves
    # a JPEG's comment again unless told otherwise: it could say where or who.
    for data in (image_bytes(comment=b"Home: 12 Elm St"),
                 image_bytes(kind="PNG", pnginfo=_png_text("Comment", "Home: 12 Elm St"))):
        assert b"12 Elm St" in data
        for made in photos.prepare(data).values():
            assert b"12 Elm St" not in made and "comment" not in opened(made).info


def _png_text(key, value):
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


@pytest.mark.parametrize("data,says", [
    (b"", "Choose a photo"),
    (b"GIF89a" + b"\0" * 100, "not an image we can read"),
    (image_bytes(kind="GIF"), "a GIF file"),
    (image_bytes(kind="BMP"), "a BMP file"),
    (b"%PDF-1.7 pretending to be a photo.jpg", "not an image we can read"),
    (image_bytes((150, 400)), "at least 200×200"),
    (image_bytes((8000, 6000), kind="PNG", mode="1", colour=1), "at most 40 million pixels"),
    (image_bytes((600, 600), quality=95)[:900], "damaged or incomplete"),
    (b"\xff" * (photos.MAX_BYTES + 1), "at most 8 MB"),
])
def test_it_refuses_what_is_not_a_usable_photo_and_says_why(data, says):
    with pytest.raises(photos.PhotoProblem) as problem:
        photos.prepare(data)
    assert says in str(problem.value)


def test_a_photo_reaches_the_listing_and_is_served_for_ever(client, db):
    factories.operate_in("CA")
    provider = factories.provider(first_name="Ines")
    digest = photos.replace(provider, image_bytes())
    assert Listing.get(Listing.provider == provider.id).photo_digest == digest

    body = client.get("/providers?state=CA").get_data(as_text=True)
    assert f'src="/photos/{digest}/medium.jpg"' in body
    assert f"/photos/{digest}/small.jpg 96w" in body and f"/photos/{digest}/large.jpg 384w" in body
    assert f"/photos/{digest}/large.jpg" in client.get(
        f"/providers/{provider.slug}").get_data(as_text=True)

    served = client.get(f"/photos/{digest}/small.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert opened(served.data).size == (96, 96)
    again = client.get(f"/photos/{digest}/small.jpg",
                       headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    for path in (f"/photos/{digest}/huge.jpg", f"/photos/{'0' * 32}/small.jpg",
                 f"/photos/{digest[:-1]}!/small.jpg"):
        assert client.get(path).status_code == 404, path


def test_replacing_changes_the_urls_and_removing_brings_back_the_initials(client, db):
    factories.operate_in("CA")
    provider = factories.provider(first_name="Ines", last_name="Okafor")
    first = photos.replace(provider, image_bytes())
    second = photos.replace(provider, image_bytes(colour=(10, 90, 160)))
    assert first != second and ProviderPhoto.select().count() == 1
    assert client.get(f"/photos/{first}/small.jpg").status_code == 404
    assert client.get(f"/photos/{second}/small.jpg").status_code == 200

    assert photos.remove(provider) is True
    assert photos.remove(provider) is False
    assert Listing.get(Listing.provider == provider.id).photo_digest is None
    body = client.get("/providers?state=CA").get_data(as_text=True)
    assert "/photos/" not in body and ">IO</span>" in body


def test_two_providers_may_upload_the_same_picture(db):
    factories.operate_in("CA")
    one, two = factories.provider(), factories.provider()
    assert photos.replace(one, image_bytes()) != photos.replace(two, image_bytes())
