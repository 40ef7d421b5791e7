"""Cards and profiles as a client sees them in Chromium: how many fit a screen, their cost
after a benefit check and the sort by it, the profile's next step always in view, and a
provider's photo from upload to card. Screenshots go to tests/browser/screens/."""
import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.clock import today
from alma.directory.models import Listing
from alma.network.models import Provider
from tests.browser.support import SCREENS, assert_accessible, in_app

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}
PASSWORD = "a long and memorable passphrase"


@pytest.fixture(scope="module")
def world(app, live_server):
    """The demo directory (some of it in network through the group: their cost is known
    after a check), and its first provider, who may sign in."""
    def make():
        best = (Listing.select(Listing.provider).where(
            Listing.is_primary & Listing.accepting & (Listing.license_expires_on >= today()))
                .order_by(Listing.accepting_confirmed_on.desc(), Listing.provider.desc()))
        provider = Provider.get_by_id(best.first().provider_id)
        User.create(email=provider.email, name=provider.full_name, provider=provider,
                    password_hash=passwords.hash_password(PASSWORD))
        return {"provider": provider}
    return in_app(app, make)


def costs_shown(page):
    """Each card's cost to this client in cents, in order: None when not known."""
    costs = []
    for card in page.locator("li.card").all():
        cost = card.locator("dd.cost").inner_text()
        known = re.match(r"^\$(\d+) a session \(", cost)
        rate = re.match(r"^\$([\d,]+) a session", card.locator("dd").nth(2).inner_text())
        if known:
            costs.append(int(known.group(1)) * 100)
        elif "Not in network with your UnitedHealthcare plan" in cost:
            costs.append(int(rate.group(1).replace(",", "")) * 100 if rate else None)
        else:
            assert "In network with your plan on their own contract" in cost, cost
            costs.append(None)
    return costs


def cards_in_view(page, height):
    """How many result cards start within the first screen, and their tops and heights."""
    boxes = page.eval_on_selector_all(
        "li.card", "cards => cards.map(c => [c.getBoundingClientRect().top, "
        "c.getBoundingClientRect().height])")
    return sum(1 for top, _ in boxes if top < height), boxes


def check_benefits(page):
    page.goto("/benefits")
    page.get_by_label("Your insurance").select_option("unitedhealthcare")
    page.get_by_label("Member ID").fill("ALMA-ACTIVE-COPAY")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Rivera")
    page.get_by_label("Date of birth").fill("1990-04-02")
    page.get_by_role("button", name="Check my benefits").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("$25")


