"""The app bench/deploy.sh deploys: one page that says which release serves it.

The script copies this directory once per release and writes the release's name into VERSION
(v1, v2); the broken release is a copy whose wsgi.py raises at import.
"""
import os

from flask import Flask, Response

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "VERSION")) as f:
    VERSION = f.read().strip()

app = Flask(__name__)


@app.route("/")
def index():
    return Response("deployapp %s\n" % VERSION, mimetype="text/plain")
