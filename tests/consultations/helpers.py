"""Filling in the consultation form the way a browser would."""
from tests.conftest import csrf_token_from

GOOD = {
    "name": "Jamie Rivera", "email": "jamie@example.org", "phone": "(555) 010-2233",
    "state": "CA", "payment": "aetna", "member_id": "W123456789",
    "concerns": "Anxiety at work and trouble sleeping.", "preferred_format": "telehealth",
    "availability": "Weekday evenings after 6", "consent": "y",
}


def form_page(client, provider):
    return client.get(f"/providers/{provider.slug}/request")


def submit(client, provider, **changes):
    page = form_page(client, provider)
    body = page.get_data(as_text=True)
    key = body.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    data = {**GOOD, "csrf_token": csrf_token_from(page), "submission_key": key}
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/providers/{provider.slug}/request", data=data), data
