from app import app  # noqa: F401  (gunicorn wsgi:app)
