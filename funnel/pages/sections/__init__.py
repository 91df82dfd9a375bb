"""The sections of the board's settings page, one module each: its POST actions
(``ACTIONS``: action name -> handler, as in ``funnel.pages.settings``), the
anchor it redirects back to (``ANCHOR``), and what its template
(``templates/settings/<name>.html``) reads (``context``)."""

from . import board, campaigns, people, stages

SECTIONS = (board, stages, campaigns, people)
