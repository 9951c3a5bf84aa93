"""The original course app, rebuilt to measure against: one form, one Redis hash per student.

It behaves as the original does: `GET /` renders the form and every student, `POST /handle_data`
checks the id with `HGETALL`, answers an error page when it is taken, else writes the hash under
the raw id with the form's field names. Synchronous redis-py, as the original.

    REFERENCE_REDIS_URL=redis://127.0.0.1:6379/0 flask --app bench/reference_app.py run
    gunicorn --chdir bench -w 2 reference_app:app
"""

from __future__ import annotations

import os

import redis
from flask import Flask, render_template, request
from jinja2 import DictLoader

FIELDS = ("Id", "First name", "Last name", "Date of Birth", "Course")

TEMPLATES = {
    "layout.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Students</title></head>
<body>{% block body %}{% endblock %}</body></html>""",
    "index.html": """{% extends "layout.html" %}{% block body %}
<h1>Register a student</h1>
<form action="/handle_data" method="post">
{% for field in fields %}<label>{{ field }} <input name="{{ field }}"></label><br>
{% endfor %}<input type="submit" value="Submit">
</form>
<h2>Students</h2>
<table>
<tr>{% for field in fields %}<th>{{ field }}</th>{% endfor %}</tr>
{% for student in students %}<tr>{% for field in fields %}<td>{{ student.get(field, "") }}</td>
{% endfor %}</tr>
{% endfor %}</table>
{% endblock %}""",
    "registered.html": """{% extends "layout.html" %}{% block body %}
<h1>Student registered</h1>
<p>{{ student["First name"] }} {{ student["Last name"] }} ({{ student["Id"] }}),
born {{ student["Date of Birth"] }}, in {{ student["Course"] }}.</p>
<a href="/">Back</a>
{% endblock %}""",
    "taken.html": """{% extends "layout.html" %}{% block body %}
<h1>Error</h1><p>The id {{ student_id }} is already registered.</p><a href="/">Back</a>
{% endblock %}""",
}


def create_app() -> Flask:
    """The reference app, talking to the Redis that REFERENCE_REDIS_URL names."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader(TEMPLATES)
    # Connects on the first command, not here, like redis.Redis() in the original.
    store = redis.Redis.from_url(
        os.environ.get("REFERENCE_REDIS_URL", "redis://localhost:6379/0"),
        decode_responses=True,
    )

    @app.get("/")
    def index() -> str:
        # The original keeps nothing but students in its database and lists all of them.
        students = [store.hgetall(key) for key in store.keys("*")]
        return render_template("index.html", fields=FIELDS, students=students)

    @app.post("/handle_data")
    def handle_data() -> str:
        student = {field: request.form[field] for field in FIELDS}
        if store.hgetall(student["Id"]):
            return render_template("taken.html", student_id=student["Id"])
        store.hset(student["Id"], mapping=student)
        return render_template("registered.html", student=student)

    return app


app = create_app()
