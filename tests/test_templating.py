"""Links templates build are kept once built, and are the links url_for builds."""
from flask import render_template_string, url_for

from alma import templating


def kept(app):
    links = app.jinja_env.globals["url_for"]
    assert isinstance(links, templating.KeptLinks)
    links.kept.clear()
    return links


def test_a_kept_link_is_the_link_built_for_this_mount_point(app):
    links = kept(app)
    page = "{{ url_for('directory.search') }} {{ url_for('static', filename='css/app.css') }}"
    with app.test_request_context("/"):
        first = render_template_string(page)
        assert len(links.kept) == 2
        assert first == render_template_string(page)  # kept
        assert first.split() == [url_for("directory.search"),
                                 url_for("static", filename="css/app.css")]
    # Mounted elsewhere (another SCRIPT_NAME), the same template links under that path.
    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/alma"}):
        assert render_template_string(page).split() == ["/alma/providers",
                                                        url_for("static", filename="css/app.css")]
        assert url_for("static", filename="css/app.css").startswith("/alma/static/")


def test_links_with_options_are_built_each_time_and_lists_are_not_kept(app):
    links = kept(app)
    with app.test_request_context("/"):
        external = render_template_string("{{ url_for('directory.search', _external=True) }}")
        assert external.startswith("http")
        listed = render_template_string(
            "{{ url_for('directory.search', state=['CA', 'NY'])|safe }}")
        assert listed == url_for("directory.search", state=["CA", "NY"])
    assert links.kept == {}


def test_kept_links_are_bounded(app, monkeypatch):
    links = kept(app)
    monkeypatch.setattr(links, "LIMIT", 2)
    with app.test_request_context("/"):
        for state in ("CA", "NY", "TX"):
            render_template_string("{{ url_for('directory.search', state=s) }}", s=state)
    assert len(links.kept) <= 2


def test_each_app_keeps_its_own_links(app, make_app):
    other = make_app()
    assert other.jinja_env.globals["url_for"] is not app.jinja_env.globals["url_for"]
