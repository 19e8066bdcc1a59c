from testapp import app