def test_four_cards_start_on_a_desktop_screen_and_one_on_a_phone(new_context, world):
    SCREENS.mkdir(exist_ok=True)
    for viewport, least, name in ((DESKTOP, 4, "directory-1280.png"),
                                  (PHONE, 1, "directory-360.png")):
        page = new_context(viewport=viewport).new_page()
        page.goto("/providers")
        count, boxes = cards_in_view(page, viewport["height"])
        assert count >= least, f"{count} cards start on a {viewport} screen: {boxes[:6]}"
        if viewport is PHONE:
            # Its name and photo are above the fold, not only its border.
            heading = page.locator("li.card h3").first.bounding_box()
            assert heading["y"] + heading["height"] < viewport["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=SCREENS / name)
        assert_accessible(page)


def test_after_a_benefit_check_cards_show_the_cost_or_why_not_and_sort_by_it(
        new_context, world):
    page = new_context(viewport=DESKTOP).new_page()
    check_benefits(page)
    page.goto("/providers")
    expect(page.locator("li.card").first).to_contain_text("Your cost")
    assert 2500 in costs_shown(page)  # some are in network through the group
    count, boxes = cards_in_view(page, DESKTOP["height"])
    assert count >= 4, boxes[:6]

    page.select_option("#sort", "cost")  # JavaScript on: the results update in place
    expect(page).to_have_url(re.compile(r"[?&]sort=cost(&|$)"))
    expect(page.locator("dd.cost").first).to_contain_text("$25 a session (")
    costs = costs_shown(page)
    known = [c for c in costs if c is not None]
    assert known == sorted(known) and costs[:len(known)] == known, costs
    assert_accessible(page)
    page.screenshot(path=SCREENS / "directory-cost-1280.png")

    phone = new_context(viewport=PHONE).new_page()
    check_benefits(phone)
    phone.goto("/providers?sort=cost")
    expect(phone.locator("dd.cost").first).to_contain_text("$25 a session (")
    assert cards_in_view(phone, PHONE["height"])[0] >= 1
    phone.screenshot(path=SCREENS / "directory-cost-360.png")


def test_the_cost_sort_works_without_javascript(new_context, world):
    page = new_context(viewport=DESKTOP, java_script_enabled=False).new_page()
    check_benefits(page)
    page.goto("/providers?page=3")
    page.select_option("#sort", "cost")
    page.get_by_role("button", name="Show therapists").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=cost(&|$)"))
    expect(page.locator("dd.cost").first).to_contain_text("$25 a session (")


def test_the_profiles_next_step_stays_in_view_on_a_desktop_and_it_fits_a_phone(
        new_context, world):
    page = new_context(viewport=DESKTOP).new_page()
    page.goto("/providers")
    page.locator("li.card h3 a").first.click()
    step = page.get_by_role("link", name="Request a consultation")
    about = page.locator("#about").bounding_box()
    steps = page.locator(".cta").bounding_box()
    assert steps["x"] > about["x"] + about["width"], "the next step is beside the profile"
    page.screenshot(path=SCREENS / "profile-1280.png")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 300
    box = step.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= DESKTOP["height"], box
    assert_accessible(page)

    phone = new_context(viewport=PHONE).new_page()
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = phone.get_by_role("link", name="Request a consultation").bounding_box()
    assert button["y"] + button["height"] < PHONE["height"], "the next step starts the page"
    phone.screenshot(path=SCREENS / "profile-360.png", full_page=True)


def a_portrait():
    """A made-up picture (shapes, not a face), saved as a phone would: big, with EXIF."""
    image = Image.new("RGB", (1200, 1600), (233, 226, 210))
    draw = ImageDraw.Draw(image)
    draw.ellipse((350, 300, 850, 800), fill=(13, 92, 99))
    draw.rectangle((250, 900, 950, 1600), fill=(8, 64, 71))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def test_a_provider_uploads_a_photo_and_clients_see_it(new_context, page_problems, world,
                                                       tmp_path):
    page_problems.allow(r"status of 422", "the test uploads a file that is not a picture")
    # The form is plain HTML (a multipart POST): tests/practice/test_photo.py sends it as a
    # browser without JavaScript would.
    page = new_context(viewport=DESKTOP).new_page()
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(world["provider"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/practice")

    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture at all")
    page.get_by_label("Choose a photo").set_input_files(str(bad))
    page.get_by_role("button", name="Upload photo").click()
    expect(page.locator("#photo-error")).to_contain_text("not an image we can read")
    assert_accessible(page)

    good = tmp_path / "portrait.jpg"
    good.write_bytes(a_portrait())
    page.get_by_label("Choose a photo").set_input_files(str(good))
    page.get_by_role("button", name="Upload photo").click()
    expect(page.locator(".flash")).to_contain_text("Your new photo is on your listing.")
    expect(page.locator(".photo-card img.avatar")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=SCREENS / "practice-photo.png", full_page=True)

    client = new_context(viewport=DESKTOP).new_page()
    served = []
    client.on("response", lambda r: served.append(r) if "/photos/" in r.url else None)
    client.goto("/providers")
    photo = client.locator("li.card").first.locator("img.avatar")
    expect(photo).to_be_visible()
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.naturalWidth") > 0
    assert served and served[0].headers["cache-control"] == \
        "public, max-age=31536000, immutable"
    assert b"SecretCam" not in served[0].body()
    client.locator("li.card h3 a").first.click()
    expect(client.locator(".profile-head img.avatar")).to_be_visible()

    page.get_by_role("button", name="Remove photo").click()
    expect(page.locator(".flash")).to_contain_text("your listing shows your initials")
    client.goto("/providers")
    expect(client.locator("li.card").first.locator("span.avatar")).to_be_visible()
