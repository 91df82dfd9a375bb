import os

from django.core.wsgi import get_wsgi_application

from config.memory import malloc_arenas_capped

malloc_arenas_capped()  # before any thread starts

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.safety import refuse_unsafe_defaults  # noqa: E402

refuse_unsafe_defaults()
