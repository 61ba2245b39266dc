"""The app as gunicorn serves it (wsgi:app), plus a bare "hello" at /__hello that the app itself does not have:
benchmarks/pages.py compares each page's requests per second with it, served by the same workers in the same run."""
from wsgi import app as matchapp

HELLO_PATH = "/__hello"


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def app(environ, start_response):
    if environ.get("PATH_INFO") == HELLO_PATH:
        return hello(environ, start_response)
    return matchapp(environ, start_response)
