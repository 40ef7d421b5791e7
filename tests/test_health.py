"""/healthz answers for load balancers."""


def test_it_is_healthy_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_it_is_unavailable_when_the_database_is_not(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/alma.db", TESTING=False)
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    page = client.get("/providers")
    assert page.status_code == 503
    assert "Traceback" not in page.get_data(as_text=True)
