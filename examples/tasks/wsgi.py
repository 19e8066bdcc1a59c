"""gunicorn's entry point: `gunicorn wsgi:application` (the name seed 002 uses)."""
from app import app as application
