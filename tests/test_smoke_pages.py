"""Every area's pages answer for its own role, and turn others away."""
import conftest
import pytest

from matchapp import create_app
from matchapp.models import Role


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_front_page_is_danish_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="da"' in response.text


@pytest.mark.parametrize("path", ["/candidate/", "/employer/", "/consultant/", "/admin/"])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_each_role_sees_its_own_pages_and_not_the_others(client, auth, make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, completed=[make.course()])
    employer = make.employer()
    session = make.session(employer)
    admin = make.admin()
    pages = {
        Role.CANDIDATE: (candidate.user, ["/candidate/", "/candidate/meetings", "/candidate/profile"]),
        Role.EMPLOYER: (employer, ["/employer/", "/employer/sessions/new", f"/employer/sessions/{session.id}"]),
        Role.CONSULTANT: (consultant, ["/consultant/", "/consultant/candidates/new", "/consultant/employers",
                                       f"/consultant/candidates/{candidate.id}",
                                       f"/consultant/candidates/{candidate.id}/book"]),
        Role.ADMIN: (admin, ["/admin/", "/admin/mailbox"]),
    }
    for role, (user, paths) in pages.items():
        auth.login(user)
        for path in paths:
            assert client.get(path).status_code == 200, path
        for other, (_user, other_paths) in pages.items():
            if other != role and not (role == Role.ADMIN and other == Role.CONSULTANT):
                assert client.get(other_paths[0]).status_code == 403, (role, other_paths[0])
        auth.logout()


def test_healthz_answers_503_when_the_database_does_not_answer():
    unreachable = create_app(conftest.test_settings("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
