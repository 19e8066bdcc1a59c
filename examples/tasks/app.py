"""A small task list, mounted by berth under a path prefix (/tasks): every link is built with
url_for, so it comes out right under whatever prefix berth passes as SCRIPT_NAME."""
import threading

from flask import Flask, redirect, render_template, request, url_for

app = Flask(__name__)

_lock = threading.Lock()
_tasks = [{"id": 1, "title": "Write the report", "done": False},
          {"id": 2, "title": "Book the meeting room", "done": True}]


@app.route("/")
def index():
    with _lock:
        tasks = list(_tasks)
    return render_template("index.html", tasks=tasks)


@app.route("/health")
def health():
    """berth's health check (berth.toml), asked as /tasks/health, as a request routed here is."""
    return "ok\n"


@app.route("/task/<int:task_id>")
def task(task_id):
    with _lock:
        found = next((t for t in _tasks if t["id"] == task_id), None)
    if found is None:
        return "no such task\n", 404
    return render_template("task.html", task=found)


@app.route("/add", methods=["POST"])
def add():
    title = request.form.get("title", "").strip()
    if title:
        with _lock:
            _tasks.append({"id": max(t["id"] for t in _tasks) + 1, "title": title, "done": False})
    return redirect(url_for("index"))
