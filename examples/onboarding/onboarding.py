"""Business logic of the onboarding API: no Flask here, so it can be tested and reused alone."""
import json
import os

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "activities.json")


def load_activities():
    with open(_DATA, encoding="utf-8") as f:
        return json.load(f)


def find_activity(activity_id):
    return next((a for a in load_activities() if a["id"] == activity_id), None)


def plan_for(name, team):
    """The activities a new member of `team` does, in order, with the total time."""
    activities = [a for a in load_activities() if a["team"] in ("all", team)]
    return {
        "name": name,
        "team": team,
        "activities": [a["name"] for a in activities],
        "total_minutes": sum(a["minutes"] for a in activities),
    }
