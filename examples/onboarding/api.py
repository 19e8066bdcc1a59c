"""Routes of the onboarding API; the work is done in onboarding.py."""
import os

from flask import Flask, abort, jsonify, request, url_for

from onboarding import find_activity, load_activities, plan_for

app = Flask(__name__)


@app.route("/")
def index():
    return jsonify(
        service="onboarding",
        instance=os.environ.get("BERTH_INSTANCE", "?"),
        activities=url_for("activities"),
        plan=url_for("plan"),
    )


@app.route("/health")
def health():
    """berth's health check (berth.toml): healthy once the activities load; an error is a 500."""
    load_activities()
    return "ok\n"


@app.route("/activities")
def activities():
    return jsonify(load_activities())


@app.route("/activities/<int:activity_id>")
def activity(activity_id):
    found = find_activity(activity_id)
    if found is None:
        abort(404)
    return jsonify(found)


@app.route("/plan", methods=["POST"])
def plan():
    body = request.get_json(silent=True) or {}
    name = body.get("name")
    if not name:
        return jsonify(error="name is required"), 400
    return jsonify(plan_for(name, body.get("team", "all")))
