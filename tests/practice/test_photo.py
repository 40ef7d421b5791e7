"""A provider's photo through the listing page: upload, replace, remove, refusals."""
import io

import pytest

from alma.directory import photos
from alma.directory.models import Listing, ProviderPhoto
from alma.practice.views import PHOTO_BODY_BYTES
from tests import factories
from tests.conftest import csrf_token_from
from tests.directory.test_photos import image_bytes


@pytest.fixture
def signed_in(client, db):
    factories.operate_in("CA")
    provider = factories.provider(first_name="Ines", last_name="Okafor")
    factories.sign_in(client, factories.user_for(provider, "a long passphrase"),
                      "a long passphrase")
    return provider


def upload(client, data, filename="me.jpg", token=None):
    token = token or csrf_token_from(client.get("/practice"))
    return client.post("/practice/photo", content_type="multipart/form-data",
                       data={"csrf_token": token, "photo": (io.BytesIO(data), filename)})


def digest_of(provider):
    return Listing.get(Listing.provider == provider.id).photo_digest


def test_a_provider_uploads_a_photo_sees_it_replaces_it_and_removes_it(client, signed_in):
    page = client.get("/practice").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "Upload photo" in page
    assert "Remove photo" not in page

    response = upload(client, image_bytes())
    assert response.status_code == 303
    first = digest_of(signed_in)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your new photo is on your listing." in page
    assert f"/photos/{first}/" in page and "Replace photo" in page
    assert f"/photos/{first}/" in client.get("/providers?state=CA").get_data(as_text=True)

    assert upload(client, image_bytes(kind="PNG", colour=(9, 9, 9))).status_code == 303
    assert digest_of(signed_in) not in (None, first)
    assert client.get(f"/photos/{first}/small.jpg").status_code == 404

    token = csrf_token_from(client.get("/practice"))
    response = client.post("/practice/photo/remove", data={"csrf_token": token})
    assert response.status_code == 303
    assert "your listing shows your initials" in client.get("/practice").get_data(as_text=True)
    assert digest_of(signed_in) is None and ProviderPhoto.select().count() == 0


@pytest.mark.parametrize("data,filename,says", [
    (b"", "me.jpg", "Choose a photo to upload."),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "me.jpg", "not an image we can read"),
    (image_bytes(kind="GIF"), "me.png", "That file is a GIF file."),
    (image_bytes((120, 120)), "me.jpg", "at least 200×200"),
    (image_bytes(quality=95)[:800], "me.jpg", "damaged or incomplete"),
])
def test_a_bad_file_is_explained_and_changes_nothing(client, signed_in, data, filename, says):
    assert upload(client, image_bytes()).status_code == 303
    before = digest_of(signed_in)
    response = upload(client, data, filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert says in page and 'aria-invalid="true"' in page and 'id="photo-error"' in page
    assert digest_of(signed_in) == before and ProviderPhoto.get().digest == before


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, signed_in):
    response = upload(client, b"\xff" * PHOTO_BODY_BYTES)
    assert response.status_code == 413
    assert ProviderPhoto.select().count() == 0
    # Said beside the form (a phone's photo is often this large), not on a dead end.
    page = response.get_data(as_text=True)
    assert "a photo may be at most 8 MB" in page and 'id="photo-error"' in page
    assert 'action="/practice/photo"' in page


def test_too_much_sent_elsewhere_is_still_the_plain_error_page(client, signed_in):
    token = csrf_token_from(client.get("/practice"))
    response = client.post("/practice", data={"csrf_token": token, "bio": "x" * 2_000_000})
    assert response.status_code == 413 and "That was too much to send" in response.get_data(
        as_text=True)


def test_a_file_just_over_the_photo_limit_gets_the_forms_message(client, signed_in):
    response = upload(client, b"\xff" * (photos.MAX_BYTES + 1))
    assert response.status_code == 422
    assert "a photo may be at most 8 MB" in response.get_data(as_text=True)


def test_an_upload_without_the_csrf_token_is_refused(client, signed_in):
    response = upload(client, image_bytes(), token="forged")
    assert response.status_code == 400
    assert ProviderPhoto.select().count() == 0


def test_a_provider_changes_only_their_own_photo(client, signed_in):
    other = factories.provider(first_name="Other")
    photos.replace(other, image_bytes())
    upload(client, image_bytes(colour=(1, 2, 3)))
    token = csrf_token_from(client.get("/practice"))
    client.post("/practice/photo/remove", data={"csrf_token": token})
    assert digest_of(other) is not None
    assert [row.provider_id for row in ProviderPhoto.select()] == [other.id]
